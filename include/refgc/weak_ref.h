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
//     Str do; List and Dict refuse too, their subclasses accept, as in Python):
//     WeakRef to it does not compile, and a WeakRef<Base> to such an object
//     throws std::invalid_argument at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
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

class WeakRefObject;

// A weak reference's callback, kept inside the weak-reference object: a
// callable of up to 16 bytes (a lambda capturing a pointer or two, a
// Function's object) is stored in place, a larger one in a heap block whose
// address is stored instead. No std::function: that would take 32 bytes in
// every weak reference, callback or not, and allocate for any lambda larger
// than 16 bytes.
//
// `ops_` points to the stored type's operations, with flags in its low bits:
// kCallable (Python's __callback__ is not None: the callable has not run, or
// ran in a collection, whose handle_weakrefs leaves wr_callback in place) and
// kTraced (the stored value holds a managed object, a Function's, that the
// weak-reference object traces so that cycles through it are found). 0: no
// callback.
struct WeakCallbackOps {
  // Calls the callable (an exception goes to the unraisable hook), then sets
  // `ops_field` (the callback's own ops_) to 0 and destroys the stored value:
  // one indirect call for the whole callback at death.
  void (*run)(void* storage, std::uintptr_t& ops_field, WeakRefObject& w) noexcept;
  // Calls the callable (an exception goes to the unraisable hook) and keeps
  // the stored value: released later by reset(), or with the weak reference.
  void (*call)(void* storage, WeakRefObject& w) noexcept;
  void (*destroy)(void* storage) noexcept;
  void (*relocate)(void* to, void* from) noexcept;  // constructs at `to`, destroys `from`
  Ref<Object>* (*traced)(void* storage) noexcept;
};

// A callable F, and for kTraced the managed object it uses (F must not own
// it). Destroyed traced object first, then F.
template <class F, bool kTraced>
struct WeakCallable {
  F f;
  static Ref<Object>* traced() noexcept { return nullptr; }
};
template <class F>
struct WeakCallable<F, true> {
  WeakCallable(F fn, Ref<Object> t) : f(std::move(fn)), traced_(std::move(t)) {}
  WeakCallable(WeakCallable&&) noexcept(std::is_nothrow_move_constructible_v<F>) = default;
  ~WeakCallable() { traced_.reset(); }
  Ref<Object>* traced() noexcept { return &traced_; }
  F f;
  Ref<Object> traced_;
};

inline constexpr std::size_t kWeakCallbackInline = 2 * sizeof(void*);

// A callback threw: the unraisable hook (src/weak_core.cc).
void report_weak_callback_exception(const WeakRefObject& w) noexcept;

template <class S, bool kInline = sizeof(S) <= kWeakCallbackInline &&
                                  alignof(S) <= alignof(void*) &&
                                  std::is_nothrow_move_constructible_v<S>>
struct WeakCallbackOpsFor {
  static S& get(void* storage) noexcept {
    if constexpr (kInline) {
      return *std::launder(static_cast<S*>(storage));
    } else {
      return **std::launder(static_cast<S**>(storage));
    }
  }
  static void put(void* storage, S&& value) {
    if constexpr (kInline) {
      ::new (storage) S(std::move(value));
    } else {
      ::new (storage) S*(new S(std::move(value)));
    }
  }
  static void run(void* storage, std::uintptr_t& ops_field, WeakRefObject& w) noexcept {
    call(storage, w);
    ops_field = 0;  // empty before the value dies (its destructor may run user code)
    destroy(storage);
  }
  static void call(void* storage, WeakRefObject& w) noexcept {
    try {
      get(storage).f(w);
    } catch (...) {
      report_weak_callback_exception(w);
    }
  }
  static void destroy(void* storage) noexcept {
    if constexpr (kInline) {
      get(storage).~S();
    } else {
      delete &get(storage);
    }
  }
  static void relocate(void* to, void* from) noexcept {
    if constexpr (kInline) {
      ::new (to) S(std::move(get(from)));
      get(from).~S();
    } else {
      ::new (to) S*(&get(from));
    }
  }
  static Ref<Object>* traced(void* storage) noexcept { return get(storage).traced(); }
  static constexpr WeakCallbackOps ops{&run, &call, &destroy, &relocate, &traced};
};

class WeakCallback {
 public:
  static constexpr std::uintptr_t kCallable = 1;
  static constexpr std::uintptr_t kTraced = 2;

