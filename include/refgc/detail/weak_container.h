// refgc/detail/weak_container.h: what WeakValueDictionary, WeakKeyDictionary
// and WeakSet share. Internal.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "refgc/detail/group_probe.h"
#include "refgc/object.h"
#include "refgc/weak_ref.h"

namespace refgc::detail {

// A weak container's state lives in a counted block: its entries' removal
// callbacks hold it weakly (WeakStateRef), so a container destroyed while a
// callback is pending is simply skipped, and a callback that runs holds the
// state (lock()) until it returns. A moved-from container reads as empty and
// makes a new state when written to.
//
// This is std::shared_ptr / std::weak_ptr without the atomics: a container,
// its weak references and their callbacks are only used by the thread holding
// the heap, like every refgc object. The weak handle is one pointer, so a
// removal callback capturing it and a small key is stored inside its weak
// reference with no allocation (weak_ref.h), and copying or locking it costs
// no locked instruction.
template <class State>
class WeakStateBlock {
 public:
  WeakStateBlock() { ::new (static_cast<void*>(storage_)) State(); }
  State& state() noexcept { return *std::launder(reinterpret_cast<State*>(storage_)); }
  bool alive() const noexcept { return strong_ != 0; }
  void add_strong() noexcept { ++strong_; }
  void add_weak() noexcept { ++weak_; }
  // The last strong holder destroys the state (which may run callbacks that
  // drop weak holders: the block is held meanwhile), the last holder of any
  // kind frees the block.
  void release_strong() noexcept {
    if (--strong_ != 0) return;
    ++weak_;
    state().~State();
    release_weak();
  }
  void release_weak() noexcept {
    if (--weak_ == 0 && strong_ == 0) delete this;
  }

 private:
  alignas(State) unsigned char storage_[sizeof(State)];
  std::size_t strong_ = 1;
  std::size_t weak_ = 0;
};

// A strong hold on a container's state while a removal callback uses it.
template <class State>
class WeakStatePin {
 public:
  explicit WeakStatePin(WeakStateBlock<State>* b) noexcept : b_(b) {
    if (b_ != nullptr) b_->add_strong();
  }
  WeakStatePin(const WeakStatePin&) = delete;
  WeakStatePin& operator=(const WeakStatePin&) = delete;
  ~WeakStatePin() {
    if (b_ != nullptr) b_->release_strong();
  }
  explicit operator bool() const noexcept { return b_ != nullptr; }
  State* operator->() const noexcept { return &b_->state(); }

