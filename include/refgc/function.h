// refgc/function.h: Function<R(Args...)>, a callback whose captured objects
// the collector can see (a Python closure).
//
// A std::function that captures a Ref hides that reference from the
// collector, so a cycle through it (a button holding a click handler that
// captures the button) is never freed. A Function names its captures instead:
// they are stored in a managed object that traces them, and handed to the
// callable as references at each call.
//
//   struct Button : refgc::Object {
//     refgc::Function<void(int)> on_click;
//     int clicks = 0;
//     void trace(refgc::Tracer& t) override { t(on_click); }
//   };
//   auto button = refgc::make<Button>();
//   button->on_click = refgc::Function<void(int)>(
//       [](Button& b, int n) { b.clicks += n; },   // captures first, then the arguments
//       button);                                   // the captured Refs
//   button->on_click(1);
//   button.reset();
//   refgc::gc::collect();   // 2: the button and the function object
//
// Requirements: the callable itself should not capture Refs (they would be
// invisible again); pass them as captures. A null function pointer, null
// member pointer or empty std::function is refused (std::invalid_argument,
// "refgc::Function: an empty callable"). Calling an empty Function throws
// std::bad_function_call. When a Function is part of garbage, the collector
// clears its captures; calling it after that (from a destructor or finalizer
// of other garbage that still reaches it) throws std::runtime_error, as
// Python raises NameError for a closure whose cell was cleared.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

namespace detail {

// A Function called after the collector cleared its captures (it was part
// of garbage that a destructor or finalizer still reaches).
[[noreturn]] inline void throw_cleared() {
  throw std::runtime_error(
      "refgc::Function: called after the collector cleared its captures (Python raises "
      "NameError for a closure whose cell was cleared)");
}

// A null function or member pointer, or an empty std::function: nothing
// to call (a Function made from one would jump to address 0 when called).
template <class F>
struct is_std_function : std::false_type {};
template <class Sig>
struct is_std_function<std::function<Sig>> : std::true_type {};
template <class F>
bool is_null_callable(const F& f) noexcept {
  if constexpr (std::is_pointer_v<F> || std::is_member_pointer_v<F>) {
    return f == nullptr;
  } else if constexpr (is_std_function<F>::value) {
    return !f;
  } else {
    return false;
  }
}

// "captures[i]", a Function's name for its i-th capture (src/object.cc).
std::string capture_reference_name(std::size_t i);

template <class Sig>
class FunctionBase;
template <class R, class... Args>
class FunctionBase<R(Args...)> : public Object {
 public:
  static constexpr const char* refgc_type_name = "function";
  virtual R call(Args... args) = 0;
};

template <class Sig, class F, class... Captures>
class FunctionImpl;
template <class R, class... Args, class F, class... Captures>
class FunctionImpl<R(Args...), F, Captures...> final : public FunctionBase<R(Args...)> {
 public:
  FunctionImpl(F f, Ref<Captures>... captures)
      : f_(std::move(f)), captures_(std::move(captures)...) {}
  R call(Args... args) override {
    return std::apply(
        [&](Ref<Captures>&... c) -> R {
          if (((!c) || ...)) throw_cleared();
          // std::invoke: a member function pointer is called on the first
          // capture; a void Function drops the callable's result (both as
          // std::function does).
          if constexpr (std::is_void_v<R>) {
            std::invoke(f_, *c..., std::forward<Args>(args)...);
          } else {
            return std::invoke(f_, *c..., std::forward<Args>(args)...);
          }
        },
        captures_);
  }
  void trace(Tracer& t) override {
    std::apply([&](Ref<Captures>&... c) { (t(c), ...); }, captures_);
  }
  // "captures[i]": the position of `target` among the captures (the
  // diagnostics' name for the link, as objgraph follows a closure's cells).
  // The text is built out of line: a Function type adds only the search.
  std::string reference_name(const Object& target) const override {
    std::size_t i = 0;
    const bool found = std::apply(
        [&](const Ref<Captures>&... c) {
          return ((static_cast<const Object*>(c.get()) == &target || (++i, false)) || ...);
        },
        captures_);
    return found ? capture_reference_name(i) : std::string();
  }

 private:
  F f_;
  std::tuple<Ref<Captures>...> captures_;
};

}  // namespace detail

template <class Sig>
class Function;

template <class R, class... Args>
class Function<R(Args...)> {
 public:
  // Empty: calling it throws std::bad_function_call.
  Function() = default;
  Function(std::nullptr_t) {}  // NOLINT: like std::function

  // `f` is called as f(*capture..., args...) (std::invoke: a member function
  // pointer is called on the first capture, `(capture0.*f)(args...)`; a void
  // Function drops what `f` returns). There may be any number of
  // captures, none included (the Function is still a tracked object); each
  // one must be a non-empty Ref (an empty one throws std::invalid_argument).
  template <class F, class... Captures>
  requires std::is_invocable_r_v<R, F&, Captures&..., Args...>
  explicit Function(F f, Ref<Captures>... captures) {
    if (detail::is_null_callable(f))
      throw std::invalid_argument("refgc::Function: an empty callable");
    if (((!captures) || ...)) throw std::invalid_argument("refgc::Function: an empty capture");
    object_ = make<detail::FunctionImpl<R(Args...), F, Captures...>>(std::move(f),
                                                                     std::move(captures)...);
  }

  // Calls the callable with the captures and args. Throws
  // std::bad_function_call when empty, std::runtime_error when the
  // collector cleared the captures (a Function that was garbage).
  // The call holds the function object (as Python holds a running closure):
  // a callable that replaces or clears this Function, or drops the last
  // reference to its owner, keeps its captures until it returns.
  R operator()(Args... args) const {
    if (!object_) throw std::bad_function_call();
    const Ref<detail::FunctionBase<R(Args...)>> running = object_;
    return running->call(std::forward<Args>(args)...);
  }
  // Whether there is something to call.
  explicit operator bool() const noexcept { return static_cast<bool>(object_); }

  // The managed object holding the captures (what trace() reports).
  const Ref<detail::FunctionBase<R(Args...)>>& object() const noexcept { return object_; }

 private:
  friend class Tracer;
  Ref<detail::FunctionBase<R(Args...)>> object_;
};

}  // namespace refgc
