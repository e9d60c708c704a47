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

#include <cmath>
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "refgc/detail/integers.h"
#include "refgc/ref.h"

namespace refgc {

class Int final : public Object {
 public:
  static constexpr bool weakrefable = false;
  static constexpr const char* refgc_type_name = "Int";

  explicit Int(std::int64_t value) noexcept : value_(value) {}
  // An integer of a type with values outside std::int64_t's range (an
  // unsigned 64-bit one, a signed or unsigned __int128) is checked: one that
  // does not fit throws std::overflow_error ("refgc::Int: N does not fit in
  // a 64-bit signed integer"; Python's int has no limit). An unsigned 64-bit
  // value above INT64_MAX wrapped to a negative number (review 2026-11-23,
  // session 15); an __int128 converted silently to its low 64 bits, 2**70
  // to 0, as did an unsigned __int128 in strict mode (-std=c++20), and in
  // GNU mode an unsigned __int128 did not compile (review 2026-11-25).
  template <detail::integer_beyond_int64 U>
  explicit Int(U value) : value_(checked(value)) {}
  // A floating-point value converts as Python's int(x) does: truncated
  // toward zero (int(-3.7) is -3). NaN throws std::invalid_argument
  // ("cannot convert float NaN to integer", Python's ValueError); an infinity
  // or a value whose integer part does not fit in 64 bits throws
  // std::overflow_error (Python's OverflowError for infinity; its int has no
  // limit). Before, the conversion to std::int64_t was implicit: out of
  // range, undefined behaviour (review 2026-11-25).
  template <std::floating_point F>
  explicit Int(F value) : value_(truncated(value)) {}
  std::int64_t value() const noexcept { return value_; }

  std::string repr() const override { return std::to_string(value_); }
  bool equals(const Object& other) const override {
    const auto* o = dynamic_cast<const Int*>(&other);
    return o != nullptr && o->value_ == value_;
  }
  friend bool operator==(const Int& a, const Int& b) noexcept { return a.value_ == b.value_; }
  friend auto operator<=>(const Int& a, const Int& b) noexcept { return a.value_ <=> b.value_; }

 private:
  template <class U>
  static std::int64_t checked(U value) {
    if (!detail::integer_fits<std::int64_t>(value))
      throw std::overflow_error("refgc::Int: " + detail::integer_text(value) +
                                " does not fit in a 64-bit signed integer");
    return static_cast<std::int64_t>(value);
  }
  template <class F>
  static std::int64_t truncated(F value) {
    if (std::isnan(value))
      throw std::invalid_argument("refgc::Int: cannot convert float NaN to integer");
    if (std::isinf(value))
      throw std::overflow_error("refgc::Int: cannot convert float infinity to integer");
    const F t = std::trunc(value);
    // -2**63 and 2**63 are exact in every floating-point type.
    constexpr F kLimit = static_cast<F>(9223372036854775808.0L);
    if (t < -kLimit || t >= kLimit)
      throw std::overflow_error("refgc::Int: " + detail::repr_float(value) +
                                " does not fit in a 64-bit signed integer");
    return static_cast<std::int64_t>(t);
  }
  const std::int64_t value_;
};

}  // namespace refgc

template <>
struct std::hash<refgc::Int> {
  std::size_t operator()(const refgc::Int& i) const noexcept {
    return std::hash<std::int64_t>{}(i.value());
  }
};
