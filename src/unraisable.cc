// src/unraisable.cc: the unraisable hook (Python's sys.unraisablehook).
#include "refgc/unraisable.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <typeinfo>
#include <utility>

#include "demangle.h"
#include "installed_callable.h"

namespace refgc {

namespace {

// The hook installed (none: default_hook), called itself, not a copy
// (src/installed_callable.h). Never destroyed: reports may come at exit.
detail::InstalledCallable<UnraisableHook>& installed_hook() {
  static auto* hook = new detail::InstalledCallable<UnraisableHook>();
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
  return installed_hook().exchange(std::move(hook));
}

namespace {

// What both write_unraisable overloads do; `make` builds the report (it may
// throw std::bad_alloc, reported as a fixed line).
template <class Make>
void report_unraisable(Make make) noexcept {
  try {
    Unraisable u = make();
    try {
      installed_hook().call(default_hook, u);
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
