// refgc/dict.h: Dict<K, V>, a managed insertion-ordered map whose values are
// strong references (Python's dict).
//
//   auto d = refgc::make<refgc::Dict<std::string, Node>>();
//   d->set("a", node);              // d["a"] = node   (+1 on node)
//   refgc::Ref<Node> n = d->get("a");   // null when missing
//   d->at("missing");               // throws std::out_of_range (KeyError)
//   d->erase("a");                  // del d["a"]      (-1 on node)
//   for (const auto& [key, value] : *d) { ... }   // insertion order
//   for (const auto& [key, value] : make_dict()) { ... }  // the loop holds
//                                   // the handle (`*make_dict()` dangles)
//
// K is any hashable, equality-comparable C++ type whose hash and == do not
// use the dictionary (a lookup reads its entries after calling them: one
// that cleared the dictionary left it reading freed memory, review
// 2026-11-24). When K is a Ref, the key is a strong reference too (hashed by
// identity) and is traced.
// Tracking follows CPython's dict: a new Dict is untracked (gc::is_tracked
// false, not in gc::get_objects(), though counted in generation 0's
// allocation count) until set() gives it a key or value of a GC type -- a
// container or any type that overrides trace(), tracked or not -- and a
// full collection untracks it again when it survives holding no such key or
// value (docs/design/collector.md). A Dict whose keys hold references in
// another form than a plain Ref (an optional Ref, a pair), and a subclass
// of Dict, are tracked from creation and stay tracked.
// Iteration order is insertion order; setting an existing key keeps its place.
// An iterator made by begin() holds the dict, as Python's does (a loop body
// may drop the last other reference to it; a managed object that keeps one
// traces it, `t(it)`). Like Python, changing the dict's
// keys while iterating it is not allowed:
// after a key is added or removed (set of a new key, erase, pop, clear), the
// next step or dereference of an iterator made before throws
// std::runtime_error, before it touches the entries, with Python's two
// messages (RuntimeError): "Dict changed size during iteration" when the
// size differs from the one the iterator saw when it was made (and from
// then on, the size restored or not, as CPython's iterator), "Dict keys
// changed during iteration" when keys were removed and added leaving the
// size unchanged. CPython walks on by position in that second case and
// raises "dictionary keys changed during iteration" only if the walk then
// finds more entries than the dict had (python3 3.11.7, {'a', 'b', 'c'}:
// deleting 'a' and adding 'x' at 'a' raises after visiting a, b, c; deleting
// 'b' and adding 'x' at 'a' visits a, c, x and raises nothing); refgc
// raises at the next step whenever it happens. Dereferencing or stepping
// an iterator at the end throws std::out_of_range (Python's StopIteration).
// Setting an existing key's value is allowed. What a step yields, the key
// and the value, are references into the dict's entries, which adding or
// removing a key may move: a body that adds or removes keys and then still
// needs them copies them first (`K key = k; Ref<V> value = v;`), as
// Python's loop variables hold theirs.
// The iterator is a std::bidirectional_iterator (`--it` walks back as
// Python's reversed(d) does; a step back from the first entry throws
// std::out_of_range), so a Dict is a sized bidirectional range for the
// std::ranges algorithms and views (`*d | std::views::keys`). A step yields
// std::pair<const K&, const Ref<V>&>; the value type,
// std::pair<K, Ref<V>>, is a copy that holds its own references. For the
// algorithms of C++17 and before it is an input iterator (a step yields no
// reference to a stored pair). iterator is const_iterator: a value set
// through an iterator would skip set()'s tracking of the dict.
//
// == (equals()) is Python's dict ==: two dictionaries with the same key type
// K, whatever their value types (a Dict<K, List<Int>> and a Dict<K, Object>),
// are equal when they have the same number of entries and, for each key of
// one, the other has the key and the two values are the same object (`is`,
// two empty values included) or equal as Python's == compares them (this
// one's equals(), then, if false and the other value is of another type,
// the other's: detail::equal_objects); insertion order does
// not matter. Dictionaries of different key types are never equal (Python's
// {1: 1} == {1.0: 1} is True; refgc has no rule to compare an int key with a
// double key, nor a Ref<A> key with a Ref<B> key). Nested more than
// detail::CompareGuard::kMaxDepth deep, == throws std::runtime_error
// (Python's RecursionError).
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "refgc/detail/pair_iteration.h"
#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

