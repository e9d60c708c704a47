// src/installed_callable.h: a process-wide user callable that refgc calls
// (the unraisable hook, src/unraisable.cc; the gc debug sink,
// src/gc_api.cc), replaceable from any thread while calls of it run.
//
// Each call runs the installed object itself, not a copy, so that state it
// keeps (a mutable lambda's captures, a functor's members) lasts to its
// next call, as Python's sys.unraisablehook is the callable itself (python3
// 3.11.7: a callable object counting its calls counts 1, 2). A call holds
// the object through a shared_ptr, so replacing it meanwhile (on another
// thread, or the callable replacing itself) does not destroy it under the
// call.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>

namespace refgc::detail {

template <class F>  // a std::function
class InstalledCallable {
 public:
  // Installs f (empty: none) and returns the previous one (empty if none):
  // the object itself, its state with it; while a call of it runs, that
  // call keeps it and the caller gets an F that calls the same object. May
  // throw std::bad_alloc, and nothing changed then.
  F exchange(F f) {
    std::shared_ptr<Slot> next = f ? std::make_shared<Slot>(Slot{std::move(f)}) : nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    std::shared_ptr<Slot> old = std::exchange(slot_, std::move(next));
    if (!old) return {};
    if (old->running == 0) return std::move(old->f);
    return [shared = std::move(old)](auto&&... args) {
      shared->f(std::forward<decltype(args)>(args)...);
    };
  }

  // Calls the installed callable with args, or fallback(args...) when none
  // is installed. Exceptions from either propagate.
  template <class Fallback, class... A>
  void call(Fallback&& fallback, A&&... args) {
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slot = slot_;
      if (slot) ++slot->running;
    }
    // Ends the call under the mutex, also when the call throws; then a
    // callable replaced meanwhile may die with `slot`, outside the mutex
    // (its captures' destructors may report through it too).
    struct EndCall {
      InstalledCallable& self;
      Slot* slot;
      ~EndCall() {
        if (slot == nullptr) return;
        std::lock_guard<std::mutex> lock(self.mutex_);
        --slot->running;
      }
    } end_call{*this, slot.get()};
    if (slot) {
      slot->f(std::forward<A>(args)...);
    } else {
      std::forward<Fallback>(fallback)(std::forward<A>(args)...);
    }
  }

 private:
  struct Slot {
    F f;
    std::size_t running = 0;  // calls of it running now (under mutex_)
  };
  std::mutex mutex_;
  std::shared_ptr<Slot> slot_;
};

}  // namespace refgc::detail
