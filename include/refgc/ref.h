// refgc/ref.h: Ref<T>, the strong handle, and make<T>().
//
//   auto a = refgc::make<Node>(args...);   // Python: a = Node(args)   (count 1)
//   refgc::Ref<Node> b = a;                // b = a                   (count 2)
//   b.reset();                             // del b                   (count 1)
//   a = nullptr;                           // a = None: Node dies now (count 0)
//
// A Ref owns one reference. Copying adds one, destroying or resetting removes
// one, moving transfers it without touching the count. Upcasts are implicit
// (Ref<Derived> -> Ref<Base>); downcasts use ref_cast (checked) or
// static_ref_cast. `==` on handles compares identity, like Python's `is`;
// compare values with `*a == *b`.
//
// The Python builtins that read references live here too: getrefcount, id,
// is, getsizeof.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "refgc/detail/heap_fast.h"
#include "refgc/object.h"

namespace refgc {

template <class T>
class Ref;

namespace detail {

template <class T>
inline constexpr bool kIsManaged = std::is_base_of_v<Object, T>;

// T has member begin() and end() (List, Dict, LruCache, BufferOf,
// BufferView, a type of yours): Ref<T> is then a range too.
template <class T>
concept member_range = requires(T& t) {
  t.begin();
  t.end();
};

template <class T>
constexpr void require_managed() {
  static_assert(kIsManaged<T>,
                "refgc::Ref<T> needs T to derive from refgc::Object: "
                "only managed objects (struct T : refgc::Object) can be "
                "reference-counted and collected");
}

// Per-type facts recorded at the first make<T>().
struct TypeInfo {
  const std::type_info* type;
  std::size_t size;
};
void register_type(const std::type_info& type, std::size_t size, const char* name,
                   bool weakrefable);

// Specialized true for List<T> and Dict<K, V> themselves (list.h, dict.h):
// they refuse weak references as Python's list and dict do, while their
// subclasses accept them, as Python's do (a static `weakrefable = false`
// would be inherited).
template <class T>
struct refuses_weakrefs_exactly : std::false_type {};

// A type opts out of weak references with `static constexpr bool weakrefable
// = false;` (Int and Str do, like Python's int and str; a subclass inherits
// the choice, as Python's int subclasses do).
template <class T>
constexpr bool declared_weakrefable() {
  if constexpr (refuses_weakrefs_exactly<T>::value) {
    return false;
  } else if constexpr (requires { T::weakrefable; }) {
    return T::weakrefable;
  } else {
    return true;
  }
}

// A type may name itself for diagnostics and gc debug output:
//   struct Node : refgc::Object { static constexpr const char* refgc_type_name = "Node"; };
// Otherwise the demangled C++ name is used. The name is inherited (a static
// member): a subclass that should be counted apart declares its own.
template <class T>
constexpr const char* declared_type_name() {
  if constexpr (requires { T::refgc_type_name; }) {
    return T::refgc_type_name;
  } else {
    return nullptr;
  }
}
std::size_t registered_size(const Object& obj) noexcept;

// Object's trace() and finalize() are public: one make<T>() cannot name
// (private or protected in T or a base) is an override (review 2026-11-23,
// session 15: private overrides did not compile).
template <class T>
constexpr bool overrides_trace() {
  if constexpr (requires { &T::trace; }) {
    return !std::is_same_v<decltype(&T::trace), void (Object::*)(Tracer&)>;
  } else {
    return true;
  }
}
template <class T>
constexpr bool overrides_finalize() {
  if constexpr (requires { &T::finalize; }) {
    return !std::is_same_v<decltype(&T::finalize), void (Object::*)()>;
  } else {
    return true;
  }
}

// Types that make<T>() leaves untracked, although they are GC types (counted
// in generation 0's allocation count, traced by gc::get_referents), until
// they may hold a tracked object: CPython's dicts (dict_new untracks a new
// dict; insertdict's MAINTAIN_TRACKING tracks it when a key or value is a GC
// object). Specialized for the exact Dict types (refgc/dict.h); a subclass
// is tracked from creation, as CPython's dict subclasses are.
template <class T>
struct born_untracked : std::false_type {};
// Tracks `o`, an object of a born_untracked type made on the current heap,
// in its generation 0, and lists it with the heap's lazily tracked objects:
// a full collection untracks a survivor for which `may_hold_tracked` is
// false (CPython's untrack_dicts). `*listed` is the object's own record of
// its place in that list (0: not listed), which ~Heap also zeroes. May throw
// std::bad_alloc or std::length_error: nothing changed then. Call only while
// `o` is untracked and not an orphan.
using MayHoldTracked = bool (*)(const Object*) noexcept;
void track_lazily(Object* o, std::size_t* listed, MayHoldTracked may_hold_tracked);
// `*listed` is nonzero: takes the object off the list of the heap this
// thread holds (its own: a dying Dict).
void forget_lazily_tracked(std::size_t* listed) noexcept;

struct RefAccess;

// Ref's operator* and operator-> on an empty handle: throws std::logic_error
// naming the handle's type ("dereferencing an empty refgc::Ref<Node>").
// `pointer` is typeid(T*), which T need not be complete for (src/object.cc).
[[noreturn, gnu::cold]] void throw_empty_deref(const std::type_info& pointer);

}  // namespace detail

// The strong handle. Holds one reference to a T (or nothing).
template <class T>
class Ref {
 public:
  using element_type = T;

