// tests/support/copy_counting_key.h: a dictionary key that counts how often
// it is copied (its moves are not counted), for the tests that a key passed
// as an rvalue is moved into a container, not copied.
#pragma once

#include <cstddef>
#include <functional>

namespace refgc_test {

struct CopyCountingKey {
  static inline int copies = 0;
  explicit CopyCountingKey(int v) : value(v) {}
  CopyCountingKey(const CopyCountingKey& other) : value(other.value) { ++copies; }
  CopyCountingKey(CopyCountingKey&& other) noexcept : value(other.value) {}
  CopyCountingKey& operator=(const CopyCountingKey& other) {
    value = other.value;
    ++copies;
    return *this;
  }
  CopyCountingKey& operator=(CopyCountingKey&& other) noexcept {
    value = other.value;
    return *this;
  }
  ~CopyCountingKey() = default;
  bool operator==(const CopyCountingKey& other) const noexcept { return value == other.value; }
  int value;
};

}  // namespace refgc_test

template <>
struct std::hash<refgc_test::CopyCountingKey> {
  std::size_t operator()(const refgc_test::CopyCountingKey& k) const noexcept {
    return static_cast<std::size_t>(k.value);
  }
};