template <class K, class V>
class Dict;

namespace detail {

// The base of every Dict<K, V> with this K, whatever V: what
// Dict<K, V>::equals() needs to compare itself with a Dict<K, U> (Python
// compares any two dicts).
template <class K>
class DictBase : public Object {
 public:
  // *a == *b for dictionaries of different value types.
  friend bool operator==(const DictBase& a, const DictBase& b) { return a.equals(b); }

 protected:
  DictBase() noexcept = default;

 private:
  template <class, class>
  friend class refgc::Dict;
  // The number of entries, and a new reference to the value of `key`
  // (nothing when the key is missing).
  virtual std::size_t equality_size() const noexcept = 0;
  virtual std::optional<Ref<Object>> equality_value(const K& key) const = 0;
};

}  // namespace detail

namespace detail {

// Whether a Ref<X> can point at an object of a GC type: not when X is final
// and traces nothing (Int, Str), so that a Dict's test of a value or key is
// left out at compile time.
template <class X>
inline constexpr bool may_be_of_gc_type = !(std::is_final_v<X> && !overrides_trace<X>());

// Whether K, a Dict's key type, is a plain Ref (Dict::set then tests each
// key as it tests each value), and whether such a key can be of a GC type.
template <class K>
struct dict_ref_key : std::false_type {
  static constexpr bool may_be_gc = false;
};
template <class X>
struct dict_ref_key<Ref<X>> : std::true_type {
  static constexpr bool may_be_gc = may_be_of_gc_type<X>;
};

// A new Dict is untracked, as CPython's dict_new leaves a new dict, unless
// its keys hold references in another form than a plain Ref (an optional
// Ref, a pair: traced, and the dictionary is then tracked from creation);
// Dict::set tracks it when it is first given a key or value of a GC type
// (CPython's MAINTAIN_TRACKING), and a full collection may untrack it again
// (src/collect.cc, untrack_dicts). Exactly Dict<K, V>: a subclass is
// tracked from creation, as CPython's dict subclasses are.
template <class K, class V>
struct born_untracked<Dict<K, V>>
    : std::bool_constant<!is_traceable<K>() || dict_ref_key<K>::value> {};

}  // namespace detail

template <class K, class V = Object>
class Dict : public detail::DictBase<K> {
  // The value is declared before the key so that an entry releases its key
  // first (members die in reverse order), as CPython's free_keys_object does
  // for each entry of a dying or cleared dict.
  struct Entry {
    Ref<V> value;
    K key;
    bool live;
  };

 public:
  static constexpr const char* refgc_type_name = "Dict";

  Dict() = default;
  ~Dict() override {
    if (listed_ != 0) detail::forget_lazily_tracked(&listed_);
  }

  // d[key] = value. A new entry holds a copy of `key`, or takes it by move
  // when it is an rvalue; a key already present keeps the key it has (as
  // Python's d[k2] = v with k2 == k1 keeps k1), and an rvalue `key` is then
  // left as it was.
  void set(const K& key, Ref<V> value) { set_entry(key, std::move(value)); }
  void set(K&& key, Ref<V> value) { set_entry(std::move(key), std::move(value)); }

  // d.get(key): a new reference, or null. Null also when the key maps to an
  // empty Ref (Python's None): tell the two apart with get(key, fallback) or
  // contains().
  Ref<V> get(const K& key) const { return get(key, Ref<V>()); }
  // d.get(key, default): the key's value (even an empty Ref), or `fallback`
  // when the key is missing. One lookup.
  Ref<V> get(const K& key, Ref<V> fallback) const {
    const std::size_t at = find(key, hash_(key));
    return at == kMissing ? fallback : entries_[at].value;
  }
  // d[key]: throws std::out_of_range (Python's KeyError) when missing.
  const Ref<V>& at(const K& key) const REFGC_LIFETIMEBOUND {
    const std::size_t at = find(key, hash_(key));
    if (at == kMissing) throw std::out_of_range("Dict::at: key not found");
    return entries_[at].value;
  }
  // `key in d`, len(d), len(d) == 0.
  bool contains(const K& key) const { return find(key, hash_(key)) != kMissing; }
  std::size_t size() const noexcept { return index_.size(); }
  bool empty() const noexcept { return index_.empty(); }

