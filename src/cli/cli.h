// Subcommands of the gradlab CLI (src/cli/*.cpp). Each takes argv with argv[0] = the
// command name and returns the process exit code; errors are thrown as gradlab::Error
// (main prints one line and exits 2).
#pragma once

#include <string>

namespace gradlab::cli {
int cmd_run(int argc, char** argv);
int cmd_sweep(int argc, char** argv);
int cmd_validate(int argc, char** argv);
int cmd_list(int argc, char** argv);
int cmd_report(int argc, char** argv);  // report.cpp
// Writes DIR/report.html for a run or sweep folder (what `gradlab report DIR` does); returns
// its path. IOError when DIR is not a run or sweep folder.
std::string write_report(std::string dir);
int cmd_data(int argc, char** argv);
}  // namespace gradlab::cli
