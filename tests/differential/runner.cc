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
#include <optional>
#include <string>

#include "scenario.h"
#include "scenario_files.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SCENARIO.scn...\n", argv[0]);
    return 2;
  }
  return refgc_diff::run_scenario_files(
      argc, argv, [](const char* file, const std::string& text) -> std::optional<std::string> {
        refgc_diff::Scenario scenario;
        std::string error;
        if (!refgc_diff::parse(text, scenario, error)) {
          std::fprintf(stderr, "%s: %s\n", file, error.c_str());
          return std::nullopt;
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
        std::string out;
        for (const std::string& line : result.log) {
          out += line;
          out += '\n';
        }
        if (!broken.empty()) out += "--- invariant " + broken + "\n";
        out += "--- leaked " + std::to_string(result.leaked_nodes) + " " +
               std::to_string(result.leaked_objects) + "\n";
        return out;
      });
}
