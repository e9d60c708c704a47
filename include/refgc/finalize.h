// refgc/finalize.h: finalize(obj, fn), Python's weakref.finalize.
//
//   auto f = refgc::finalize(resource, [] { std::puts("closed"); });
//   f.alive();            // true
//   resource.reset();     // "closed": fn runs once when the object dies
//   f.alive();            // false
//
// The finalizer keeps itself alive (a registry holds it) until it has run or
// been detached, so dropping the returned handle does not cancel it. It runs
// when the object dies by refcount or in the collector (from a weak-reference
// callback, so before the object's own finalize() in a collection). At heap
// shutdown the finalizers still alive with atexit() true run in reverse order
// of creation, with automatic collection off meanwhile (as Python's atexit
// hook disables gc); the others never run (an object that dies after that
// runs nothing, as after Python's finalize shutdown hook). For the default
// heap that is at process exit, from a std::atexit handler that its first
// finalize() registers, as CPython's first finalize object registers
// finalize._exitfunc with atexit: exit handlers registered before that run
// after the finalizers (one they make never runs), those registered after it
// run before them. fn must not hold a strong
// reference to the object (it would never die), directly or through what it
// captures: the registry holds fn from outside the heap, so a captured
// closure whose environment reaches the object keeps it alive for good, and
// no collection can tell (examples/mini_scheme.cc: a thunk made in the frame
// that held the object). Exceptions from fn go to the unraisable hook, in
// "<finalize object at 0x...; dead>" as CPython reports them (the repr of a
// finalize object, dead once its call began); at heap shutdown too, where
// Python's finalize._exitfunc hands them to sys.excepthook (a traceback, no
// "Exception ignored in"): refgc has no excepthook. A direct call f() lets
// them propagate.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "refgc/weak_ref.h"

namespace refgc {

namespace detail {
struct FinalizerState;
}

class Finalizer {
 public:
  struct Info {
    Ref<Object> object;          // a strong reference to the object
    std::function<void()> func;  // what would run
  };

  Finalizer() = default;

  // True until fn has run or the finalizer was detached. Like every other
  // member, call it on the thread that holds the object's heap (refgc/heap.h):
  // the state it reads is not synchronized.
  bool alive() const noexcept;
  // f(): if alive, mark dead and run fn now (returns true); otherwise false.
  // (Python's f() returns fn's result, or None.) After its heap's shutdown
  // it marks the finalizer dead and runs nothing (false), as Python's.
  bool operator()();
  // f.detach(): if alive, mark dead without running fn and return what it
  // would have run; otherwise nothing.
  std::optional<Info> detach();
  // f.peek(): the same, without detaching. Info::func is a copy of fn
  // (Python gives the function object itself): calling it does not change
  // what the registered one captured by value.
  std::optional<Info> peek() const;
  // Whether fn runs at heap shutdown if still alive (default true). As in
  // Python, a dead finalizer (run or detached) reports false and ignores the
  // setter.
  bool atexit() const noexcept;
  void set_atexit(bool value) noexcept;

 private:
  template <class T>
  friend Finalizer finalize(const Ref<T>& obj, std::function<void()> func);
  static Finalizer create(const Ref<Object>& obj, std::function<void()> func);
  std::shared_ptr<detail::FinalizerState> state_;
};

// Registers `func` to run once when `obj` dies. Throws std::invalid_argument
// for an empty Ref, an object that cannot be weakly referenced, or an empty
// func.
template <class T>
Finalizer finalize(const Ref<T>& obj, std::function<void()> func) {
  static_assert(detail::declared_weakrefable<T>(),
                "refgc::finalize: T cannot be weakly referenced (weakrefable = false)");
  REFGC_DEBUG_REQUIRE_HEAP("calls refgc::finalize()");
  return Finalizer::create(Ref<Object>(obj), std::move(func));
}

namespace detail {
// Runs the heap's live atexit finalizers, newest first (heap.cc calls it at
// shutdown).
void run_atexit_finalizers(Heap& heap) noexcept;
// Detaches the heap's remaining finalizers (heap destruction).
void drop_finalizers(Heap& heap) noexcept;
}  // namespace detail

}  // namespace refgc