  WeakCallback() = default;
  // F is called as f(WeakRefObject&). Without `callable` only the traced
  // object is kept (the low-level WeakRef constructor given an empty
  // callback).
  template <class F>
  static WeakCallback make(F f) {
    return make_stored(WeakCallable<F, false>{std::move(f)}, 0);
  }
  template <class F>
  static WeakCallback make_traced(F f, Ref<Object> traced, bool callable = true) {
    return make_stored(WeakCallable<F, true>(std::move(f), std::move(traced)),
                       kTraced | (callable ? 0 : kNotCallable));
  }
  WeakCallback(WeakCallback&& o) noexcept : ops_(o.ops_) {
    if (ops_ != 0) ops()->relocate(storage_, o.storage_);
    o.ops_ = 0;
  }
  WeakCallback& operator=(WeakCallback&&) = delete;
  ~WeakCallback() { reset(); }

  // Not the shared callback-less weak reference.
  bool empty() const noexcept { return ops_ == 0; }
  bool callable() const noexcept { return (ops_ & kCallable) != 0; }
  Ref<Object>* traced() noexcept { return (ops_ & kTraced) ? ops()->traced(storage_) : nullptr; }
  // __callback__ becomes None; the stored value stays until reset().
  void disarm() noexcept { ops_ &= ~kCallable; }
  // Calls the callable, then empties the callback (reset()); the callable
  // and its traced object stay in place through the call.
  void call_and_reset(WeakRefObject& w) noexcept { ops()->run(storage_, ops_, w); }
  // Calls the callable; the stored value stays until reset() (or the weak
  // reference's death): see src/weak_core.cc on when CPython releases it.
  void call_and_keep(WeakRefObject& w) noexcept { ops()->call(storage_, w); }
  void reset() noexcept {
    if (ops_ == 0) return;
    const WeakCallbackOps* o = ops();
    ops_ = 0;
    o->destroy(storage_);
  }

 private:
  static constexpr std::uintptr_t kNotCallable = 4;  // only inside make_stored
  static constexpr std::uintptr_t kFlags = kCallable | kTraced;
  template <class S>
  static WeakCallback make_stored(S&& value, std::uintptr_t flags) {
    static_assert(alignof(WeakCallbackOps) > kFlags);
    WeakCallback cb;
    WeakCallbackOpsFor<S>::put(cb.storage_, std::move(value));
    cb.ops_ = reinterpret_cast<std::uintptr_t>(&WeakCallbackOpsFor<S>::ops) | (flags & kTraced) |
              ((flags & kNotCallable) ? 0 : kCallable);
    return cb;
  }
  const WeakCallbackOps* ops() const noexcept {
    return reinterpret_cast<const WeakCallbackOps*>(ops_ & ~kFlags);
  }
  std::uintptr_t ops_ = 0;
  alignas(void*) unsigned char storage_[kWeakCallbackInline];
};

// The weak-reference object (Python's PyWeakReference). Managed and
// reference-counted like any object; linked from its referent's weak list in
// the heap's side table while the referent lives.
//
// 64 bytes (the pool's 64-byte class): the header, the referent, the two list
// links and the callback. The hash is not stored: it is the referent's
// address, and `referent_` keeps it in its low bits' company:
//   alive        the referent's address (| kHashed once hash() was called)
//   dead         0, or the address | kHashed | kDead if hashed while alive
class WeakRefObject final : public Object {
 public:
  static constexpr bool weakrefable = false;
  // CPython's tp_name of weakref.ref, which gc's debug output and TypeError
  // messages print (its repr() still starts "<weakref at"): python3 3.11.7
  // prints "gc: collectable <weakref.ReferenceType 0x...>" (review
  // 2026-11-23, session 14: refgc printed <weakref 0x...>).
  static constexpr const char* refgc_type_name = "weakref.ReferenceType";

  explicit WeakRefObject(WeakCallback&& cb) noexcept : callback_(std::move(cb)) {}
  ~WeakRefObject() override;

  Object* referent() const noexcept {
    return (referent_ & kDead) ? nullptr : reinterpret_cast<Object*>(referent_ & ~kHashed);
  }
  bool has_callback() const noexcept { return callback_.callable(); }
  // The shared callback-less kind (no callback, no traced object): what
  // WeakRef(obj) returns again while one is alive, first in the weak list.
  bool is_basic() const noexcept { return callback_.empty(); }
  std::size_t hash() const;
  void trace(Tracer& t) override {
    if (Ref<Object>* r = callback_.traced()) t(*r);
  }
  std::string repr() const override;

 private:
  friend struct WeakAccess;
  static constexpr std::uintptr_t kHashed = 1;
  static constexpr std::uintptr_t kDead = 2;
  mutable std::uintptr_t referent_ = 0;
  WeakRefObject* prev_ = nullptr;  // the referent's weak list (src/weak_core.cc)
  WeakRefObject* next_ = nullptr;
  WeakCallback callback_;
};

static_assert(sizeof(void*) != 8 || sizeof(WeakRefObject) == 64,
              "a weak-reference object is 64 bytes on 64-bit targets (the pool's 64-byte class)");
static_assert(alignof(Object) > 2, "WeakRefObject keeps flags in the referent's low bits");

