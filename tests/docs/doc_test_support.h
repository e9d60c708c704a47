// What the generated doc tests (tests/docs/doc_blocks.py) need around the
// documentation's blocks: checks for the results the text states, and a
// runner that captures what a block prints and compares it with the text.
#pragma once

#include <refgc/refgc.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace doc_test {

inline int failures = 0;

inline void failed() { ++failures; }

inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: %s\n", file, line, what.c_str());
  failed();
}

// Expected output: `...` matches any text within a line, a line that is only
// `...` any number of lines (the rule of doc_blocks.py's glob_match).
inline bool line_matches(std::string_view pattern, std::string_view text) {
  const auto star = pattern.find("...");
  if (star == std::string_view::npos) return pattern == text;
  const auto head = pattern.substr(0, star);
  if (text.substr(0, head.size()) != head) return false;
  const auto rest = pattern.substr(star + 3);
  for (std::size_t i = head.size(); i <= text.size(); ++i) {
    if (line_matches(rest, text.substr(i))) return true;
  }
  return false;
}

inline std::string_view rstrip(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

inline std::string_view strip(std::string_view s) {
  s = rstrip(s);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

inline bool lines_match(const std::vector<std::string>& want, std::size_t i,
                        const std::vector<std::string>& got, std::size_t j) {
  if (i == want.size()) return j == got.size();
  if (strip(want[i]) == "...") {
    for (std::size_t k = j; k <= got.size(); ++k) {
      if (lines_match(want, i + 1, got, k)) return true;
    }
    return false;
  }
  return j < got.size() && line_matches(rstrip(want[i]), rstrip(got[j])) &&
         lines_match(want, i + 1, got, j + 1);
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  while (!lines.empty() && rstrip(lines.back()).empty()) lines.pop_back();
  return lines;
}

// Runs one block. With expected output, what it writes to std::cout and
// std::cerr is captured and must match. Afterwards a full collection, so that
// the next block starts from a heap without this one's cyclic garbage.
inline void run(const char* where, void (*block)()) {
  try {
    block();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: the block threw %s\n", where, e.what());
    failed();
  }
  refgc::gc::collect();
}

inline void run(const char* where, void (*block)(), std::initializer_list<const char*> expected) {
  std::ostringstream captured;
  auto* out = std::cout.rdbuf(captured.rdbuf());
  auto* err = std::cerr.rdbuf(captured.rdbuf());
  run(where, block);
  std::cout.rdbuf(out);
  std::cerr.rdbuf(err);
  std::vector<std::string> want(expected.begin(), expected.end());
  while (!want.empty() && rstrip(want.back()).empty()) want.pop_back();
  const auto got = split_lines(captured.str());
  if (!lines_match(want, 0, got, 0)) {
    std::string what = "the block prints something else than its text says.\n--- expected\n";
    for (const auto& l : want) what += l + "\n";
    what += "--- printed\n" + captured.str();
    std::fprintf(stderr, "%s: %s\n", where, what.c_str());
    failed();
  }
}

inline int finish() {
  if (failures != 0) std::fprintf(stderr, "doc-test: %d check(s) failed\n", failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace doc_test

// `expr;  // true` in a block.
#define DOC_EXPECT_BOOL(expr, want)                                                               \
  do {                                                                                            \
    const bool doc_got_ = static_cast<bool>(expr);                                                \
    if (doc_got_ != (want)) {                                                                     \
      doc_test::fail(__FILE__, __LINE__,                                                          \
                     std::string(#expr " is ") + (doc_got_ ? "true" : "false") + ", not " #want); \
    }                                                                                             \
  } while (false)

// `expr;  // 2` in a block.
#define DOC_EXPECT_INT(expr, want)                                                           \
  do {                                                                                       \
    const auto doc_got_ = (expr);                                                            \
    if (std::cmp_not_equal(doc_got_, (want))) {                                              \
      doc_test::fail(__FILE__, __LINE__,                                                     \
                     std::string(#expr " is ") + std::to_string(doc_got_) + ", not " #want); \
    }                                                                                        \
  } while (false)

// `expr;  // "text"` in a block.
#define DOC_EXPECT_STR(expr, want)                                               \
  do {                                                                           \
    const std::string doc_got_(expr);                                            \
    if (doc_got_ != std::string_view(want)) {                                    \
      doc_test::fail(__FILE__, __LINE__,                                         \
                     std::string(#expr " is \"") + doc_got_ + "\", not " #want); \
    }                                                                            \
  } while (false)

// `stmt;  // throws refgc::BufferError` in a block.
#define DOC_EXPECT_THROWS(stmt, type)                                                   \
  do {                                                                                  \
    bool doc_threw_ = false;                                                            \
    try {                                                                               \
      stmt;                                                                             \
    } catch (const type&) {                                                             \
      doc_threw_ = true;                                                                \
    }                                                                                   \
    if (!doc_threw_) doc_test::fail(__FILE__, __LINE__, #stmt " did not throw " #type); \
  } while (false)

// A check in a block's hidden `after:` (or `before:`) section.
#define DOC_CHECK(cond) \
  ((cond) ? void() : doc_test::fail(__FILE__, __LINE__, "check failed: " #cond))
