// tests/differential/scenario_files.h: the runners' command line. Each file
// named is read whole and handed to `run`, which returns the text to print
// for it (after a line "=== <file>") or nothing when it reported a failure
// itself; output is flushed per file, so run.py sees every finished
// scenario even if a later one crashes. Exit status 2 when a file could not
// be read or `run` reported a failure.
#pragma once

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace refgc_diff {

template <class Run>
int run_scenario_files(int argc, char** argv, Run run) {
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read\n", argv[i]);
      status = 2;
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    const std::optional<std::string> log = run(argv[i], text.str());
    if (!log) {
      status = 2;
      continue;
    }
    const std::string out = "=== " + std::string(argv[i]) + "\n" + *log;
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  return status;
}

}  // namespace refgc_diff