// src/weak_core.cc. `type_checked`: the caller knows that the referent's
// type is weakly referenceable (WeakRef<T> with T final: its dynamic type is
// T, checked at compile time), so the run-time lookup is skipped.
Ref<WeakRefObject> new_weakref(Object* referent, WeakCallback&& callback,
                               bool type_checked = false);
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
  explicit WeakRef(const Ref<T>& obj) : object_(bind(obj, {})) {}
  // weakref.ref(obj, callback): a new weak reference whose callback runs once
  // when obj dies, receiving this weak reference (already dead).
  WeakRef(const Ref<T>& obj, Callback callback) : object_(bind(obj, wrap(std::move(callback)))) {}
  // The same for any callable: stored as it is, next to the weak reference
  // (a lambda needs no allocation of its own).
  template <class F>
  requires(std::is_invocable_v<F&, const WeakRef<T>&> &&
           !std::is_same_v<std::remove_cvref_t<F>, Callback> &&
           !std::is_same_v<std::remove_cvref_t<F>, Function<void(const WeakRef<T>&)>>)
      WeakRef(const Ref<T>& obj, F&& callback)
      : object_(bind(obj, detail::WeakCallback::make(
                              [f = std::forward<F>(callback)](detail::WeakRefObject& w) mutable {
                                call_borrowed(f, w);
                              }))) {}
  // With a traceable callback: the weak-reference object holds the Function
  // and traces it, so a cycle through the callback's captures is found.
  template <class F>
  requires std::is_same_v<std::remove_cvref_t<F>, Function<void(const WeakRef<T>&)>> WeakRef(
      const Ref<T>& obj, const F& callback)
      : object_(bind(obj, wrap_function(callback))) {}
  // Low level: any callback plus a managed object the weak-reference object
  // holds and traces (the callback must not own it).
  WeakRef(const Ref<T>& obj, Callback callback, Ref<Object> traced_callback)
      : object_(bind(obj, wrap(std::move(callback), std::move(traced_callback)))) {}

  // w(): a new strong reference to the referent, or null once it died.
  // Calling through a null one, `w()->f()`, throws std::logic_error
  // ("dereferencing an empty refgc::Ref<T>"), as Python's `w().f()` raises
  // AttributeError on None (refgc has no weakref.proxy, whose ReferenceError
  // this stands in for).
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
  // Whether the referent lives (w() would return it), without making a
  // strong reference. False for an empty WeakRef.
  bool alive() const noexcept {
    REFGC_DEBUG_REQUIRE_HEAP("reads a WeakRef");
    Object* o = object_ ? object_->referent() : nullptr;
    return o != nullptr && o->refcount() > 0;
  }
  // Whether this handle is bound to no weak-reference object at all
  // (default-constructed, moved from, or reset()); not the same as dead.
  bool empty() const noexcept { return !object_; }
  // Lets the weak-reference object go (Python's `del w`): this WeakRef is
  // empty afterwards. A callback it carried never runs if that was the last
  // handle to it (a weak reference that dies first never calls back).
  void reset() noexcept { object_.reset(); }

  // hash(ref): the referent's hash (its identity), cached; a dead weak
  // reference never hashed while alive throws std::logic_error ("weak object
  // has gone away"). It agrees with == only for referents compared by
  // identity: weak references to equal but distinct List, Dict or other
  // objects whose equals() compares values are == yet hash differently, so do
  // not key hashed containers by them (Python refuses to hash those:
  // TypeError, unhashable type).
  std::size_t hash() const { return object_ ? object_->hash() : 0; }

  // Both alive: the referents compare equal (identity or equals(), like
  // Python's ==). Otherwise: the same weak-reference object.
  friend bool operator==(const WeakRef& a, const WeakRef& b) {
    if (a.alive() && b.alive()) {
      // Both held through equals(), user code that may drop either (CPython's
      // weakref_richcompare increfs both referents; review 2026-11-23).
      const Ref<Object> x(a.object_->referent());
      const Ref<Object> y(b.object_->referent());
      return x == y || detail::equal_objects(*x, *y);
    }
    return a.object_ == b.object_;
  }
  // Python's `is` on weak-reference objects.
  friend bool is(const WeakRef& a, const WeakRef& b) noexcept { return a.object_ == b.object_; }

  // The weak-reference object itself (what the collector and getweakrefs()
  // see; empty for a default-constructed WeakRef), and a WeakRef from one.
  // Low level: from_object() does not check that the referent is a T.
  const Ref<detail::WeakRefObject>& object() const noexcept { return object_; }
  static WeakRef from_object(Ref<detail::WeakRefObject> o) noexcept {
    WeakRef w;
    w.object_ = std::move(o);
    return w;
  }

 private:
  friend class Tracer;
  // Calls f(weak reference to w), the handle borrowing the reference the
  // caller holds on w through the call (src/weak_core.cc holds every weak
  // reference whose callback runs): no count traffic on w per callback.
  template <class F>
  static void call_borrowed(F& f, detail::WeakRefObject& w) {
    struct Borrowed {
      WeakRef r;
      ~Borrowed() { (void)r.object_.release_unsafe_(); }
    } b{from_object(detail::RefAccess::adopt(&w))};
    f(std::as_const(b.r));
  }
  static Ref<detail::WeakRefObject> bind(const Ref<T>& obj, detail::WeakCallback&& cb) {
    static_assert(detail::kIsManaged<T>, "refgc::WeakRef<T> needs T to derive from refgc::Object");
    static_assert(detail::declared_weakrefable<T>(),
                  "refgc::WeakRef<T>: T cannot be weakly referenced (it declares "
                  "weakrefable = false, like Python's int and str)");
    if (!obj) throw std::invalid_argument("cannot create weak reference to an empty Ref");
    return detail::new_weakref(static_cast<Object*>(obj.get()), std::move(cb), std::is_final_v<T>);
  }
  static detail::WeakCallback wrap_function(const Function<void(const WeakRef<T>&)>& fn) {
    if (!fn) return {};
    auto* raw = fn.object().get();  // owned (and traced) by the weak-reference object
    return detail::WeakCallback::make_traced(
        [raw](detail::WeakRefObject& w) {
          auto call = [raw](const WeakRef& r) { raw->call(r); };
          call_borrowed(call, w);
        },
        Ref<Object>(fn.object()));
  }
  // An empty callback and no traced object: the shared callback-less weak
  // reference. An empty callback with a traced object: a weak reference of
  // its own that holds the object and has no callback.
  static detail::WeakCallback wrap(Callback cb, Ref<Object> traced = nullptr) {
    if (!cb && !traced) return {};
    const bool callable = static_cast<bool>(cb);
    return detail::WeakCallback::make_traced(
        [cb = std::move(cb)](detail::WeakRefObject& w) { call_borrowed(cb, w); }, std::move(traced),
        callable);
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
  // Empty (what a dead WeakMethod gives), or `self` and its method.
  BoundMethod() = default;
  BoundMethod(Ref<T> self, Method method) : self_(std::move(self)), method_(method) {}
  // Whether there is a receiver to call.
  explicit operator bool() const noexcept { return static_cast<bool>(self_); }
  // Calls the method; throws std::logic_error when empty.
  // The receiver is held for the call: the method may drop this
  // BoundMethod, the receiver's last strong reference (Python's bound
  // method holds its __self__; review 2026-11-23).
  R operator()(Args... args) const {
    if (!self_) throw std::logic_error("calling a dead WeakMethod's bound method");
    const Ref<T> self = self_;
    return ((*self).*method_)(std::forward<Args>(args)...);
  }
  // The receiver (__self__); equal when the same receiver and method.
  const Ref<T>& self() const noexcept { return self_; }
  friend bool operator==(const BoundMethod& a, const BoundMethod& b) noexcept {
    return a.self_ == b.self_ && a.method_ == b.method_;
  }

 private:
  friend class Tracer;  // t(bound): the receiver, as a member Ref
  Ref<T> self_;
  Method method_ = nullptr;
};

