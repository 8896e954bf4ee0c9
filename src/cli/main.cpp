// gradlab CLI entry point: dispatches subcommands (DESIGN.md §2).
#include <cstring>
#include <exception>
#include <iostream>

#include "gradlab/error.h"

namespace gradlab {
int bench_main(int argc, char** argv);  // src/bench/bench.cpp
}

static void usage(std::ostream& os) {
  os << "usage: gradlab <command> [args]\n"
        "  bench [--filter NAME] [--threads N]   performance suite (JSON lines)\n";
}

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  try {
    if (std::strcmp(argv[1], "bench") == 0) return gradlab::bench_main(argc - 1, argv + 1);
    if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
      usage(std::cout);
      return 0;
    }
    std::cerr << "gradlab: unknown command '" << argv[1] << "'\n";
    usage(std::cerr);
    return 2;
  } catch (const gradlab::Error& e) {
    std::cerr << "gradlab: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "gradlab: internal error: " << e.what() << "\n";
    return 1;
  }
}
