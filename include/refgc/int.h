// refgc/int.h: Int, an immutable managed integer (Python's int).
//
//   auto n = refgc::make<refgc::Int>(1000);
//   n->value();                       // 1000
//   *n == *refgc::make<refgc::Int>(1000);   // true: equal values
//   refgc::is(n, refgc::make<refgc::Int>(1000));   // false: distinct objects
//
// Atomic: holds no references, never tracked by the collector, and cannot be
// weakly referenced (like Python's int).
#pragma once

#include <cstdint>
#include <string>

#include "refgc/ref.h"

namespace refgc {

class Int final : public Object {
 public:
  static constexpr bool weakrefable = false;
  static constexpr const char* refgc_type_name = "Int";

  explicit Int(std::int64_t value) noexcept : value_(value) {}
  std::int64_t value() const noexcept { return value_; }

  std::string repr() const override { return std::to_string(value_); }
  bool equals(const Object& other) const override {
    const auto* o = dynamic_cast<const Int*>(&other);
    return o != nullptr && o->value_ == value_;
  }
  friend bool operator==(const Int& a, const Int& b) noexcept { return a.value_ == b.value_; }
  friend auto operator<=>(const Int& a, const Int& b) noexcept { return a.value_ <=> b.value_; }

 private:
  const std::int64_t value_;
};

}  // namespace refgc

template <>
struct std::hash<refgc::Int> {
  std::size_t operator()(const refgc::Int& i) const noexcept {
    return std::hash<std::int64_t>{}(i.value());
  }
};
