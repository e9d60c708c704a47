// refgc/str.h: Str, an immutable managed string (Python's str).
//
//   auto s = refgc::make<refgc::Str>("hello");
//   s->view();                        // "hello"
//
// The text is UTF-8 (bytes that are not are kept, and repr() shows them as
// Python shows undecodable bytes: detail::repr_text). size() counts bytes,
// not characters as Python's len() does.
//
// Atomic: holds no references, never tracked, not weakly referenceable.
#pragma once

#include <string>
#include <string_view>

#include "refgc/ref.h"

namespace refgc {

class Str final : public Object {
 public:
  static constexpr bool weakrefable = false;
  static constexpr const char* refgc_type_name = "Str";

  explicit Str(std::string value) : value_(std::move(value)) {}
  explicit Str(const char* value) : value_(value) {}
  explicit Str(std::string_view value) : value_(value) {}

  // Borrowed from this Str (REFGC_LIFETIMEBOUND: clang warns when one
  // outlives a temporary handle's object, `make_str()->view()`).
  const std::string& value() const noexcept REFGC_LIFETIMEBOUND { return value_; }
  std::string_view view() const noexcept REFGC_LIFETIMEBOUND { return value_; }
  std::size_t size() const noexcept { return value_.size(); }

  // Python's repr() of the str (quotes and escapes: detail::repr_text).
  std::string repr() const override { return detail::repr_text(value_); }
  std::size_t extra_size() const noexcept override {
    return value_.capacity() > 15 ? value_.capacity() + 1 : 0;  // heap buffer, if any
  }
  bool equals(const Object& other) const override {
    const auto* o = dynamic_cast<const Str*>(&other);
    return o != nullptr && o->value_ == value_;
  }
  friend bool operator==(const Str& a, const Str& b) noexcept { return a.value_ == b.value_; }
  friend auto operator<=>(const Str& a, const Str& b) noexcept { return a.value_ <=> b.value_; }

 private:
  const std::string value_;
};

}  // namespace refgc

template <>
struct std::hash<refgc::Str> {
  std::size_t operator()(const refgc::Str& s) const noexcept {
    return std::hash<std::string_view>{}(s.view());
  }
};