// weakref.WeakMethod: a weak receiver plus a member function. Unlike a weak
// reference to a temporary bound method (which dies at once), it stays valid
// while the receiver lives.
//   refgc::WeakMethod<Observer, void(int)> m(observer, &Observer::update);
//   if (auto bound = m()) bound(42);
// The optional callback runs when the receiver dies and is given the weak
// reference to the receiver (a WeakRef<T>), not the WeakMethod: a WeakMethod
// is a value that copies share nothing with (Python passes the WeakMethod
// object itself). Two WeakMethods are == when both receivers are alive and
// == and the member functions are the same, or, once one receiver died,
// when they share the same weak reference and member function (Python:
// `self is other`; here a copy, or another callback-less WeakMethod of the
// same receiver, since those share the callback-less weak reference).
template <class T, class Sig>
class WeakMethod;
template <class T, class R, class... Args>
class WeakMethod<T, R(Args...)> {
 public:
  using Method = R (T::*)(Args...);
  // weakref.WeakMethod(obj.method[, callback]). Throws
  // std::invalid_argument for a null member function or an empty receiver.
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
  // Whether the receiver lives.
  bool alive() const noexcept { return self_.alive(); }
  friend bool operator==(const WeakMethod& a, const WeakMethod& b) {
    return a.method_ == b.method_ && a.self_ == b.self_;
  }

 private:
  friend class Tracer;  // t(weak_method): its weak reference, as a WeakRef member
  WeakRef<T> self_;
  Method method_;
};

}  // namespace refgc