  // An empty handle (Python's None).
  constexpr Ref() noexcept = default;
  constexpr Ref(std::nullptr_t) noexcept {}  // NOLINT: implicit, like nullptr

  // From a raw pointer to a live managed object: adds one reference
  // (like boost::intrusive_ptr). Typical use: Ref<Node>(this) in a method.
  explicit Ref(T* p) noexcept : p_(p) {
    if (p_) detail::incref(obj());
  }

  // Copies add one reference, moves transfer it; a Ref<Derived> converts
  // to a Ref<Base>. Copying a handle to a dead object stops the program,
  // naming its type and address (always on).
  Ref(const Ref& other) noexcept : p_(other.p_) {
    if (p_) detail::incref(obj());
  }
  Ref(Ref&& other) noexcept : p_(other.p_) { other.p_ = nullptr; }

  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  Ref(const Ref<U>& other) noexcept : p_(other.get()) {  // NOLINT: implicit upcast
    if (p_) detail::incref(obj());
  }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  Ref(Ref<U>&& other) noexcept : p_(other.release_unsafe_()) {}  // NOLINT

  // Cleared before the reference is dropped, as reset() does: a finalizer
  // or destructor that runs from here and traces this handle's owner (a
  // std::vector<Ref> being cleared, say) sees it empty, not dangling.
  ~Ref() {
    detail::require_managed<T>();
    if (T* const p = p_) {
      p_ = nullptr;
      detail::decref(as_object(p));
    }
  }

  Ref& operator=(const Ref& other) noexcept {
    Ref(other).swap(*this);
    return *this;
  }
  Ref& operator=(Ref&& other) noexcept {
    Ref(std::move(other)).swap(*this);
    return *this;
  }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  Ref& operator=(const Ref<U>& other) noexcept {
    Ref(other).swap(*this);
    return *this;
  }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  Ref& operator=(Ref<U>&& other) noexcept {
    Ref(std::move(other)).swap(*this);
    return *this;
  }
  Ref& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  // Python's `del x`: drops this handle's reference (the object dies now if it
  // was the last one). The old value is released after the handle is cleared,
  // so a finalizer that looks at this handle sees it empty.
  void reset() noexcept {
    T* old = p_;
    p_ = nullptr;
    if (old) detail::decref(as_object(old));
  }

  // Exchanges the two handles' objects; no count changes.
  void swap(Ref& other) noexcept { std::swap(p_, other.p_); }

