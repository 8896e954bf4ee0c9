// fuzz_util.h — what every fuzz target of tests/fuzz/ checks (docs/fuzzing.md).
//
// A reader handed bad bytes may only throw a gradlab::Error (the CLI prints it as one line and
// exits 2), and that message must be one line naming the file. Anything else — another
// exception type (the CLI's "internal error", exit 1), a crash, a sanitizer report, a hang or
// a huge allocation (libFuzzer's -rss_limit_mb / -malloc_limit_mb) — is a finding: an
// exception that escapes LLVMFuzzerTestOneInput ends the process, which libFuzzer reports
// as a crash with the input saved.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gradlab/error.h"

namespace fuzz {

template <class Body>
void expect_clean_error(const std::string& name, Body&& body) {
  try {
    body();
  } catch (const gradlab::Error& e) {
    const std::string message = e.what();
    if (message.find('\n') != std::string::npos || message.find(name) == std::string::npos) {
      std::fprintf(stderr, "fuzz: the error must be one line naming %s, got:\n%s\n",
                   name.c_str(), message.c_str());
      std::abort();
    }
  }
}

}  // namespace fuzz