 private:
  WeakStateBlock<State>* b_;
};

// What a removal callback holds: the state, weakly.
template <class State>
class WeakStateRef {
 public:
  explicit WeakStateRef(WeakStateBlock<State>* b) noexcept : b_(b) { b_->add_weak(); }
  WeakStateRef(const WeakStateRef& o) noexcept : b_(o.b_) {
    if (b_ != nullptr) b_->add_weak();
  }
  WeakStateRef(WeakStateRef&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  WeakStateRef& operator=(const WeakStateRef&) = delete;
  ~WeakStateRef() {
    if (b_ != nullptr) b_->release_weak();
  }
  // Empty once the container is gone.
  WeakStatePin<State> lock() const noexcept {
    return WeakStatePin<State>(b_ != nullptr && b_->alive() ? b_ : nullptr);
  }

 private:
  WeakStateBlock<State>* b_;
};

template <class State>
class WeakContainerState {
 public:
  WeakContainerState() : b_(new WeakStateBlock<State>()) {}
  WeakContainerState(WeakContainerState&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  WeakContainerState& operator=(WeakContainerState&& o) noexcept {
    if (this != &o) {
      WeakStateBlock<State>* old = std::exchange(b_, std::exchange(o.b_, nullptr));
      if (old != nullptr) old->release_strong();
    }
    return *this;
  }
  ~WeakContainerState() {
    if (b_ != nullptr) b_->release_strong();
  }

  // Every operation goes through st() or mut(): debug builds check the
  // thread here.
  const State& st() const noexcept {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    static const State empty;
    return b_ != nullptr ? b_->state() : empty;
  }
  State& mut() {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    if (b_ == nullptr) b_ = new WeakStateBlock<State>();
    return b_->state();
  }
  // The state if there is one (a moved-from container has none): for the
  // noexcept operations, which must not allocate one.
  State* existing() noexcept {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    return b_ != nullptr ? &b_->state() : nullptr;
  }
  WeakStateRef<State> weak() {
    mut();
    return WeakStateRef<State>(b_);
  }
  // A strong hold on the state (empty for a moved-from container), for an
  // operation whose entries' destructors run user code between its steps:
  // one may destroy or reassign the container (drop its owner's last
  // reference), as Python's method holds `self`. Diff review 2026-11-24.
  WeakStatePin<State> pin() noexcept {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    return WeakStatePin<State>(b_);
  }
  // pin(), making the state first if there is none: for add() and set(),
  // whose weak reference's allocation may collect, and a finalizer may
  // destroy the container there (drop its owner's last reference); they
  // reach the state only through the pin after it (an entry made for a
  // container destroyed meanwhile goes into the state, which dies with the
  // pin; weak_containers.py --auto-gc, 2026-11-24).
  WeakStatePin<State> pin_for_call() {
    mut();
    return pin();
  }

 private:
  WeakStateBlock<State>* b_;
};

// A lookup by an object that found no entry (WeakKeyDictionary's get, at,
// erase; WeakSet's remove, discard): throws std::invalid_argument, as
// WeakRef's constructor does, if the object cannot be weakly referenced.
// CPython looks a key up as ref(key), which raises TypeError for such an
// object, in every operation but `in` (spec §2.2; test_weakref.py's
// test_weak_keyed_bad_delitem, test_weakset.py's test_remove and
// test_discard); contains() stays false. Called on a miss only: an object
// found in the container was weakly referenced, so a hit costs nothing. T
// final: its type was checked at compile time (WeakRef<T>). An empty Ref is
// refgc's "no object", missing for every lookup.
template <class T>
void refuse_unweakrefable_key(const Object* key) {
  if constexpr (!std::is_final_v<T>) {
    if (key != nullptr && !is_weakrefable(*key))
      throw std::invalid_argument("cannot create weak reference to '" + type_name(*key) +
                                  "' object");
  }
}

// The entries of a weak container: a compact hash map (CPython's dict
// layout). Entries sit in one vector in insertion order (iteration order, as
// in CPython); an index table of 32-bit positions finds them. No allocation
// per entry: a std::unordered_map node per entry was the second allocation
// of every WeakValueDictionary insert, and its prime-modulo bucket index a
// division per lookup.
//
// A key's first index slot is its hash's low bits (std::hash of an integer
// is the integer: consecutive keys take consecutive slots, as in a CPython
// dict); after a collision it tries the rest of its group of four slots,
// then jumps to other groups by an odd stride mixed from the hash (double
// hashing over groups), so colliding keys form no runs. Removal leaves a hole
// in the entries and a tombstone in the index; a rebuild on insertion drops
// both.
//
// Each entry keeps its key's hash, computed once by the caller before the
// insertion (hash()), as a CPython dict does. So the user's Hash is called
// only by hash(), and Eq only by find() (on entries whose stored hash is the
// key's): both may throw, and then the map is unchanged. Everything else --
// rebuild(), erase(), erase_if() -- calls neither, and cannot throw from
// them: a removal callback, which runs in a noexcept context when a referent
// dies, never runs the user's hash or equality.
//
// Invariants:
//   * size_ counts the engaged entries; the others (entries_.size() - size_)
//     are holes. Whether there are holes is `entries_.size() != size_`.
//   * An index slot is kEmpty, kTombstone or the position of an engaged
//     entry; every engaged entry has exactly one slot, on its hash's probe
//     sequence and before any kEmpty slot of it. No slot names a hole.
//   * Every removal makes one hole and one tombstone; an insertion may take a
//     tombstone's slot (its hole stays: tombstones never outnumber holes, and
//     "no tombstones" does not mean "no holes"); a rebuild drops both. So
//     the used slots (engaged entries plus tombstones) never outnumber
//     entries_.size(), which stays at or below half the index slots: every
//     probe meets an empty slot.
//
// Positions stay valid until the next insertion or clear. A removed or
// replaced entry is moved out first and destroyed last, when the map is
// consistent again: its destructor may run user code that uses the container
// (so K's and V's move constructors must not throw, and a moved-from K or V
// must own nothing whose release runs user code).
struct AddressHash {
  std::size_t operator()(const void* p) const noexcept {
    return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(p) >> 4);
  }
};

template <class K, class V, class Hash = std::hash<K>, class Eq = std::equal_to<K>>
class FlatMap {
 public:
  using Entry = std::pair<K, V>;
  static constexpr std::size_t npos = ~std::size_t{0};

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // key's hash: the user's Hash, which may throw.
  static std::size_t hash(const K& key) noexcept(noexcept(Hash{}(key))) { return Hash{}(key); }