  // The object (borrowed: no count change), or nullptr. Never checks.
  T* get() const noexcept { return p_; }
  // The object. On an empty handle both throw std::logic_error
  // ("dereferencing an empty refgc::Ref<Node>"), in every build, as Python
  // raises AttributeError for `None.f()`; nothing was touched, so the caller
  // may catch it. Inside a noexcept function (a destructor) that is
  // std::terminate, with the same message. The check is one branch on the
  // pointer already loaded; the throw is out of line (src/object.cc).
  //
  // What they return is borrowed from this handle: it is valid while this
  // handle (or another reference) holds the object. A range-for over
  // `*make_list()` dangles (the temporary handle dies before the loop
  // starts): iterate the handle itself, `for (auto x : make_list())`
  // (begin() below). Clang warns about the dangling forms (-Wdangling:
  // REFGC_LIFETIMEBOUND).
  T& operator*() const REFGC_LIFETIMEBOUND {
    if (p_ == nullptr) [[unlikely]]
      detail::throw_empty_deref(typeid(T*));
    return *p_;
  }
  T* operator->() const REFGC_LIFETIMEBOUND {
    if (p_ == nullptr) [[unlikely]]
      detail::throw_empty_deref(typeid(T*));
    return p_;
  }
  // Whether the handle holds an object (`x is not None`).
  explicit operator bool() const noexcept { return p_ != nullptr; }

  // A handle to a range (List, Dict, LruCache, BufferOf,
  // BufferView, any T with begin() and end()) is a range of the object's
  // elements: (*this)->begin() and end(). A range-for over a handle
  // returned by value then holds that handle, and so the object, for the
  // whole loop, as Python's `for x in make_list()` holds the list:
  //   for (Ref<Int> x : make_list()) ...    // safe: the loop keeps the Ref
  //   for (Ref<Int> x : *make_list()) ...   // dangles: C++20 keeps the List&,
  //                                         // the Ref dies before the loop
  // On an empty handle both throw std::logic_error, as operator* does
  // (Python: "TypeError: 'NoneType' object is not iterable").
  // (Templates: clang 14 checks a non-template member's constraint when
  // Ref<T> is instantiated, where List's iterator needs Ref<List> complete.)
  template <class U = T>
  requires detail::member_range<U>
  auto begin() const { return (**this).begin(); }
  template <class U = T>
  requires detail::member_range<U>
  auto end() const { return (**this).end(); }

  // Internal: gives up the reference without dropping it. Prefer
  // refgc::subtle::release() (subtle.h) in user code.
  T* release_unsafe_() noexcept {
    T* p = p_;
    p_ = nullptr;
    return p;
  }