  // del d[key]: throws std::out_of_range when missing.
  void erase(const K& key) { (void)take(key, "Dict::erase: key not found"); }

  // d.pop(key): removes the entry and hands its reference to the caller;
  // throws std::out_of_range when missing.
  Ref<V> pop(const K& key) { return take(key, "Dict::pop: key not found"); }

  // Empties the dict; the references are dropped after it is empty.
  void clear() noexcept {
    std::vector<Entry> dropped;
    dropped.swap(entries_);
    index_.clear();
    dead_ = 0;
    ++version_;
  }

  // Python's dict iterator over items (see the top of this file): a
  // std::bidirectional_iterator (reversed(d) walks a dict backwards too),
  // and an input iterator for the algorithms of C++17 and before, since a
  // step yields a pair of references (detail/pair_iteration.h), not a
  // reference to a stored pair. Only const: a value set through an iterator
  // would skip set()'s tracking of the dict.
  template <class E>
  class basic_iterator {
   public:
    using iterator_concept = std::bidirectional_iterator_tag;
    using iterator_category = std::input_iterator_tag;
    using value_type = std::pair<K, Ref<V>>;
    using difference_type = std::ptrdiff_t;
    using reference = std::pair<const K&, const Ref<V>&>;
    using pointer = detail::ArrowProxy<reference>;

    // An iterator of no dict: equal to every other such iterator;
    // dereferencing or stepping it throws std::out_of_range.
    basic_iterator() noexcept = default;
    // Throw std::runtime_error if a key was added or removed since the
    // iterator was made, and std::out_of_range at the end (Python's
    // StopIteration; the end is never read or passed) and, for --, at the
    // first entry.
    reference operator*() const {
      check();
      at_entry();
      return {p_->key, p_->value};
    }
    pointer operator->() const { return pointer{**this}; }
    basic_iterator& operator++() {
      check();
      at_entry();
      ++p_;
      skip();
      return *this;
    }
    basic_iterator operator++(int) {
      basic_iterator was = *this;
      ++*this;
      return was;
    }
    basic_iterator& operator--() {
      check();
      const E* first = d_->entries_.data();
      E* p = p_;
      do {
        if (p == first)
          throw std::out_of_range("Dict iterator: no entry before this position (the first)");
        --p;
      } while (!p->live);
      p_ = p;
      return *this;
    }
    basic_iterator operator--(int) {
      basic_iterator was = *this;
      --*this;
      return was;
    }
    // By position: iterators of the same dict.
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) noexcept {
      return a.p_ == b.p_;
    }
    // A managed object that keeps an iterator traces it, `t(it)`: it holds
    // the dict (see List's iterator; diff review 2026-11-24, session 17).
    using refgc_self_tracing = void;
    void trace(Tracer& t) {
      t(hold_);
      if (t.clearing()) d_ = nullptr;  // the dict may die: each step then throws
    }

