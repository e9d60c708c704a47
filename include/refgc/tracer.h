// refgc/tracer.h: what trace() talks to.
//
// One trace() per type serves every walk over the object graph: the collector
// counts internal references with it, breaks garbage cycles with it (a
// clearing tracer empties each visited Ref), and the diagnostics read the
// graph with it.
//
//   struct Graph : refgc::Object {
//     refgc::Ref<Node> root;
//     std::vector<refgc::Ref<Node>> nodes;
//     std::map<std::string, refgc::Ref<Node>> by_name;
//     void trace(refgc::Tracer& t) override { t(root, nodes, by_name); }
//   };
//
// A tracer accepts a Ref<T>, any range of Refs (vector, deque, list, set,
// array), a pair whose first or second member is traceable, any range of
// those pairs (map, unordered_map), std::optional<Ref<T>>, a Function, a
// WeakRef, a BoundMethod or WeakMethod, a weak container (what it holds
// strongly), a List, Dict or LruCache iterator, and several of these at
// once; const ones (set elements, map keys) are reported but never taken.
// Passing anything else does not compile. Refs inside other types (a tuple,
// a struct of your own) are not reached: pass their members.
//
// Requirements: see object.h. trace() must report each owned Ref exactly once
// per call and must not change the graph itself; a clearing tracer takes the
// references out of the visited Refs and drops them only after trace()
// returns, so trace() never sees a finalizer or destructor run underneath it.
#pragma once

#include <cstddef>
#include <optional>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <utility>

#include "refgc/ref.h"

