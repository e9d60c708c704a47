// refgc/weak_ref.h: weak references (Python's weakref.ref, getweakrefcount,
// getweakrefs, WeakMethod).
//
//   auto obj = refgc::make<Node>();
//   refgc::WeakRef<Node> w(obj);                         // no change to the count
//   refgc::WeakRef<Node> w2(obj, [](const refgc::WeakRef<Node>& dead) {
//     std::puts("obj died");                             // runs once, at death
//   });
//   if (refgc::Ref<Node> strong = w()) { ... }           // a new strong reference
//   obj.reset();                                         // "obj died"; w() is null
//
// Semantics are CPython 3.11's (docs/design/weakrefs.md):
//   * Holding, copying or dropping a WeakRef never changes the referent's count.
//     A WeakRef handle shares one weak-reference object; callback-less weak
//     references to the same object are one shared object (ref(o) is ref(o)).
//   * When the referent dies, every weak reference to it is cleared before any
//     callback runs; callbacks run newest first, once each; a callback whose
//     weak reference died first never runs; exceptions go to the unraisable
//     hook.
//   * Refcount death: finalize() runs first (weak references still alive inside
//     it; a resurrecting finalizer keeps them). Collector death: weak
//     references to garbage are cleared and the callbacks of weak references
//     that are not garbage themselves run before any finalize(), and they stay
//     dead even if the object is resurrected.
//   * A type opts out with `static constexpr bool weakrefable = false;` (Int and
//     Str do): WeakRef to it does not compile, and a WeakRef<Base> to such an
//     object throws std::invalid_argument at run time.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "refgc/function.h"
#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

template <class T>
class WeakRef;

namespace detail {

// The weak-reference object (Python's PyWeakReference). Managed and
// reference-counted like any object; linked from its referent's weak list in
// the heap's side table while the referent lives.
class WeakRefObject final : public Object {
 public:
  static constexpr bool weakrefable = false;
  static constexpr const char* refgc_type_name = "weakref";
  using Callback = std::function<void(WeakRefObject&)>;

  WeakRefObject(Callback callback, Ref<Object> traced_callback)
      : callback_(std::move(callback)), traced_callback_(std::move(traced_callback)) {}
  ~WeakRefObject() override;

  Object* referent() const noexcept { return referent_; }
  bool has_callback() const noexcept { return static_cast<bool>(callback_); }
  std::size_t hash() const;
  void trace(Tracer& t) override { t(traced_callback_); }
  std::string repr() const override;

 private:
  friend struct WeakAccess;
  Object* referent_ = nullptr;
  WeakRefObject* prev_ = nullptr;  // the referent's weak list (src/weak_core.cc)
  WeakRefObject* next_ = nullptr;
  Callback callback_;
  Ref<Object> traced_callback_;  // a Function's object, so cycles through it are found
  mutable std::size_t hash_ = 0;
  mutable bool hashed_ = false;
};

// src/weak_core.cc
Ref<WeakRefObject> new_weakref(Object* referent, WeakRefObject::Callback callback,
                               Ref<Object> traced_callback);
std::size_t weakref_count(const Object& o) noexcept;
std::vector<Ref<WeakRefObject>> weakrefs_of(const Object& o);
bool is_weakrefable(const Object& o);

}  // namespace detail

// A weak reference to a T. Empty (default-constructed) or bound to a
// weak-reference object, alive or dead.
// T may be incomplete where the WeakRef is declared (a weak parent pointer
// inside T itself); it is checked where a WeakRef is bound.
template <class T>
class WeakRef {
 public:
  using Callback = std::function<void(const WeakRef<T>&)>;

