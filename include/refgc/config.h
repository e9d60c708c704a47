// refgc/config.h: build configuration and the assertion tiers.
//
// Three tiers, named by cost (docs/design/memory-model.md, "Checks"):
//
//   REFGC_CHECK(cond, obj, what)  always on. Memory safety: refcount underflow,
//                                 use of a dead object, a trace() whose extra
//                                 reports take a count below zero. On failure
//                                 it prints the object's type and address and
//                                 aborts. Never compiled out.
//   REFGC_ASSERT(cond, msg)       debug builds (REFGC_DEBUG=1). Preconditions
//                                 too hot to check always, e.g. thread
//                                 ownership. (Dereferencing an empty Ref is
//                                 checked in every build: it throws.)
//   REFGC_VALIDATE(expr)          debug builds. Whole-structure validators run
//                                 between collector phases.
//
// REFGC_DEBUG defaults to 1 when NDEBUG is not defined. It must have the same
// value in the library and in the code that uses it; the CMake targets export it.
#pragma once

#ifndef REFGC_DEBUG
#ifdef NDEBUG
#define REFGC_DEBUG 0
#else
#define REFGC_DEBUG 1
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define REFGC_LIKELY(x) __builtin_expect(!!(x), 1)
#define REFGC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define REFGC_NOINLINE __attribute__((noinline))
#define REFGC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define REFGC_LIKELY(x) (x)
#define REFGC_UNLIKELY(x) (x)
#define REFGC_NOINLINE
#define REFGC_ALWAYS_INLINE inline
#endif

// Clang's [[clang::lifetimebound]] on a member function: what it returns
// lives no longer than the object it is called on. Clang then warns
// (-Wdangling) where the result outlives a temporary, as in a range-for over
// `*make_list()`. Nothing with other compilers.
#if defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::lifetimebound)
#define REFGC_LIFETIMEBOUND [[clang::lifetimebound]]
#endif
#endif
#ifndef REFGC_LIFETIMEBOUND
#define REFGC_LIFETIMEBOUND
#endif

namespace refgc {
class Object;
namespace detail {
// Prints "refgc: fatal: <what>: <Type at 0x...>" to stderr and aborts.
[[noreturn]] void fatal_object(const Object* obj, const char* what) noexcept;
// Prints "refgc: fatal: <msg>" to stderr and aborts.
[[noreturn]] void fatal(const char* msg) noexcept;
}  // namespace detail
}  // namespace refgc

#define REFGC_CHECK(cond, obj, what)                                       \
  do {                                                                     \
    if (REFGC_UNLIKELY(!(cond))) ::refgc::detail::fatal_object(obj, what); \
  } while (0)

#if REFGC_DEBUG
#define REFGC_ASSERT(cond, msg)                               \
  do {                                                        \
    if (REFGC_UNLIKELY(!(cond))) ::refgc::detail::fatal(msg); \
  } while (0)
#define REFGC_VALIDATE(expr) (expr)
#else
#define REFGC_ASSERT(cond, msg) \
  do {                          \
  } while (0)
#define REFGC_VALIDATE(expr) \
  do {                       \
  } while (0)
#endif
