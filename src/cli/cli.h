// Subcommands of the gradlab CLI (src/cli/*.cpp). Each takes argv with argv[0] = the
// command name and returns the process exit code; errors are thrown as gradlab::Error
// (main prints one line and exits 2).
#pragma once

#include <optional>
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

// Shared by the commands (commands.cpp).
std::string stem(const std::string& path);  // "a/b/c.json" -> "c"
std::string timestamp();                     // 20260131-120000, local time
// A folder name for a sweep point: letters, digits and . _ - = kept, everything else '_'.
std::string safe_id(const std::string& id);
// CPU threads for this process: --threads N as given, else GRADLAB_THREADS, else every core.
void apply_thread_option(const std::optional<std::string>& threads);
// `s` as one shell word: as is when it holds only safe characters, else in single quotes.
std::string shell_quote(const std::string& s);
// This executable's path from /proc/self/exe; "" where there is none (the WASM CLI under node).
std::string executable_path();
int cmd_fit(int argc, char** argv);  // fit_command.cpp
}  // namespace gradlab::cli