  WeakRef() = default;
  // weakref.ref(obj): shares the object's callback-less weak reference.
  explicit WeakRef(const Ref<T>& obj) : object_(bind(obj, nullptr, nullptr)) {}
  // weakref.ref(obj, callback): a new weak reference whose callback runs once
  // when obj dies, receiving this weak reference (already dead).
  WeakRef(const Ref<T>& obj, Callback callback)
      : object_(bind(obj, wrap(std::move(callback)), nullptr)) {}
  // The same for any callable: stored as it is (a small lambda needs no
  // allocation of its own).
  template <class F>
  requires(std::is_invocable_v<F&, const WeakRef<T>&> &&
           !std::is_same_v<std::remove_cvref_t<F>, Callback> &&
           !std::is_same_v<std::remove_cvref_t<F>, Function<void(const WeakRef<T>&)>>)
      WeakRef(const Ref<T>& obj, F&& callback)
      : object_(bind(
            obj,
            [f = std::forward<F>(callback)](detail::WeakRefObject& w) mutable {
              f(WeakRef::from_object(Ref<detail::WeakRefObject>(&w)));
            },
            nullptr)) {}
  // With a traceable callback: the weak-reference object holds the Function
  // and traces it, so a cycle through the callback's captures is found.
  template <class F>
  requires std::is_same_v<std::remove_cvref_t<F>, Function<void(const WeakRef<T>&)>> WeakRef(
      const Ref<T>& obj, const F& callback)
      : object_(bind(obj, wrap_function(callback), Ref<Object>(callback.object()))) {}
  // Low level: any callback plus a managed object the weak-reference object
  // holds and traces (the callback must not own it).
  WeakRef(const Ref<T>& obj, Callback callback, Ref<Object> traced_callback)
      : object_(bind(obj, wrap(std::move(callback)), std::move(traced_callback))) {}

  // w(): a new strong reference to the referent, or null once it died.
  //
  // The returned Ref is a temporary that lives to the end of the full
  // expression, and keeps the referent alive until then (Python's `w()` is
  // released sooner). So do not test and collect in one expression:
  //   log(w() ? "alive" : "dead", gc::collect());   // w()'s Ref is still held
  // Use alive() to test, or let the Ref go out of scope first.
  Ref<T> operator()() const { return lock(); }
  // A referent whose count already reached 0 (its death deferred by the
  // trashcan) is dead too, as in CPython (gh-60806).
  Ref<T> lock() const {
    REFGC_DEBUG_REQUIRE_HEAP("calls a WeakRef");
    Object* o = object_ ? object_->referent() : nullptr;
    return o != nullptr && o->refcount() > 0 ? Ref<T>(static_cast<T*>(o)) : Ref<T>();
  }
  bool alive() const noexcept {
    REFGC_DEBUG_REQUIRE_HEAP("reads a WeakRef");
    Object* o = object_ ? object_->referent() : nullptr;
    return o != nullptr && o->refcount() > 0;
  }
  bool empty() const noexcept { return !object_; }

  // hash(ref): the referent's hash (its identity), cached; a dead weak
  // reference never hashed while alive throws std::logic_error ("weak object
  // has gone away").
  std::size_t hash() const { return object_ ? object_->hash() : 0; }

  // Both alive: the referents compare equal (identity or equals(), like
  // Python's ==). Otherwise: the same weak-reference object.
  friend bool operator==(const WeakRef& a, const WeakRef& b) {
    if (a.alive() && b.alive()) {
      const Object* x = a.object_->referent();
      const Object* y = b.object_->referent();
      return x == y || x->equals(*y);
    }
    return a.object_ == b.object_;
  }
  // Python's `is` on weak-reference objects.
  friend bool is(const WeakRef& a, const WeakRef& b) noexcept { return a.object_ == b.object_; }

  const Ref<detail::WeakRefObject>& object() const noexcept { return object_; }
  static WeakRef from_object(Ref<detail::WeakRefObject> o) noexcept {
    WeakRef w;
    w.object_ = std::move(o);
    return w;
  }

