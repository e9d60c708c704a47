// refgc/unraisable.h: Python's sys.unraisablehook.
//
// Exceptions thrown where nobody can catch them -- by finalize(), by a
// destructor run from a refcount drop, by weak-reference callbacks, by gc
// callbacks -- are handed to the unraisable hook and execution goes on.
//
//   refgc::set_unraisable_hook([](const refgc::Unraisable& u) {
//     log(u.err_msg, u.object, u.what());
//   });
//
// The default hook prints what CPython prints:
//   Exception ignored in: <finalize of Mortal at 0x55d0c8a0>
//   std::runtime_error: name 'name' is not defined
#pragma once

#include <exception>
#include <functional>
#include <string>

namespace refgc {

struct Unraisable {
  std::exception_ptr exception;  // what was thrown
  std::string err_msg;           // "Exception ignored in" (CPython's default)
  std::string object;            // where: e.g. "<finalize of Node at 0x...>"
  // The exception's type name and what() message, or "unknown exception".
  std::string type_name() const;
  std::string what() const;
};

using UnraisableHook = std::function<void(const Unraisable&)>;

// Installs `hook` (an empty function restores the default) and returns the
// previous one. Process-wide: one hook for every heap and thread, set and
// called safely from any thread. Each report calls the installed hook
// itself, not a copy, so that state it keeps (a mutable lambda's captures)
// lasts from one call to the next, as sys.unraisablehook is the callable
// itself. It runs on the thread whose code threw, on several threads at once
// when heaps are used on several: a hook that keeps state must guard it.
// The hook returned is the previous one itself, or, while a call of that
// one still runs (the hook replacing itself, or a report on another
// thread), a hook that calls it.
UnraisableHook set_unraisable_hook(UnraisableHook hook);

// Sends the exception currently being handled to the hook. Call only inside a
// catch block. Used by refgc itself; available to user code that wants the
// same treatment for its own callbacks.
void write_unraisable(std::string object, std::string err_msg = "Exception ignored in") noexcept;
// The same with C strings, copied inside: no allocation in the caller, so a
// noexcept caller's catch block cannot throw std::bad_alloc making the
// strings (out of memory, the report is a fixed line on stderr instead). A
// null pointer reads as an empty string.
void write_unraisable(const char* object, const char* err_msg = "Exception ignored in") noexcept;

}  // namespace refgc