   private:
    friend class Dict;
    basic_iterator(const Dict* d, E* p, E* end, bool hold = false)
        : d_(d), p_(p), end_(end), version_(d->version_), used_(d->size()) {
      // begin() holds the dictionary, as Python's dict iterator does.
      if (hold) hold_ = detail::hold_unless_dying(const_cast<Dict*>(d));
      skip();
    }
    void check() const {
      if (REFGC_UNLIKELY(d_ == nullptr || d_->version_ != version_)) changed();
    }
    // Python's two messages: the size differs from the one the iterator saw
    // (sticky, as CPython's di_used = -1: the size restored, it still
    // throws this), or keys were added and removed leaving it unchanged.
    [[noreturn]] void changed() const {
      if (d_ == nullptr && p_ == end_)  // default-constructed: nothing to read
        throw std::out_of_range("Dict iterator: no entry at this position (of no dict)");
      if (d_ == nullptr || d_->size() != used_) {
        used_ = kSizeChanged;
        throw std::runtime_error("Dict changed size during iteration");
      }
      throw std::runtime_error("Dict keys changed during iteration");
    }
    static constexpr std::size_t kSizeChanged = static_cast<std::size_t>(-1);
    void at_entry() const {
      if (p_ == end_) throw std::out_of_range("Dict iterator: no entry at this position (the end)");
    }
    void skip() {
      while (p_ != end_ && !p_->live) ++p_;
    }
    const Dict* d_ = nullptr;
    Ref<Dict> hold_;  // non-const: a clearing tracer takes it
    E* p_ = nullptr;
    E* end_ = nullptr;
    std::size_t version_ = 0;
    // The dict's size when the iterator was made (kSizeChanged once a step
    // found it changed).
    mutable std::size_t used_ = 0;
  };
  using const_iterator = basic_iterator<const Entry>;
  using iterator = const_iterator;
  const_iterator begin() const noexcept {
    return const_iterator(this, entries_.data(), entries_.data() + entries_.size(), true);
  }
  const_iterator end() const noexcept {
    return const_iterator(this, entries_.data() + entries_.size(),
                          entries_.data() + entries_.size());
  }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }

  // list(d): a copy of the keys, in insertion order.
  std::vector<K> keys() const {
    std::vector<K> out;
    for (const Entry& e : entries_)
      if (e.live) out.push_back(e.key);
    return out;
  }

  // CPython's dict_traverse: for each entry, the value, then the key. The
  // collector's clearing tracer takes both, the key first (the taken
  // references die in that order, as dict_tp_clear's free_keys_object
  // releases each entry's key before its value), and the dictionary then
  // empties itself (CPython's dict_tp_clear leaves {}): entries whose keys
  // were taken would be filed under their old keys' hashes (review
  // 2026-11-23: a later set() of an empty key made a second entry with the
  // same key).
  void trace(Tracer& t) override {
    const bool clearing = t.clearing();
    for (Entry& e : entries_) {
      if (!e.live) continue;
      if constexpr (detail::is_traceable<K>()) {
        if (clearing) t(e.key);
      }
      t(e.value);
      if constexpr (detail::is_traceable<K>()) {
        if (!clearing) t(e.key);
      }
    }
    if (clearing) clear();  // everything it held is taken: nothing dies here
  }
  std::string repr() const override {
    detail::ReprGuard guard(this);
    if (!guard) return "{...}";
    const auto self = detail::hold_unless_dying(this);  // a repr() may drop it
    std::string s = "{";
    bool first = true;
    const std::size_t limit = detail::ReprLimit::current();
    // By position, the key and the value held before either repr() runs:
    // a repr() is user code that may change this dict (CPython's dict_repr
    // holds both and re-reads the same way; review 2026-11-24: a Ref key
    // whose repr() cleared the dict made the value read past the entries).
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (!entries_[i].live) continue;
      if (!first) s += ", ";
      first = false;
      if (s.size() > limit) {
        s += "...";
        break;
      }
      const K key = entries_[i].key;
      const Ref<V> value = entries_[i].value;
      s += key_repr(key);
      s += ": ";
      if (value) {
        s += detail::repr_or_type(static_cast<const Object&>(*value));
      } else {
        s += "None";
      }
    }
    return s + "}";
  }
  // "['a']" for the value under the key 'a', "key 'a'" for a key itself
  // (diagnostics; the first entry, in insertion order, that holds `target`).
  // A Ref key's repr() runs: the key is held, and the dict too (that repr()
  // may change it).
  std::string reference_name(const Object& target) const override {
    const auto self = detail::hold_unless_dying(this);
    for (const Entry& e : entries_)
      if (e.live)
        if (auto name = detail::entry_reference_name(e.key, e.value.get(), target)) return *name;
    return {};
  }
  std::size_t extra_size() const noexcept override {
    return entries_.capacity() * sizeof(Entry) + index_.bucket_count() * sizeof(void*) +
           index_.size() * (2 * sizeof(std::size_t) + sizeof(void*));
  }
  // Python's dict == (see the top of this file), with any Dict<K, U>.
  bool equals(const Object& other) const override {
    // Both held: an element's equals() may drop either's last other reference.
    const auto self = detail::hold_unless_dying(this);
    const auto peer = detail::hold_unless_dying(&other);
    if (const auto* o = dynamic_cast<const Dict*>(&other)) {  // the same V: no virtual calls
      return equal_entries([o] { return o->size(); },
                           [o](const K& key) -> std::optional<Ref<V>> {
                             const std::size_t at = o->find(key, o->hash_(key));
                             if (at == kMissing) return std::nullopt;
                             return o->entries_[at].value;
                           });
    }
    const auto* o = dynamic_cast<const detail::DictBase<K>*>(&other);
    if (o == nullptr) return false;
    return equal_entries([o] { return o->equality_size(); },
                         [o](const K& key) { return o->equality_value(key); });
  }
  friend bool operator==(const Dict& a, const Dict& b) { return a.equals(b); }

 private:
  // set(): KeyArg is const K& or K.
  template <class KeyArg>
  void set_entry(KeyArg&& key, Ref<V> value) {
    const std::size_t h = hash_(key);
    const std::size_t at = find(key, h);
    maintain_tracking(key, value);  // after the lookup, as CPython's insertdict
    if (at != kMissing) {
      Ref<V> old = std::move(entries_[at].value);
      entries_[at].value = std::move(value);
      return;  // `old` is released after the dict is consistent
    }
    ++version_;  // first: push_back may reallocate even if the insertion then fails
    entries_.push_back(Entry{std::move(value), std::forward<KeyArg>(key), true});
    try {
      index_.emplace(h, entries_.size() - 1);
    } catch (...) {
      entries_.pop_back();
      throw;
    }
  }
  // DictBase, for a Dict<K, U> comparing itself with this dictionary.
  std::size_t equality_size() const noexcept override { return size(); }
  std::optional<Ref<Object>> equality_value(const K& key) const override {
    const std::size_t at = find(key, hash_(key));
    if (at == kMissing) return std::nullopt;
    return Ref<Object>(entries_[at].value);
  }

  // CPython's dict_equal, the other dictionary read through other_size()
  // and other_value(key) (a held value, or nothing when the key is missing).
  // By position, both values held: equals() is user code that may change
  // either dictionary.
  template <class Size, class Value>
  bool equal_entries(Size other_size, Value other_value) const {
    if (other_size() != size()) return false;
    const detail::CompareGuard guard;  // nested too deep: throws (RecursionError)
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (!entries_[i].live) continue;
      const K key = entries_[i].key;
      const Ref<V> a = entries_[i].value;
      const auto b = other_value(key);
      if (!b) return false;
      if (a == *b) continue;
      if (!a || !*b ||
          !detail::equal_objects(static_cast<const Object&>(*a), static_cast<const Object&>(**b)))
        return false;
    }
    return other_size() == size();
  }

  static std::string key_repr(const K& k) { return detail::key_repr(k); }
  // CPython's _PyDict_MaybeUntrack, for a full collection (src/collect.cc,
  // untrack_dicts): whether some key or value is of a GC type.
  static bool may_hold_tracked(const Object* o) noexcept {
    for (const Entry& e : static_cast<const Dict*>(o)->entries_)
      if (e.live && (of_gc_type(e.value) || key_of_gc_type(e.key))) return true;
    return false;
  }
  // CPython's _PyObject_GC_MAY_BE_TRACKED for a value or key: an object of
  // a GC type (one that overrides trace()), tracked or not.
  template <class X>
  static bool of_gc_type(const Ref<X>& r) noexcept {
    return r &&
           (detail::ObjectAccess::gc(static_cast<const Object*>(r.get())) & detail::kIsGc) != 0;
  }
  static bool key_of_gc_type(const K& key) noexcept {
    if constexpr (detail::dict_ref_key<K>::may_be_gc) {
      return of_gc_type(key);
    } else {
      (void)key;
      return false;
    }
  }
  // CPython's MAINTAIN_TRACKING: a Dict is made untracked (born_untracked,
  // above) and tracked, in generation 0, the first time it is given a key
  // or value of a GC type (one that overrides trace(): a List, a Dict, a
  // user type with references; tracked or not). After the key's lookup (a
  // hash or == that throws leaves it untracked, as CPython's insertdict) and
  // before any change, so that a failure to track leaves the dictionary
  // unchanged. With values and keys that cannot be of a GC type (Int, Str)
  // a Dict is never tracked: the test is left out.
  void maintain_tracking(const K& key, const Ref<V>& value) {
    if constexpr (detail::born_untracked<Dict>::value &&
                  (detail::may_be_of_gc_type<V> || detail::dict_ref_key<K>::may_be_gc)) {
      // Only an exact Dict: a subclass is untracked too while its
      // constructor runs (make<T>() tracks it after), and one whose
      // constructor sets entries was then tracked twice.
      if (REFGC_UNLIKELY((detail::ObjectAccess::gc(this) &
                          (detail::kStateMask | detail::kOrphanBit)) == detail::kUntracked &&
                         (of_gc_type(value) || key_of_gc_type(key))) &&
          typeid(*this) == typeid(Dict))
        detail::track_lazily(this, &listed_, &may_hold_tracked);
    }
  }
  static constexpr std::size_t kMissing = static_cast<std::size_t>(-1);
  using Index = std::unordered_multimap<std::size_t, std::size_t>;  // hash -> entry

  // erase and pop: removes key's entry, returns its value; throws
  // std::out_of_range(missing) when there is none.
  Ref<V> take(const K& key, const char* missing) {
    const std::size_t h = hash_(key);
    auto it = locate(key, h);
    if (it == index_.end()) throw std::out_of_range(missing);
    Entry& e = entries_[it->second];
    // The key first, copied if its move may throw (nothing has changed if
    // that throws); a Ref key dies after the dict is consistent.
    [[maybe_unused]] K old_key = std::move_if_noexcept(e.key);
    Ref<V> value = std::move(e.value);
    e.live = false;
    index_.erase(it);
    ++dead_;
    ++version_;
    if (dead_ > 16 && dead_ * 2 > entries_.size()) {
      try {
        compact();
      } catch (...) {
        // out of memory: the dead entries stay until the next chance
      }
    }
    return value;
  }

  typename Index::const_iterator locate(const K& key, std::size_t h) const {
    auto [first, last] = index_.equal_range(h);
    for (auto it = first; it != last; ++it)
      if (entries_[it->second].key == key) return it;
    return index_.end();
  }
  std::size_t find(const K& key, std::size_t h) const {
    auto it = locate(key, h);
    return it == index_.end() ? kMissing : it->second;
  }
  // Squeezes out dead entries. Rebuilding the index reuses its nodes' memory
  // only partly, so it may throw; the dict is unchanged if it does. So are
  // the entries: moved down in place only when their move assignment cannot
  // throw, else moved (or copied, if a move may throw) into a new vector.
  void compact() {
    Index fresh;
    fresh.reserve(index_.size());
    std::size_t out = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].live) fresh.emplace(hash_(entries_[i].key), out++);
    if constexpr (std::is_nothrow_move_assignable_v<Entry>) {
      out = 0;
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (!entries_[i].live) continue;
        if (out != i) entries_[out] = std::move(entries_[i]);
        ++out;
      }
      // (erase, not resize: a key type needs no default constructor)
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(out), entries_.end());
    } else {
      std::vector<Entry> kept;
      kept.reserve(out);
      for (Entry& e : entries_)
        if (e.live) kept.push_back(std::move_if_noexcept(e));
      entries_.swap(kept);  // the old entries (moved from or copied) die with `kept`
    }
    index_.swap(fresh);
    dead_ = 0;
  }

  // Keys are stored once, in entries_ (a Ref key holds one reference, as in
  // Python); the index maps hashes to entry positions.
  std::vector<Entry> entries_;
  Index index_;
  [[no_unique_address]] std::hash<K> hash_;
  std::size_t dead_ = 0;
  std::size_t version_ = 0;  // bumped when a key is added or removed (iterators check it)
  // Its place (+ 1) in the heap's list of Dicts that set() tracked, which a
  // full collection may untrack again (maintain_tracking); 0 when not listed.
  std::size_t listed_ = 0;
};

// Python's dict refuses weak references ("cannot create weak reference to
// 'dict' object"); a subclass of Dict accepts them (seed behaviour 52).
template <class K, class V>
struct detail::refuses_weakrefs_exactly<Dict<K, V>> : std::true_type {};

}  // namespace refgc