 private:
  friend class Tracer;
  static Ref<detail::WeakRefObject> bind(const Ref<T>& obj, detail::WeakRefObject::Callback cb,
                                         Ref<Object> traced) {
    static_assert(detail::kIsManaged<T>, "refgc::WeakRef<T> needs T to derive from refgc::Object");
    static_assert(detail::declared_weakrefable<T>(),
                  "refgc::WeakRef<T>: T cannot be weakly referenced (it declares "
                  "weakrefable = false, like Python's int and str)");
    if (!obj) throw std::invalid_argument("cannot create weak reference to an empty Ref");
    return detail::new_weakref(static_cast<Object*>(obj.get()), std::move(cb), std::move(traced));
  }
  static detail::WeakRefObject::Callback wrap_function(
      const Function<void(const WeakRef<T>&)>& fn) {
    if (!fn) return nullptr;
    auto* raw = fn.object().get();  // owned (and traced) by the weak-reference object
    return [raw](detail::WeakRefObject& w) {
      raw->call(WeakRef::from_object(Ref<detail::WeakRefObject>(&w)));
    };
  }
  static detail::WeakRefObject::Callback wrap(Callback cb) {
    if (!cb) return nullptr;
    return [cb = std::move(cb)](detail::WeakRefObject& w) {
      cb(WeakRef::from_object(Ref<detail::WeakRefObject>(&w)));
    };
  }
  Ref<detail::WeakRefObject> object_;
};

// weakref.getweakrefcount(obj): weak-reference objects pointing to obj.
template <class T>
std::size_t getweakrefcount(const Ref<T>& obj) noexcept {
  return obj ? detail::weakref_count(*obj) : 0;
}
// weakref.getweakrefs(obj): in CPython's list order (the shared callback-less
// one first, then the others newest first).
template <class T>
std::vector<WeakRef<T>> getweakrefs(const Ref<T>& obj) {
  std::vector<WeakRef<T>> out;
  if (!obj) return out;
  for (auto& w : detail::weakrefs_of(*obj)) out.push_back(WeakRef<T>::from_object(std::move(w)));
  return out;
}

// A method bound to a strong receiver: what WeakMethod gives while alive.
template <class T, class Sig>
class BoundMethod;
template <class T, class R, class... Args>
class BoundMethod<T, R(Args...)> {
 public:
  using Method = R (T::*)(Args...);
  BoundMethod() = default;
  BoundMethod(Ref<T> self, Method method) : self_(std::move(self)), method_(method) {}
  explicit operator bool() const noexcept { return static_cast<bool>(self_); }
  R operator()(Args... args) const {
    if (!self_) throw std::logic_error("calling a dead WeakMethod's bound method");
    return ((*self_).*method_)(std::forward<Args>(args)...);
  }
  const Ref<T>& self() const noexcept { return self_; }
  friend bool operator==(const BoundMethod& a, const BoundMethod& b) noexcept {
    return a.self_ == b.self_ && a.method_ == b.method_;
  }

 private:
  Ref<T> self_;
  Method method_ = nullptr;
};

// weakref.WeakMethod: a weak receiver plus a member function. Unlike a weak
// reference to a temporary bound method (which dies at once), it stays valid
// while the receiver lives.
//   refgc::WeakMethod<Observer, void(int)> m(observer, &Observer::update);
//   if (auto bound = m()) bound(42);
template <class T, class Sig>
class WeakMethod;
template <class T, class R, class... Args>
class WeakMethod<T, R(Args...)> {
 public:
  using Method = R (T::*)(Args...);
  WeakMethod(const Ref<T>& self, Method method) : self_(self), method_(method) {
    if (method == nullptr) throw std::invalid_argument("WeakMethod needs a member function");
  }
  WeakMethod(const Ref<T>& self, Method method, typename WeakRef<T>::Callback callback)
      : self_(self, std::move(callback)), method_(method) {
    if (method == nullptr) throw std::invalid_argument("WeakMethod needs a member function");
  }
  // A new bound method (strong receiver), or an empty one once the receiver died.
  BoundMethod<T, R(Args...)> operator()() const {
    Ref<T> self = self_();
    return self ? BoundMethod<T, R(Args...)>(std::move(self), method_)
                : BoundMethod<T, R(Args...)>();
  }
  bool alive() const noexcept { return self_.alive(); }

 private:
  WeakRef<T> self_;
  Method method_;
};

}  // namespace refgc
