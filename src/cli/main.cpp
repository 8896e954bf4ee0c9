// gradlab CLI entry point: dispatches subcommands (docs/design.md §2).
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/cli.h"
#include "gradlab/blas_info.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/threads.h"

namespace gradlab {
int bench_main(int argc, char** argv);  // src/bench/bench.cpp
}

static void usage(std::ostream& os) {
  os << "usage: gradlab <command> [args]\n"
        "  run CONFIG.json [--set key.path=value]... [--profile NAME] [--out DIR] [--resume]\n"
        "                  [--save-params 0,100,...] [--quiet] [--threads N]\n"
        "  sweep CONFIG.json [--shard I/N] [--out DIR] [--set ...] [--profile NAME] [--threads N]\n"
        "                  [--on local|parallel|slurm] [--jobs J] [--shards N] [--slurm \"OPTS\"]\n"
        "                  [--no-wait] [--allow-mixed]        (docs/cluster.md)\n"
        "  sweep --status DIR | --resume DIR [--on ...] | --merge DIR [--allow-mixed]\n"
        "      --threads N: CPU threads (GEMM and kernels); default GRADLAB_THREADS, else all cores\n"
        "  validate CONFIG.json [--set ...] [--profile NAME]\n"
        "  report RUN_DIR                         write RUN_DIR/report.html (charts, summary)\n"
        "  list                                   experiment kinds, models, data sources\n"
        "  data CONFIG.json --out FILE.safetensors [--set ...] [--profile NAME]\n"
        "                  write the config's data set (x_train, y_train, x_test, y_test)\n"
        "  fit FILE --form chinchilla|power|kaplan|kaplan_nd|isoflop --x KEY[,KEY] --y KEY\n"
        "                  [--bootstrap B] [--seed S] [--holdout KEY>=V] [--grid G.json] [--out F]\n"
        "                  fit a scaling law to a sweep.jsonl or CSV (docs/fit.md)\n"
        "  bench [--filter NAME] [--threads N] [--quick]   performance suite (JSON lines)\n"
        "  --version                              build, BLAS library and kernels, CPU threads\n";
}

// What this binary runs on: the build, the BLAS and its kernel family (and who chose it), and
// the CPU threads `gradlab run` would use by default.
static void version(std::ostream& os) {
  os << gradlab::build_id() << "\n"
     << "BLAS: " << gradlab::blas_summary_line() << "\n"
     << "CPU threads: " << gradlab::cpu_threads_summary_line() << "\n";
}

int main(int argc, char** argv) {
  // Before anything else (and before any thread starts): may re-execute this binary once so
  // that OpenBLAS loads the kernels the CPU supports (gradlab/blas_info.h).
  gradlab::select_blas_kernels(argv);
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "run") return gradlab::cli::cmd_run(argc - 1, argv + 1);
    if (cmd == "sweep") return gradlab::cli::cmd_sweep(argc - 1, argv + 1);
    if (cmd == "validate") return gradlab::cli::cmd_validate(argc - 1, argv + 1);
    if (cmd == "list") return gradlab::cli::cmd_list(argc - 1, argv + 1);
    if (cmd == "report") return gradlab::cli::cmd_report(argc - 1, argv + 1);
    if (cmd == "data") return gradlab::cli::cmd_data(argc - 1, argv + 1);
    if (cmd == "fit") return gradlab::cli::cmd_fit(argc - 1, argv + 1);
    if (cmd == "bench") return gradlab::bench_main(argc - 1, argv + 1);
    if (cmd == "--version" || cmd == "version") {
      version(std::cout);
      return 0;
    }
    if (cmd == "--help" || cmd == "help" || cmd == "-h") {
      usage(std::cout);
      return 0;
    }
    std::cerr << "gradlab: unknown command '" << cmd << "'\n";
    usage(std::cerr);
    return 2;
  } catch (const gradlab::Error& e) {
    // One line, whatever a message quoted from a file (the readers escape what they quote;
    // this is the backstop).
    std::string message = e.what();
    for (char& c : message)
      if (c == '\n' || c == '\r') c = ' ';
    std::cerr << "gradlab " << cmd << ": " << message << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gradlab " << cmd << ": internal error: " << e.what() << "\n";
    return 1;
  }
}