 private:
  friend struct detail::RefAccess;
  Object* obj() const noexcept { return as_object(p_); }
  // The object as the count sees it: a Ref<const T> counts, as a
  // shared_ptr<const T> does, without making the object mutable to its user.
  static Object* as_object(T* p) noexcept {
    return static_cast<Object*>(const_cast<std::remove_cv_t<T>*>(p));
  }
  T* p_ = nullptr;
};

namespace detail {
struct RefAccess {
  // Adopts a reference the caller already owns (no increment).
  template <class T>
  static Ref<T> adopt(T* p) noexcept {
    Ref<T> r;
    r.p_ = p;
    return r;
  }
};
}  // namespace detail

// Identity comparison, as for smart pointers (Python's `is`).
template <class T, class U>
bool operator==(const Ref<T>& a, const Ref<U>& b) noexcept {
  return static_cast<const Object*>(a.get()) == static_cast<const Object*>(b.get());
}
template <class T>
bool operator==(const Ref<T>& a, std::nullptr_t) noexcept {
  return !a;
}
template <class T, class U>
std::strong_ordering operator<=>(const Ref<T>& a, const Ref<U>& b) noexcept {
  return std::compare_three_way{}(static_cast<const Object*>(a.get()),
                                  static_cast<const Object*>(b.get()));
}

// Allocates and constructs a T in the current heap; refcount 1. If T traces
// references it is tracked in generation 0 (an exact Dict only later:
// born_untracked, above). Like CPython, allocating a tracked
// object may first run an automatic collection (which the new object takes no
// part in). That collection runs before T's constructor reads `args`, and
// its finalizers and weak-reference callbacks are user code: an argument that
// refers into something they may change (`make<Node>(vec[0])`, with a
// finalizer that grows `vec`) is read after the change. Python's call holds
// its arguments; pass a copy when that can happen
// (`make<Node>(Ref<Node>(vec[0]))`, or a local variable). Review 2026-11-24.
//
// Declared inline although it is a template: that is the hint GCC reads to
// give a function the inlining budget of one written inline, and the fast
// path (every slow case is a call) is small enough to belong in a loop that
// allocates.
template <class T, class... Args>
inline Ref<T> make(Args&&... args) {
  detail::require_managed<T>();
  static_assert(!std::is_abstract_v<T>, "refgc::make<T>: T is abstract");
  static_assert(alignof(T) <= 16,
                "refgc::make<T>: T is over-aligned (alignas greater than 16): managed objects "
                "are 16-byte aligned");
  constexpr bool is_gc = detail::overrides_trace<T>();
  static const bool registered =
      (detail::register_type(typeid(T), sizeof(T), detail::declared_type_name<T>(),
                             detail::declared_weakrefable<T>()),
       true);
  (void)registered;
  constexpr std::uint32_t flags =
      (is_gc ? std::uint32_t{detail::kIsGc} : 0u) |
      (detail::overrides_finalize<T>() ? std::uint32_t{detail::kHasFinalizer} : 0u);
  REFGC_DEBUG_REQUIRE_HEAP("allocates an object with refgc::make<T>()");
  detail::HeapFast& heap = detail::current_fast();
#if REFGC_DEBUG
  detail::check_owner_for_allocation();
#endif
  // CPython's gc_alloc: count, maybe collect -- before the object exists, so
  // that it takes no part in that collection.
  if constexpr (is_gc) heap.on_gc_alloc();
  void* mem;
  try {
    mem = heap.pool.allocate(sizeof(T));
  } catch (...) {
    if constexpr (is_gc) heap.on_gc_free();
    throw;
  }
  detail::ObjectAccess::mark_freed(mem);  // until Object() writes the header
  T* p;
  try {
    p = detail::ObjectAccess::create<T>(mem, flags, std::forward<Args>(args)...);
  } catch (...) {
    // Object() ran (the header is no longer the freed one) and a reference
    // besides its own was stored somewhere (Ref<T>(this)): freeing the slot
    // would leave that reference dangling (a review reproduced it reaching
    // the next object made in the slot): stop, naming the type. Weak
    // references are cleared instead.
    if (REFGC_UNLIKELY(detail::ObjectAccess::state(static_cast<Object*>(mem)) != detail::kFreed &&
                       detail::ObjectAccess::rc(static_cast<Object*>(mem)) > 1))
      detail::constructor_kept_this(typeid(T).name(), mem);
    if (REFGC_UNLIKELY(detail::ObjectAccess::gc(static_cast<Object*>(mem)) & detail::kHasWeakrefs))
      detail::clear_weakrefs_of_failed_construction(static_cast<Object*>(mem));
    detail::ObjectAccess::mark_freed(mem);
    heap.pool.free(mem, sizeof(T));
    if constexpr (is_gc) heap.on_gc_free();
    throw;
  }
  // Object must be T's primary base: a slot starts with its header (the
  // heap walk reads it there). Known at compile time: folds away.
  if (REFGC_UNLIKELY(static_cast<void*>(static_cast<Object*>(p)) != mem))
    detail::object_not_first_base(typeid(T).name());
  Ref<T> result = detail::RefAccess::adopt(p);
  // if this throws, `result` frees it
  if constexpr (is_gc && !detail::born_untracked<T>::value) heap.track_gen0(p);
  return result;
}

// Checked downcast: null when the object is not a T.
template <class T, class U>
Ref<T> ref_cast(const Ref<U>& r) noexcept {
  return Ref<T>(dynamic_cast<T*>(r.get()));
}
// Unchecked downcast (the caller knows the dynamic type).
template <class T, class U>
Ref<T> static_ref_cast(const Ref<U>& r) noexcept {
  return Ref<T>(static_cast<T*>(r.get()));
}
template <class T, class U>
Ref<T> static_ref_cast(Ref<U>&& r) noexcept {
  return detail::RefAccess::adopt(static_cast<T*>(r.release_unsafe_()));
}

// Python's sys.getrefcount: takes its argument by value, so it reports the
// true count + 1 for a named handle and 1 for a temporary. 0 for an empty Ref.
template <class T>
std::uint32_t getrefcount(Ref<T> r) noexcept {
  return r ? static_cast<const Object*>(r.get())->refcount() : 0;
}

// Python's id(): the object's address. Unique only among live objects.
inline std::uintptr_t id(const Object& o) noexcept { return reinterpret_cast<std::uintptr_t>(&o); }
template <class T>
std::uintptr_t id(const Ref<T>& r) noexcept {
  return reinterpret_cast<std::uintptr_t>(static_cast<const Object*>(r.get()));
}

// Python's `is`.
template <class T, class U>
bool is(const Ref<T>& a, const Ref<U>& b) noexcept {
  return a == b;
}
// Python's `x is None`.
template <class T>
bool is(const Ref<T>& a, std::nullptr_t) noexcept {
  return !a;
}

namespace detail {
// A reference holding `self` through a member function that runs user code
// (equals(), repr(), a callback, a loop body) able to drop the last other
// reference to it, as Python holds `self` for a call. Empty while `self` is
// being destroyed (its count is 0 then): a destructor may call the function.
template <class T>
Ref<T> hold_unless_dying(T* self) noexcept {
  return ObjectAccess::rc(self) != 0 ? Ref<T>(self) : Ref<T>();
}

template <class X>
inline constexpr bool is_strong_ref_v = false;
template <class X>
inline constexpr bool is_strong_ref_v<Ref<X>> = true;

// Python's repr() of a container's key (Dict's repr, the containers'
// reference_name()): a Ref key's repr(), a string quoted, a number, bool as
// True/False; "<key>" for any other type.
template <class K>
std::string key_repr(const K& k) {
  if constexpr (is_strong_ref_v<K>) {
    return k ? repr_or_type(static_cast<const Object&>(*k)) : std::string("None");
  } else if constexpr (std::is_constructible_v<std::string, const K&>) {
    return repr_text(std::string(k));
  } else if constexpr (std::is_same_v<K, bool>) {
    return k ? "True" : "False";
  } else if constexpr (std::is_floating_point_v<K>) {
    return repr_float(k);
  } else if constexpr (std::is_arithmetic_v<K>) {
    return std::to_string(k);
  } else {
    return "<key>";
  }
}

// A container's entry (key, value) as the holder of `target`, for
// reference_name(): "[repr(key)]" when the value is `target`, "key
// repr(key)" when a Ref key is; nothing otherwise. The key is copied (held)
// before its repr(), user code that may change the container: the caller
// holds the container and returns the name at once.
template <class K>
std::optional<std::string> entry_reference_name(const K& key, const Object* value,
                                                const Object& target) {
  const bool is_value = value == &target;  // first, as trace() reports it
  bool is_key = false;
  if constexpr (is_strong_ref_v<K>)
    is_key = !is_value && static_cast<const Object*>(key.get()) == &target;
  if (!is_value && !is_key) return std::nullopt;
  const K held = key;
  return is_key ? "key " + key_repr(held) : "[" + key_repr(held) + "]";
}
}  // namespace detail

// Python's sys.getsizeof: the shallow size in bytes, header included, plus
// the storage the object owns directly (a List's element array). Referenced
// objects are not included.
std::size_t getsizeof(const Object& o) noexcept;
template <class T>
std::size_t getsizeof(const Ref<T>& r) noexcept {
  return r ? getsizeof(static_cast<const Object&>(*r)) : 0;
}

}  // namespace refgc

// Hashes a Ref by identity (the object's address), as == compares it, so
// Refs can key std::unordered_map and Dict.
template <class T>
struct std::hash<refgc::Ref<T>> {
  std::size_t operator()(const refgc::Ref<T>& r) const noexcept {
    return std::hash<const refgc::Object*>{}(static_cast<const refgc::Object*>(r.get()));
  }
};
