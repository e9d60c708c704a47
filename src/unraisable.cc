// src/unraisable.cc: the unraisable hook (Python's sys.unraisablehook).
#include "refgc/unraisable.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <typeinfo>
#include <utility>

#include "demangle.h"

namespace refgc {

namespace {

// The hook installed (null: the default), shared with the calls of it
// running now. Each call runs the installed hook itself, not a copy, so that
// state it keeps (a mutable lambda's captures, a functor's members) lasts
// to its next call, as sys.unraisablehook is the callable itself (python3
// 3.11.7: a callable object counting its calls counts 1, 2). A copy per
// call lost that state, and allocated on the path of every report.
struct InstalledHook {
  UnraisableHook hook;
  std::size_t running = 0;  // calls of it running now (under hook_mutex)
};
std::mutex hook_mutex;
std::shared_ptr<InstalledHook>& hook_storage() {
  static auto* hook = new std::shared_ptr<InstalledHook>();
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
  // May throw std::bad_alloc: nothing changed then.
  std::shared_ptr<InstalledHook> next =
      hook ? std::make_shared<InstalledHook>(InstalledHook{std::move(hook)}) : nullptr;
  std::lock_guard<std::mutex> lock(hook_mutex);
  std::shared_ptr<InstalledHook> old = std::exchange(hook_storage(), std::move(next));
  if (!old) return {};
  // The previous hook itself, its state with it; while a call of it runs
  // (on another thread, or the hook replacing itself), that call keeps it,
  // and the caller gets a hook that calls the same object.
  if (old->running == 0) return std::move(old->hook);
  return [shared = std::move(old)](const Unraisable& u) { shared->hook(u); };
}

namespace {

// What both write_unraisable overloads do; `make` builds the report (it may
// throw std::bad_alloc, reported as a fixed line).
template <class Make>
void report_unraisable(Make make) noexcept {
  try {
    Unraisable u = make();
    std::shared_ptr<InstalledHook> hook;
    {
      std::lock_guard<std::mutex> lock(hook_mutex);
      hook = hook_storage();
      if (hook) ++hook->running;
    }
    struct EndCall {  // also when the default printing below throws
      InstalledHook* hook;
      ~EndCall() {
        if (hook == nullptr) return;
        std::lock_guard<std::mutex> lock(hook_mutex);
        --hook->running;
      }
    } end_call{hook.get()};
    try {
      if (hook) {
        hook->hook(u);
      } else {
        default_hook(u);
      }
    } catch (...) {
      // An exception from the hook itself: print it the default way.
      Unraisable inner{std::current_exception(), "Exception ignored in", "<unraisable hook>"};
      default_hook(inner);
    }
    // (end_call ends the call under the mutex; then a hook replaced
    // meanwhile may die, outside it: its captures' destructors may report
    // too.)
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
