// refgc/detail/integers.h: integer types as refgc's value types take them,
// __int128 included (an integer type in GNU mode, -std=gnu++20, but not for
// the standard traits in strict mode, -std=c++20, where a conversion to a
// 64-bit parameter narrowed it silently; review 2026-11-25).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace refgc::detail {

#ifdef __SIZEOF_INT128__
__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;
// The widest unsigned integer type.
using widest_unsigned = uint128;
template <class U>
inline constexpr bool kIsInt128 =
    std::is_same_v<std::remove_cv_t<U>, int128> || std::is_same_v<std::remove_cv_t<U>, uint128>;
#else
using widest_unsigned = std::uintmax_t;
template <class U>
inline constexpr bool kIsInt128 = false;
#endif

// An integer type (bool and the character types included), __int128 too.
template <class U>
inline constexpr bool kInteger = std::is_integral_v<U> || kIsInt128<U>;

// A signed integer type (std::is_signed_v misses __int128 in strict mode).
template <class U>
constexpr bool signed_integer() noexcept {
  if constexpr (kInteger<U>) {
    return static_cast<U>(-1) < static_cast<U>(0);
  } else {
    return false;
  }
}

// An integer type some of whose values are outside std::int64_t's range:
// an unsigned 64-bit type, a signed or unsigned __int128 (bool excluded).
template <class U>
concept integer_beyond_int64 = kInteger<U> && !std::is_same_v<std::remove_cv_t<U>, bool> &&
                               (sizeof(U) > sizeof(std::int64_t) ||
                                (sizeof(U) == sizeof(std::int64_t) && !signed_integer<U>()));

// Whether the integer v is a value of the integer type T (for any integer
// type V, __int128 included; std::in_range takes no bool, no char, no
// __int128).
template <class T, class V>
constexpr bool integer_fits(V v) noexcept {
  if constexpr (std::is_same_v<V, bool>) {
    return true;
  } else {
    if constexpr (signed_integer<V>()) {
      if (v < 0) {
        if constexpr (std::is_signed_v<T>) {
          return v >= std::numeric_limits<T>::min();  // both signed: compared in the wider
        } else {
          return false;
        }
      }
    }
    return static_cast<widest_unsigned>(v) <=
           static_cast<widest_unsigned>(std::numeric_limits<T>::max());
  }
}

// The decimal digits of an integer of any width (std::to_string has no
// __int128 overload).
template <class U>
std::string integer_text(U v) {
  const bool negative = v < static_cast<U>(0);
  // The magnitude, computed in the widest unsigned type (well defined for
  // the most negative value too).
  widest_unsigned m = static_cast<widest_unsigned>(v);
  if (negative) m = static_cast<widest_unsigned>(0) - m;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  } while (m != 0);
  if (negative) digits.insert(digits.begin(), '-');
  return digits;
}

}  // namespace refgc::detail