namespace refgc {

template <class Sig>
class Function;
namespace detail {
class CollectorTracerBase;  // src/collect.cc
// Unlocks the collector modes of Tracer; only CollectorTracerBase makes one.
class CollectorKey {
  CollectorKey() = default;
  friend class CollectorTracerBase;
};
}  // namespace detail
template <class T>
class WeakRef;
template <class T, class V>
class WeakKeyDictionary;
template <class K, class T>
class WeakValueDictionary;
template <class T>
class WeakSet;
template <class T, class Sig>
class BoundMethod;
template <class T, class Sig>
class WeakMethod;

namespace detail {
template <class X>
struct is_ref_like : std::false_type {};
template <class X>
struct is_ref_like<Function<X>> : std::true_type {};
template <class X>
struct is_ref_like<WeakRef<X>> : std::true_type {};
template <class X>
struct is_ref_like<Ref<X>> : std::true_type {};
template <class X>
struct is_ref_like<std::optional<Ref<X>>> : std::true_type {};
template <class X, class Y>
struct is_ref_like<WeakKeyDictionary<X, Y>> : std::true_type {};
template <class X, class Y>
struct is_ref_like<WeakValueDictionary<X, Y>> : std::true_type {};
template <class X>
struct is_ref_like<WeakSet<X>> : std::true_type {};
template <class X, class S>
struct is_ref_like<BoundMethod<X, S>> : std::true_type {};
template <class X, class S>
struct is_ref_like<WeakMethod<X, S>> : std::true_type {};

// A value that reports its own references through a member trace(Tracer&)
// (List's and Dict's iterators, which hold their container).
template <class X>
concept self_tracing = requires {
  typename X::refgc_self_tracing;
};

template <class X>
concept pair_like = requires(X& x) {
  x.first;
  x.second;
};

// Python's repr() of a map key, written to out[0, n) for the diagnostics'
// names (Tracer::field on a map: "sessions['alice']"). Returns the length
// written, 0 if it cannot be written (an allocation failed); a longer repr
// is cut and ends with "...". Never throws: called inside trace().
// (src/object.cc; the same text as a Dict key's name.)
std::size_t write_key_repr(std::string_view text, char* out, std::size_t n) noexcept;
std::size_t write_key_repr(double x, char* out, std::size_t n) noexcept;
std::size_t write_key_repr(long long x, char* out, std::size_t n) noexcept;
std::size_t write_key_repr(unsigned long long x, char* out, std::size_t n) noexcept;
std::size_t write_key_repr(bool x, char* out, std::size_t n) noexcept;

// A map key the diagnostics name an element by: a number, a bool or a string
// (a class that converts to std::string_view). Not a pointer (const char*):
// such a map compares addresses, and its keys may be null or point to text
// long gone.
template <class K>
concept nameable_key = std::is_arithmetic_v<K> ||
    (std::is_class_v<K>&& std::is_convertible_v<const K&, std::string_view>);

template <class K>
std::size_t write_key(const void* key, char* out, std::size_t n) noexcept {
  const K& k = *static_cast<const K*>(key);
  if constexpr (std::is_same_v<K, bool>) {
    return write_key_repr(k, out, n);
  } else if constexpr (std::is_floating_point_v<K>) {
    return write_key_repr(static_cast<double>(k), out, n);
  } else if constexpr (std::is_integral_v<K> && std::is_signed_v<K>) {
    return write_key_repr(static_cast<long long>(k), out, n);
  } else if constexpr (std::is_integral_v<K>) {
    return write_key_repr(static_cast<unsigned long long>(k), out, n);
  } else if constexpr (std::is_nothrow_convertible_v<const K&, std::string_view>) {
    return write_key_repr(std::string_view(k), out, n);
  } else {
    try {  // a user's conversion: if it throws, the field's name alone
      return write_key_repr(std::string_view(k), out, n);
    } catch (...) {
      return 0;
    }
  }
}

// The key type of a map: a range that says it maps (a mapped_type, as
// std::map, std::unordered_map and their multi- forms do) whose elements are
// (key, value) pairs; void for any other range -- a set or a list of pairs
// is not keyed by their first members.
template <class R>
struct map_key {
  using type = void;
};
template <class R>
requires pair_like<std::ranges::range_value_t<R>> && requires {
  typename std::remove_cvref_t<R>::mapped_type;
}
struct map_key<R> {
  using type = std::remove_cvref_t<decltype(std::declval<std::ranges::range_value_t<R>&>().first)>;
};
template <class R>
concept keyed_range = std::ranges::range<R> && !is_ref_like<std::remove_cv_t<R>>::value &&
                      !self_tracing<std::remove_cv_t<R>> && !std::ranges::random_access_range<R> &&
                      nameable_key<typename map_key<R>::type>;

// Whether a value of type X holds Refs a Tracer can reach: a Ref, an optional
// Ref, a Function, a WeakRef, a BoundMethod or WeakMethod, a weak container, a range of traceables,
// or a pair with a traceable member.
template <class X>
constexpr bool is_traceable() {
  using Y = std::remove_cvref_t<X>;
  if constexpr (is_ref_like<Y>::value || self_tracing<Y>) {
    return true;
  } else if constexpr (pair_like<Y>) {
    return is_traceable<decltype(std::declval<Y&>().first)>() ||
           is_traceable<decltype(std::declval<Y&>().second)>();
  } else if constexpr (std::ranges::range<Y>) {
    return is_traceable<std::ranges::range_value_t<Y>>();
  } else {
    return false;
  }
}
}  // namespace detail

class Tracer {
 public:
  Tracer() = default;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // t(ref): reports one strong reference the object owns (an empty Ref is
  // skipped). The collector's clearing tracer takes it (the Ref is empty
  // afterwards). A reference reported more often than it is held (twice, or
  // one the object does not own that pushes the count below zero), or an
  // object of another live heap, stops the collector with the object's type
  // and address (always on); a reference held elsewhere and reported once
  // cannot be detected (docs/guide/writing-trace.md, rule 1).
  template <class T>
  REFGC_ALWAYS_INLINE void operator()(Ref<T>& r) {
    if (T* p = r.get()) {
      if (mode_ != Mode::kVisit) {
        if (mode_ == Mode::kClear) {  // visit() would say "take it"
          r.release_unsafe_();
          if (out_ != out_end_) {
            *out_++ = static_cast<Object*>(p);  // the collector's room
          } else {
            take(static_cast<Object*>(p));
          }
          return;
        }
        if (collector_visit(static_cast<Object*>(p))) return;
      }
      if (visit(static_cast<Object*>(p))) {
        r.release_unsafe_();
        take(static_cast<Object*>(p));
      }
    }
  }

  // True for the collector's clearing tracer (it breaks garbage cycles: every
  // non-const Ref passed to it is taken, and dropped after trace() returns).
  // A container whose invariants forbid an empty Ref (a cache's values, a
  // dictionary's keys) passes everything, then empties itself, as CPython's
  // tp_clear leaves a dict or a cache empty. Such a container destroys its
  // keys inside trace(): a key that is not a Ref but owns managed objects
  // (a struct with an untraced Ref member) would let them die there, so keys
  // should be plain values or Refs.
  bool clearing() const noexcept { return mode_ == Mode::kClear; }

