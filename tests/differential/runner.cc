// tests/differential/runner.cc: runs scenario files against refgc and prints
// their event logs, for run.py to compare with CPython's.
//
//   refgc_diff_runner A.scn [B.scn ...]
//
// For each file: a line "=== <file>", the log, "--- invariant <what>" if an
// invariant check failed (Runner::check_invariants, after every operation),
// then "--- leaked <nodes> <objects>" (what the teardown could not free; both
// must be 0). Each
// scenario runs on its own fresh refgc::Heap. Exit status 2 on a file that
// cannot be read or parsed.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "scenario.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SCENARIO.scn...\n", argv[0]);
    return 2;
  }
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
    refgc_diff::Scenario scenario;
    std::string error;
    if (!refgc_diff::parse(text.str(), scenario, error)) {
      std::fprintf(stderr, "%s: %s\n", argv[i], error.c_str());
      status = 2;
      continue;
    }
    // The invariants are cheap on scenario-sized heaps: check them after
    // every operation (the first failure is reported).
    std::string broken;
    refgc_diff::RunOptions options;
    options.after_step = [&broken](refgc_diff::Runner& runner, std::size_t step) {
      if (!broken.empty()) return;
      std::string what = runner.check_invariants();
      if (!what.empty()) broken = "after operation " + std::to_string(step + 1) + ": " + what;
    };
    const refgc_diff::RunResult result = refgc_diff::run(scenario, options);
    std::string out = "=== ";
    out += argv[i];
    out += '\n';
    for (const std::string& line : result.log) {
      out += line;
      out += '\n';
    }
    if (!broken.empty()) out += "--- invariant " + broken + "\n";
    out += "--- leaked " + std::to_string(result.leaked_nodes) + " " +
           std::to_string(result.leaked_objects) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  return status;
}
