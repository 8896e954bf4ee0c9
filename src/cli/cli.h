// Subcommands of the gradlab CLI (src/cli/*.cpp). Each takes argv with argv[0] = the
// command name and returns the process exit code; errors are thrown as gradlab::Error
// (main prints one line and exits 2).
#pragma once

namespace gradlab::cli {
int cmd_run(int argc, char** argv);
int cmd_sweep(int argc, char** argv);
int cmd_validate(int argc, char** argv);
int cmd_list(int argc, char** argv);
int cmd_report(int argc, char** argv);  // report.cpp
int cmd_data(int argc, char** argv);
int cmd_fit(int argc, char** argv);  // fit_command.cpp
}  // namespace gradlab::cli