  // A Ref that cannot be emptied (a std::set element, a map key): reported,
  // never taken. A cycle that runs only through such references is found but
  // cannot be broken by the collector; hold such Refs as mapped values instead.
  template <class T>
  void operator()(const Ref<T>& r) {
    if (T* p = r.get()) {
      if (mode_ == Mode::kClear) return;  // cannot be taken: left alone
      if (mode_ != Mode::kVisit && collector_visit(static_cast<Object*>(p))) return;
      visit_const(static_cast<Object*>(p));
    }
  }

  // A Function (function.h): its captures are traced. A const one (a const
  // member, an element of a std::set) is reported as a const Ref is: its
  // function object is never taken.
  template <class Sig>
  void operator()(Function<Sig>& f) {
    (*this)(f.object_);
  }
  template <class Sig>
  void operator()(const Function<Sig>& f) {
    (*this)(std::as_const(f.object_));
  }

  // A WeakRef member owns its weak-reference object (not the referent), as a
  // Python attribute holding a weakref does: tracing it lets the collector see
  // a weak reference that is garbage itself, whose callback then never runs.
  template <class T>
  void operator()(WeakRef<T>& w) {
    (*this)(w.object_);
  }

  // A BoundMethod (weak_ref.h) holds its receiver, as Python's bound method
  // holds __self__: `o->handler = BoundMethod(o, &T::m)` is a cycle the
  // collector breaks. A WeakMethod owns its weak reference to the receiver,
  // as a WeakRef member does.
  template <class T, class Sig>
  void operator()(BoundMethod<T, Sig>& m) {
    (*this)(m.self_);
  }
  template <class T, class Sig>
  void operator()(WeakMethod<T, Sig>& m) {
    (*this)(m.self_);
  }

  // A weak container (weak_key_dictionary.h, weak_value_dictionary.h,
  // weak_set.h) owns its entries' weak-reference objects, a
  // WeakKeyDictionary's values and a WeakValueDictionary's keys: those are
  // reported (the Refs among values and keys), never the objects it refers to
  // weakly, as CPython's collector traverses the dict or set such a container
  // keeps them in. A clearing tracer takes them and the container empties
  // itself.
  template <class T, class V>
  void operator()(WeakKeyDictionary<T, V>& d) {
    d.trace(*this);
  }
  template <class K, class T>
  void operator()(WeakValueDictionary<K, T>& d) {
    d.trace(*this);
  }
  template <class T>
  void operator()(WeakSet<T>& s) {
    s.trace(*this);
  }

  // A List, Dict or LruCache iterator holds its container, as Python's list
  // and dict iterators do: a managed object that keeps one traces it, `t(it)`.
  template <class X>
  requires detail::self_tracing<X>
  void operator()(X& x) { x.trace(*this); }

  template <class T>
  void operator()(std::optional<Ref<T>>& r) {
    if (r) (*this)(*r);
  }
  // A const one (a map key): reported, never taken.
  template <class T>
  void operator()(const std::optional<Ref<T>>& r) {
    if (r) (*this)(*r);
  }

  // A pair (std::pair, or any type with members `first` and `second`) with a
  // traceable member: each traceable member, const ones reported only.
  template <class P>
  requires detail::pair_like<std::remove_cv_t<P>> &&
      (!detail::is_ref_like<std::remove_cv_t<P>>::value) &&
      (detail::is_traceable<P>()) void operator()(P& pair) {
    trace_item(pair);
  }

  template <class R>
  requires std::ranges::range<R> &&(!detail::is_ref_like<std::remove_cv_t<R>>::value) &&
      (detail::is_traceable<R>()) void operator()(R& range) {
    for (auto& item : range) trace_item(item);
  }

  template <class A, class B, class... Rest>
  REFGC_ALWAYS_INLINE void operator()(A& a, B& b, Rest&... rest) {
    (*this)(a);
    (*this)(b);
    ((*this)(rest), ...);
  }