  // The position of key's entry, or npos; `h` is hash(key). Eq may throw.
  std::size_t find(const K& key, std::size_t h) const {
    if (index_.empty()) return npos;
    for (Probe p(h, index_.size() - 1);; p.next()) {
      const std::uint32_t at = index_[p.i];
      if (at == kEmpty) return npos;
      if (at != kTombstone && entries_[at].hash == h && Eq{}(entries_[at].entry->first, key))
        return at;
    }
  }
  std::size_t find(const K& key) const { return find(key, hash(key)); }
  // The position of the first entry whose stored hash is `h` and for which
  // `pred(entry)` is true, or npos. Calls neither Hash nor Eq.
  template <class Pred>
  std::size_t find_if(std::size_t h, Pred&& pred) const {
    if (index_.empty()) return npos;
    for (Probe p(h, index_.size() - 1);; p.next()) {
      const std::uint32_t at = index_[p.i];
      if (at == kEmpty) return npos;
      if (at != kTombstone && entries_[at].hash == h && pred(std::as_const(*entries_[at].entry)))
        return at;
    }
  }
  Entry& operator[](std::size_t pos) noexcept { return *entries_[pos].entry; }
  const Entry& operator[](std::size_t pos) const noexcept { return *entries_[pos].entry; }

  // d[key] = value; `h` is hash(key). Strong guarantee: on an exception (from
  // Eq, from copying the key, from allocation) the map is unchanged. A
  // replaced value is moved out and dies last, the map consistent.
  // A key given as an rvalue is moved into a new entry.
  template <class KK, class M>
  requires std::is_same_v<std::remove_cvref_t<KK>, K>
  void insert_or_assign(KK&& key, std::size_t h, M&& value) {
    if (const std::size_t at = find(key, h); at != npos) {
      [[maybe_unused]] V old = std::exchange(entries_[at].entry->second, std::forward<M>(value));
      return;
    }
    emplace_new(std::forward<KK>(key), h, std::forward<M>(value));
  }
  // Inserts a key known to be absent; `h` is hash(key). Strong guarantee.
  template <class KK, class... A>
  requires std::is_same_v<std::remove_cvref_t<KK>, K>
  void emplace_new(KK&& key, std::size_t h, A&&... value) {
    if ((entries_.size() + 1) * 2 > index_.size()) rebuild();
    if (entries_.size() >= kTombstone) throw std::length_error("refgc weak container too large");
    // may throw: no change
    entries_.emplace_back(h, std::forward<KK>(key), std::forward<A>(value)...);
    std::size_t slot = 0;
    for (Probe p(h, index_.size() - 1);; p.next()) {
      const std::uint32_t at = index_[p.i];
      if (at == kEmpty || at == kTombstone) {
        slot = p.i;
        break;
      }
    }
    index_[slot] = static_cast<std::uint32_t>(entries_.size() - 1);
    ++size_;
  }
  void erase(std::size_t pos) noexcept { (void)take(pos); }  // the entry dies here
  // Removes the first entry whose stored hash is `h` and for which
  // `pred(entry)` is true; returns whether it did. One probe, and no call to
  // Hash or Eq: what every removal callback of a weak container does.
  template <class Pred>
  bool erase_if(std::size_t h, Pred&& pred) noexcept {
    static_assert(std::is_nothrow_invocable_r_v<bool, Pred&, const Entry&>,
                  "erase_if runs in removal callbacks: its predicate must not throw");
    if (index_.empty()) return false;
    for (Probe p(h, index_.size() - 1);; p.next()) {
      const std::uint32_t at = index_[p.i];
      if (at == kEmpty) return false;
      if (at != kTombstone && entries_[at].hash == h && pred(std::as_const(*entries_[at].entry))) {
        remove(p.i, at);
        return true;
      }
    }
  }
  // Empties the map. The entries die after it is empty; entries their
  // destructors add are cleared in turn, as Python's MutableMapping.clear()
  // pops items until the mapping is empty.
  void clear() noexcept {
    while (!entries_.empty()) {
      std::vector<Slot> dead;
      dead.swap(entries_);
      std::vector<std::uint32_t>().swap(index_);
      size_ = 0;
    }  // `dead` is destroyed here, the map empty and consistent
  }
  // Empties the map as CPython's MutableMapping.clear() empties a dict
  // (popitem() until it raises): the last entry is taken out and dies, then
  // the one before it, so each entry's destructor finds the entries before it
  // still there, and entries a destructor adds are taken next.
  // `before(entry)` runs on each entry taken out, before it dies. Used by the
  // weak dictionaries' clear() (review 2026-11-24, session 17).
  template <class Before>
  void clear_last_first(Before&& before) noexcept {
    std::size_t pos = entries_.size();
    const Slot* seen_data = entries_.data();
    std::size_t seen_size = pos;
    while (size_ != 0) {
      // A destructor that added entries (or rebuilt the map) moved them.
      if (entries_.data() != seen_data || entries_.size() != seen_size) pos = entries_.size();
      while (pos > 0 && !entries_[pos - 1].entry) --pos;
      if (pos == 0) {  // cannot happen while size_ != 0; rescan to be safe
        pos = entries_.size();
        continue;
      }
      --pos;
      Entry dead = take(pos);
      seen_data = entries_.data();
      seen_size = entries_.size();
      before(dead);
    }         // each `dead` dies at the end of its iteration, the map consistent
    clear();  // only holes are left
  }
  // f(entry) for each entry, in insertion order. f must not change the map.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : entries_)
      if (s.entry) f(*s.entry);
  }
  // The same with each entry mutable: for a container's trace(), whose
  // clearing tracer empties the Refs in place, the map then cleared without
  // hashing anything. f must not add or remove entries.
  template <class F>
  void for_each_mut(F&& f) {
    for (Slot& s : entries_)
      if (s.entry) f(*s.entry);
  }

