// src/unraisable.cc: the unraisable hook (Python's sys.unraisablehook).
#include "refgc/unraisable.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <typeinfo>

#include "demangle.h"

namespace refgc {

namespace {

std::mutex hook_mutex;
UnraisableHook& hook_storage() {
  static UnraisableHook* hook = new UnraisableHook();
  return *hook;
}

void default_hook(const Unraisable& u) {
  std::fprintf(stderr, "%s: %s\n%s: %s\n", u.err_msg.c_str(), u.object.c_str(),
               u.type_name().c_str(), u.what().c_str());
  std::fflush(stderr);
}

}  // namespace

std::string Unraisable::type_name() const {
  if (!exception) return "unknown exception";
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return detail::demangle(typeid(e).name());
  } catch (...) {
    const std::type_info* t = abi::__cxa_current_exception_type();
    return t != nullptr ? detail::demangle(t->name()) : "unknown exception";
  }
}

std::string Unraisable::what() const {
  if (!exception) return {};
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "(not a std::exception)";
  }
}

UnraisableHook set_unraisable_hook(UnraisableHook hook) {
  std::lock_guard<std::mutex> lock(hook_mutex);
  UnraisableHook old = std::move(hook_storage());
  hook_storage() = std::move(hook);
  return old;
}

namespace {

// What both write_unraisable overloads do; `make` builds the report (it may
// throw std::bad_alloc, reported as a fixed line).
template <class Make>
void report_unraisable(Make make) noexcept {
  try {
    Unraisable u = make();
    UnraisableHook hook;
    {
      std::lock_guard<std::mutex> lock(hook_mutex);
      hook = hook_storage();
    }
    try {
      if (hook) {
        hook(u);
      } else {
        default_hook(u);
      }
    } catch (...) {
      // An exception from the hook itself: print it the default way.
      Unraisable inner{std::current_exception(), "Exception ignored in", "<unraisable hook>"};
      default_hook(inner);
    }
  } catch (...) {
    std::fputs("refgc: exception ignored (and out of memory reporting it)\n", stderr);
  }
}

}  // namespace

void write_unraisable(std::string object, std::string err_msg) noexcept {
  report_unraisable([&] {
    return Unraisable{std::current_exception(), std::move(err_msg), std::move(object)};
  });
}

void write_unraisable(const char* object, const char* err_msg) noexcept {
  report_unraisable([&] {
    return Unraisable{std::current_exception(), err_msg != nullptr ? err_msg : "",
                      object != nullptr ? object : ""};
  });
}

}  // namespace refgc