  // The same as (*this)(x), with a name the diagnostics show for the
  // references x holds (the collector ignores it):
  //
  //   void trace(refgc::Tracer& t) override {
  //     t.field("parent", parent);
  //     t.field("children", children);
  //   }
  //
  // Object::reference_name() then says "parent", or "children[2]" for the
  // element at position 2 of a random-access range (vector, deque, array),
  // or "sessions['alice']" for the value of a map (std::map,
  // std::unordered_map) keyed by a string, a number or a bool (the key's
  // Python repr(), as a Dict names its entries; other keys: the field's name
  // alone), and diag::describe_chain and diag::write_dot label the links with it,
  // as objgraph labels an edge with the attribute or key that holds it.
  // `name` is read during this call only.
  //
  // The collector's tracers pay one mode test per field (this part is
  // inlined in trace(); the naming is out of line). Inside a value that
  // traces itself (a self_tracing member) a nested field() names its own
  // references; the outer name is restored after it.
  template <class X>
  REFGC_ALWAYS_INLINE void field(const char* name, X& x) {
    if (REFGC_LIKELY(mode_ != Mode::kVisit)) {
      (*this)(x);
      return;
    }
    named_field(name, x);
  }

 protected:
  // The collector's counting passes (src/collect.cc) name their job so that
  // the common case of each reference is handled inline in the trace() body
  // (no virtual call per reference); anything unusual still reaches visit().
  // Every other tracer is a plain kVisit tracer. Only the collector's
  // tracers may pick a mode (the modes write the headers of the objects
  // they visit): the constructor takes a key only src/collect.cc can make.
  enum class Mode : unsigned char {
    kVisit,        // visit() sees every reference
    kSubtract,     // subtract_refs: gc_refs - 1 for a referent being examined
    kSubtractNew,  // the same while the set is still being gathered: a referent
                   // of a collected generation not reached yet joins the set
    kReach,        // move_unreachable: a referent being examined is reachable,
                   // one in the unreachable list moves back to young's tail
    kClear,        // delete_garbage: every (non-const) reference is taken
                   // (written to the collector's room, take() past its end)
  };
  Tracer(detail::CollectorKey, Mode mode, std::uint32_t collected_generations = 0) noexcept
      : mode_(mode), collected_(static_cast<unsigned char>(collected_generations)) {}
  ~Tracer() = default;
  // Called for each non-null reference. Return true to take the reference
  // out of the handle: the handle is emptied and take() receives the
  // reference, which it then owns.
  virtual bool visit(Object* referent) = 0;
  // kReach: out_ is the write cursor of young's tail, where a referent in
  // state kCollecting (tentatively unreachable) moves back. Its entry in
  // the unreachable list stays: the collector skips the entries whose
  // object is no longer in state kCollecting when it squeezes the list.
  // kClear: the taken references are written at out_ while it is below
  // out_end_, then handed to take().
  Object** out_ = nullptr;
  Object** out_end_ = nullptr;
  // kSubtractNew: how many objects joined the set at their first reference.
  // Each must then be met by the pass that gathers the set; one that is not
  // is no member of this heap (the collector checks, src/collect.cc).
  std::size_t joined_ = 0;
  virtual void take(Object* referent) noexcept;
  virtual void visit_const(Object* referent) { (void)visit(referent); }