 private:
  static constexpr std::uint32_t kEmpty = ~std::uint32_t{0};
  static constexpr std::uint32_t kTombstone = kEmpty - 1;
  static constexpr std::size_t kGroup = 4;
  // Slot h & mask first (detail/group_probe.h).
  struct Probe : GroupProbe<kGroup> {
    Probe(std::size_t h, std::size_t m) noexcept : GroupProbe<kGroup>(h, h, m) {}
  };
  // An entry and its key's hash; disengaged: a hole left by a removal.
  struct Slot {
    template <class... A>
    explicit Slot(std::size_t h, A&&... a) : hash(h), entry(std::in_place, std::forward<A>(a)...) {}
    std::size_t hash;
    std::optional<Entry> entry;
  };
  // Moves the entry at `pos` out of the map.
  Entry take(std::size_t pos) noexcept {
    for (Probe p(entries_[pos].hash, index_.size() - 1);; p.next())
      if (index_[p.i] == pos) return take(p.i, pos);
  }
  // Moves the entry at `pos`, whose index slot is `slot`, out of the map.
  Entry take(std::size_t slot, std::size_t pos) noexcept {
    index_[slot] = kTombstone;
    Entry dead(std::move(*entries_[pos].entry));
    entries_[pos].entry.reset();
    --size_;
    return dead;
  }
  // Removes the entry at `pos`, whose index slot is `slot`.
  void remove(std::size_t slot, std::size_t pos) noexcept {
    (void)take(slot, pos);
  }  // the entry is destroyed here, the map consistent
  // Drops the holes and rebuilds the index, sized for live entries to fill
  // at most a quarter of it (room for as many insertions again). Uses the
  // stored hashes: may throw only std::bad_alloc (or from copying an entry
  // whose move may throw), and then the map is unchanged.
  void rebuild() {
    std::size_t cap = 8;
    while ((size_ + 1) * 4 > cap) cap *= 2;
    std::vector<std::uint32_t> index(cap, kEmpty);
    std::vector<Slot> entries;
    if (entries_.size() != size_) {  // holes
      entries.reserve(std::max<std::size_t>(size_, 4) * 2);
      for (Slot& s : entries_)
        if (s.entry) entries.push_back(std::move_if_noexcept(s));  // copies if a move may throw
    } else {
      entries.swap(entries_);  // no holes: keep the vector (and its order)
    }
    for (std::size_t at = 0; at < entries.size(); ++at) {
      Probe p(entries[at].hash, cap - 1);
      while (index[p.i] != kEmpty) p.next();
      index[p.i] = static_cast<std::uint32_t>(at);
    }
    index_.swap(index);
    entries_.swap(entries);  // the old entries (moved-from) die with `entries`
  }
  std::vector<Slot> entries_;
  std::vector<std::uint32_t> index_;
  std::size_t size_ = 0;
};

// Iterates over a snapshot taken when the loop started. `Live` turns a
// snapshot element into the value to visit (strong references), emplaced in
// an optional (so Value needs no default constructor), and returns false for
// an element whose referent has died since: it is skipped.
//
// A std::input_iterator, and no more: what a step yields lives in the
// iterator (the strong reference held while the element is visited), and
// whether an element is visited is decided when the step reaches it, so two
// copies stepped at different times may visit different elements (a
// forward iterator's copies must not). Python's iterators are single-pass
// too. A default-constructed iterator is at the end: equal to end().
template <class Element, class Value, class Live>
class SnapshotIterator {
 public:
  using Snapshot = std::vector<Element>;
  using iterator_concept = std::input_iterator_tag;
  using iterator_category = std::input_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using reference = const Value&;
  using pointer = const Value*;
  SnapshotIterator() = default;
  SnapshotIterator(std::shared_ptr<Snapshot> snap, std::size_t i) : snap_(std::move(snap)), i_(i) {
    settle();
  }
  // At the end (nothing left to visit), dereferencing or stepping throws
  // std::out_of_range, as List's iterator does (review, API audit
  // 2026-11-24: it read an empty std::optional, and a step restarted the
  // walk at the snapshot's first element).
  const Value& operator*() const { return *element(); }
  const Value* operator->() const { return element(); }
  SnapshotIterator& operator++() {
    (void)element();
    ++i_;
    settle();
    return *this;
  }
  // The iterator as it was, still holding the element it was at.
  SnapshotIterator operator++(int) {
    SnapshotIterator was = *this;
    ++*this;
    return was;
  }
  friend bool operator==(const SnapshotIterator& a, const SnapshotIterator& b) noexcept {
    return a.i_ == b.i_;
  }
  static SnapshotIterator end() { return SnapshotIterator(nullptr, kEnd); }

 private:
  static constexpr std::size_t kEnd = static_cast<std::size_t>(-1);
  const Value* element() const {
    if (!current_)
      throw std::out_of_range(
          "weak container iterator: no element at this position (past the end)");
    return &*current_;
  }
  // Each element examined replaces the current one only once its own
  // referent is held (or found dead), as Python's items() generator rebinds
  // `v = wr()`: a value the loop body dropped lives until then, so another
  // entry with the same value is still visited (review 2026-11-24, session
  // 17).
  void settle() {
    if (snap_) {
      for (; i_ < snap_->size(); ++i_) {
        std::optional<Value> next;
        const bool live = Live{}((*snap_)[i_], next);
        current_.swap(next);  // the previous one goes now, with `next`
        if (live) return;
      }
    }
    current_.reset();
    i_ = kEnd;
  }
  std::shared_ptr<Snapshot> snap_;
  std::size_t i_ = kEnd;
  std::optional<Value> current_;
};

}  // namespace refgc::detail