 private:
  // The inline part of the collector's passes; false: let visit() decide
  // (a count about to go below zero, or a count kept in the collector's
  // overflow table).
  //
  // While the collector counts, the index bits of a header it works on hold
  // a count instead of a position (the refcount is never touched):
  //   kReached     an object of the set: its gc_refs (refcount minus the
  //                references from inside the set seen so far). kSubtractNew
  //                puts an object of a collected generation that the pass has
  //                not reached yet in this state at its first reference, with
  //                its refcount minus that one; the pass then only traces it.
  // kGcRefsBig in those bits means the count is in the overflow table.
  static constexpr std::uint32_t kGcRefsOne = 1u << detail::kIndexShift;
  static constexpr std::uint32_t kGcRefsBig = detail::kMaxIndex;
  static constexpr std::uint32_t kFlagBits =
      ((1u << detail::kIndexShift) - 1) & ~std::uint32_t{detail::kStateMask};
  REFGC_ALWAYS_INLINE bool collector_visit(Object* o) noexcept {
    std::uint32_t& gc = detail::ObjectAccess::gc(o);
    const std::uint32_t state = gc & detail::kStateMask;
    const std::uint32_t count = gc >> detail::kIndexShift;
    if (state == detail::kReached) {
      if (mode_ == Mode::kReach) {
        if (count == 0) {
          gc += kGcRefsOne;
          return true;
        }
        return count != kGcRefsBig;
      }
      if (REFGC_UNLIKELY(count == 0 || count == kGcRefsBig)) return false;
      gc -= kGcRefsOne;
      return true;
    }
    if (mode_ == Mode::kSubtractNew) {
      // kGen0 .. kGen0 + collected_ - 1 (unsigned: kUntracked wraps high).
      if (state - detail::kGen0 < collected_) {
        // gc_refs = refcount - 1, unless that does not fit (or the
        // refcount is 0: visit() reports it).
        const std::uint32_t refs = detail::ObjectAccess::rc(o) - 1;
        if (REFGC_UNLIKELY(refs >= kGcRefsBig)) return false;
        // (A member of generation 2 loses its virtual slot here: the
        // collector rebuilt its list before it counts, if it needs one.)
        gc = (gc & kFlagBits) | (refs << detail::kIndexShift) | detail::kReached;
        ++joined_;
      }
      return true;
    }
    if (mode_ == Mode::kReach && state == detail::kCollecting) {
      // Tentatively unreachable: it goes back to young's tail as
      // reachable, gc_refs 1 (its entry in the unreachable list is skipped
      // later, by its state).
      gc = (gc & kFlagBits) | kGcRefsOne | detail::kReached;
      *out_++ = o;  // room reserved by the collector
    }
    return true;
  }

  Mode mode_ = Mode::kVisit;
  unsigned char collected_ = 0;  // kSubtractNew: generations 0..collected_-1 are in the set

  template <class X>
  REFGC_NOINLINE void named_field(const char* name, X& x) {
    struct Restore {  // a visit() may throw; a nested field() restores ours
      Tracer& t;
      const char* name;
      std::size_t index;
      const void* key;
      KeyWriter writer;
      ~Restore() {
        t.field_name_ = name;
        t.field_index_ = index;
        t.field_key_ = key;
        t.field_key_writer_ = writer;
      }
    } restore{*this, field_name_, field_index_, field_key_, field_key_writer_};
    field_name_ = name;
    field_index_ = kNoFieldIndex;
    field_key_ = nullptr;
    field_key_writer_ = nullptr;
    if constexpr (std::ranges::random_access_range<X> &&
                  !detail::is_ref_like<std::remove_cv_t<X>>::value &&
                  !detail::self_tracing<std::remove_cv_t<X>>) {
      std::size_t i = 0;
      for (auto& item : x) {
        field_index_ = i++;
        trace_item(item);
      }
    } else if constexpr (detail::keyed_range<X>) {
      using Key = typename detail::map_key<X>::type;
      field_key_writer_ = &detail::write_key<Key>;
      for (auto& item : x) {
        field_key_ = &item.first;
        trace_item(item);
      }
    } else {
      (*this)(x);
    }
  }

  template <class X>
  void trace_item(X& item) {
    if constexpr (detail::pair_like<std::remove_cv_t<X>> &&
                  !detail::is_ref_like<std::remove_cv_t<X>>::value) {
      if constexpr (detail::is_traceable<decltype(item.first)>()) (*this)(item.first);
      if constexpr (detail::is_traceable<decltype(item.second)>()) (*this)(item.second);
    } else {
      (*this)(item);
    }
  }

 protected:
  // (After the collector's members, whose offsets stay as they were.)
  // While a kVisit tracer is inside field(): the name given there, and the
  // element's position when the field is a random-access range (else
  // kNoFieldIndex). Null outside field(). Read by visit() (reference_name).
  // When the field is a map with nameable keys (detail::keyed_range): the
  // key of the element being traced, and what writes its repr() (else null).
  static constexpr std::size_t kNoFieldIndex = static_cast<std::size_t>(-1);
  using KeyWriter = std::size_t (*)(const void*, char*, std::size_t) noexcept;
  const char* field_name_ = nullptr;
  std::size_t field_index_ = kNoFieldIndex;
  const void* field_key_ = nullptr;
  KeyWriter field_key_writer_ = nullptr;
};

}  // namespace refgc
