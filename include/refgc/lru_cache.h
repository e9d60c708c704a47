// refgc/lru_cache.h: LruCache<K, V>, a bounded cache of strong references with
// least-recently-used eviction (Python's functools.lru_cache, as a container).
//
//   auto cache = refgc::make<refgc::LruCache<int, Result>>(1000);   // maxsize
//   cache->put(1, result);              // +1 on result
//   refgc::Ref<Result> r = cache->get(1);   // a hit; 1 is now the most recent
//   auto s = cache->get_or_compute(2, [](int k) { return compute(k); });  // a miss
//   cache->cache_info().repr();         // "CacheInfo(hits=1, misses=1, maxsize=1000, currsize=2)"
//
// Semantics (docs/guide/caches.md, seed behaviours 69 and 70):
//   * The cache never holds more than maxsize entries. Inserting a new key at
//     capacity evicts the least recently used entry; get() and put() make a key
//     the most recent, contains() and peek() do not.
//   * Values are strong references (an entry keeps its value alive, as
//     lru_cache keeps results alive). An evicted, erased or cleared value is
//     released at once -- its finalizer runs and its weak references die before
//     the call returns -- after the cache is consistent again, so a finalizer
//     may use the cache.
//   * hits()/misses() count get() and get_or_compute() lookups, as lru_cache
//     counts calls; maxsize 0 caches nothing (every lookup misses);
//     `refgc::unbounded` removes the bound. The default maxsize is 128, as for
//     functools.lru_cache().
//   * The cache is a managed object (create it with make<>): it is tracked by
//     the collector and traces its values (and its keys when K holds Refs
//     the tracer reaches: a Ref, an optional Ref, a pair of those; tracer.h),
//     so a value that refers back to the cache forms a collectable cycle.
//   * Values are never empty: put() of an empty Ref throws
//     std::invalid_argument, so get() returning an empty Ref always means a
//     miss.
//   * Keys: hashed with Hash, compared with KeyEqual; both may throw (the
//     operation then lets the exception out, the cache unchanged), and must
//     not use the cache: a lookup reads the entries after calling them (as
//     for Dict's keys).
//   * Thread safety: like every object, use it only on the thread that holds
//     its heap (docs/guide/caches.md, "Threads").
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <iterator>
#include <list>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "refgc/detail/cache_common.h"
#include "refgc/detail/pair_iteration.h"
#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

template <class K, class V = Object, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
class LruCache : public Object {
  struct Slot;
  using Item = std::pair<const K, Slot>;
  using Order = std::list<Item*>;  // least recently used first
  struct Slot {
    Ref<V> value;
    typename Order::iterator pos;
  };
  using Map = std::unordered_map<K, Slot, Hash, KeyEqual>;

 public:
  static constexpr const char* refgc_type_name = "LruCache";
  using key_type = K;
  using mapped_type = Ref<V>;

  // lru_cache(): maxsize 128.
  LruCache() : LruCache(std::size_t{128}) {}
  // lru_cache(maxsize): `refgc::unbounded` (std::nullopt) for no bound.
  explicit LruCache(std::optional<std::size_t> maxsize) : maxsize_(maxsize) {}
  // lru_cache(maxsize) with a signed integer (a literal such as 100): a
  // negative one is 0, as functools makes it (converted to std::size_t it
  // was an unbounded cache; review, API audit 2026-11-24).
  template <std::signed_integral I>
  explicit LruCache(I maxsize) : maxsize_(clamped(maxsize)) {}
  // Releases the entries least recently used first, as clear().
  ~LruCache() override { clear(); }

  // A lookup: the value (a new reference) and a hit, or an empty Ref and a
  // miss. A hit makes the key the most recently used.
  Ref<V> get(const K& key) {
    auto it = map_.find(key);
    if (it == map_.end()) {
      ++misses_;
      return Ref<V>();
    }
    ++hits_;
    touch(it->second);
    return it->second.value;
  }

  // The lru_cache-decorated call: on a hit returns the cached value; on a miss
  // calls compute(key), caches its result and returns it. Counts one hit or
  // one miss. If compute throws, nothing is cached. An empty result is
  // returned but not cached. If compute itself cached `key` (recursion), a
  // bounded cache keeps that entry and returns the computed value, and an
  // unbounded one stores the computed value over it, as CPython's lru_cache
  // does (its bounded and maxsize=None wrappers differ there).
  // The cache and a copy of the key are held through compute, as Python
  // holds the lru_cache wrapper it calls and the call's arguments: compute
  // may drop the cache's last reference (then the value is cached in it all
  // the same, and it dies when this returns), or free or move what `key`
  // refers to (an element of a std::vector it grows). compute is given the
  // copy.
  template <class F>
  requires std::is_invocable_v<F&, const K&> Ref<V> get_or_compute(const K& key, F&& compute) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      ++hits_;
      touch(it->second);
      return it->second.value;
    }
    ++misses_;
    const auto self = detail::hold_unless_dying(this);
    const K held = key;
    Ref<V> result = std::invoke(compute, held);
    if (!result || (maxsize_ && map_.find(held) != map_.end())) return result;
    put(held, result);
    return result;
  }

  // The value without counting or reordering (empty Ref when absent).
  Ref<V> peek(const K& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? Ref<V>() : it->second.value;
  }
  // Whether `key` is cached. Neither counts nor reorders.
  bool contains(const K& key) const { return map_.find(key) != map_.end(); }

  // cache[key] = value: inserts or replaces, and makes `key` the most recently
  // used. A new key at capacity evicts the least recently used entry, whose
  // key and then value are released before put() returns (lru_cache's
  // order). A replaced value is released too.
  // With maxsize 0 nothing is stored. Throws std::invalid_argument for an
  // empty value. Strong guarantee if memory runs out.
  void put(const K& key, Ref<V> value) {
    if (!value) throw std::invalid_argument("LruCache::put: empty Ref (a cache holds objects)");
    auto it = map_.find(key);
    if (it != map_.end()) {
      Ref<V> old = std::exchange(it->second.value, std::move(value));
      touch(it->second);
      return;  // `old` is released here, the cache being consistent
    }
    if (maxsize_ && *maxsize_ == 0) return;  // lru_cache(maxsize=0) stores nothing
    // A full cache finds its victim first: the lookup runs the user's hash
    // and ==, which may throw, and nothing has changed yet then. The room
    // reserved first means the insertion does not rehash, so `victim` stays
    // valid (unordered_map::extract(iterator) calls no user hash in
    // libstdc++ when the hash may throw: hash codes are cached then).
    const bool full = maxsize_ && map_.size() >= *maxsize_;
    typename Map::iterator victim;
    if (full) {
      map_.reserve(map_.size() + 1);
      victim = map_.find(order_.front()->first);
    }
    insert_new(key, std::move(value));
    if (full) {
      typename Map::node_type evicted = extract(victim);
      release(evicted);  // its key, then its value
    }
  }

  // del cache[key]: removes the entry and releases its value. Returns whether
  // there was one.
  bool erase(const K& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    typename Map::node_type node = extract(it);
    release(node);  // its key, then its value, as `del d[key]` does
    return true;
  }

  // cache.pop(key): removes the entry and hands its reference to the caller.
  // Throws std::out_of_range (KeyError) when absent.
  Ref<V> pop(const K& key) {
    auto it = map_.find(key);
    if (it == map_.end()) throw std::out_of_range("LruCache::pop: key not found");
    typename Map::node_type node = extract(it);
    return std::move(node.mapped().value);
  }

  // Removes every entry, then releases the entries least recently used
  // first, each entry's key before its value, as lru_cache's cache_clear()
  // (the cache is already empty when their finalizers run). The statistics
  // are kept.
  void clear() noexcept {
    ++version_;
    detail::clear_cache_entries<detail::KeyOrValueFirst::key>(order_, map_);
  }
  // lru_cache's cache_clear(): clear() and the statistics reset to zero.
  void cache_clear() noexcept {
    clear();
    reset_stats();
  }
  // Sets hits() and misses() back to zero; the entries stay.
  void reset_stats() noexcept { hits_ = misses_ = 0; }

  // Changes the bound, evicting least recently used entries down to it.
  // The new bound holds only once the cache fits it: if the user's hash
  // throws (or memory runs out) first, the old bound stays, and the entries
  // already evicted are released.
  void set_maxsize(std::optional<std::size_t> maxsize) {
    std::vector<typename Map::node_type> evicted;
    if (maxsize) {
      evicted.reserve(map_.size() > *maxsize ? map_.size() - *maxsize : 0);
      while (map_.size() > *maxsize) evicted.push_back(extract_front());
    }
    maxsize_ = maxsize;
    for (typename Map::node_type& node : evicted) release(node);  // least recently used first
  }
  // The same with a signed integer: below 0 is 0, as in the constructor.
  template <std::signed_integral I>
  void set_maxsize(I maxsize) {
    set_maxsize(std::optional<std::size_t>(clamped(maxsize)));
  }

  // Entries held now, and whether there are none.
  std::size_t size() const noexcept { return map_.size(); }
  bool empty() const noexcept { return map_.empty(); }
  // The bound; empty when unbounded.
  std::optional<std::size_t> maxsize() const noexcept { return maxsize_; }
  // lru_cache's statistics: lookups that found / did not find their key.
  std::size_t hits() const noexcept { return hits_; }
  std::size_t misses() const noexcept { return misses_; }
  // Entries held now (= size()).
  std::size_t currsize() const noexcept { return map_.size(); }
  // lru_cache's cache_info().
  CacheInfo cache_info() const { return CacheInfo{hits_, misses_, maxsize_, map_.size()}; }

  // The keys, least recently used first (the next to be evicted first).
  std::vector<K> keys() const {
    std::vector<K> out;
    out.reserve(map_.size());
    for (const Item* item : order_) out.push_back(item->first);
    return out;
  }

  // Iteration visits (key, value) pairs, least recently used first, without
  // reordering. As with Python's OrderedDict (an lru_cache's order), the
  // loop must not change the cache: once an entry was added, removed or
  // moved (put(), a get() hit, erase(), pop(), an eviction, clear(),
  // set_maxsize()), the next step or dereference of an iterator made before
  // throws std::runtime_error ("LruCache mutated during iteration") before
  // it touches the entries (review, API audit 2026-11-24: it read a freed
  // entry). peek(), contains() and the statistics change nothing. An
  // iterator made by begin() holds the cache, as Python's iterator holds its
  // dict: a loop body may drop the cache's last other reference (a managed
  // object that keeps an iterator traces it, `t(it)`). Dereferencing or
  // stepping an iterator at the end, or stepping back from the first entry,
  // throws std::out_of_range (Python's StopIteration).
  // The iterator is a std::bidirectional_iterator (`--it` walks most
  // recently used first, as reversed() of an OrderedDict does), so the cache
  // is a sized bidirectional range for the std::ranges algorithms and views;
  // for the algorithms of C++17 and before it is an input iterator. A step
  // yields std::pair<const K&, const Ref<V>&>; the value type,
  // std::pair<K, Ref<V>>, is a copy holding its own references
  // (detail/pair_iteration.h). Only const: iterator is const_iterator.
  class const_iterator {
   public:
    using iterator_concept = std::bidirectional_iterator_tag;
    using iterator_category = std::input_iterator_tag;
    using value_type = std::pair<K, Ref<V>>;
    using difference_type = std::ptrdiff_t;
    using reference = std::pair<const K&, const Ref<V>&>;
    using pointer = detail::ArrowProxy<reference>;
    // An iterator of no cache: equal to every other such iterator;
    // dereferencing or stepping it throws std::out_of_range (so does one
    // whose cache the collector took, `t(it)`).
    const_iterator() = default;
    reference operator*() const {
      check();
      at_entry();
      return {(*it_)->first, (*it_)->second.value};
    }
    pointer operator->() const { return pointer{**this}; }
    const_iterator& operator++() {
      check();
      at_entry();
      ++it_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    const_iterator& operator--() {
      check();
      if (it_ == cache_->order_.begin())
        throw std::out_of_range("LruCache iterator: no entry before this position (the first)");
      --it_;
      return *this;
    }
    const_iterator operator--(int) {
      const_iterator old = *this;
      --*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
      return a.it_ == b.it_;
    }
    using refgc_self_tracing = void;
    void trace(Tracer& t) {
      t(hold_);
      if (t.clearing()) cache_ = nullptr;  // the cache may die: each step then throws
    }

   private:
    friend class LruCache;
    const_iterator(const LruCache* cache, typename Order::const_iterator it, bool hold)
        : cache_(cache), it_(it), version_(cache->version_) {
      if (hold) hold_ = detail::hold_unless_dying(const_cast<LruCache*>(cache));
    }
    void check() const {
      if (REFGC_UNLIKELY(cache_ == nullptr || cache_->version_ != version_)) changed();
    }
    [[noreturn]] void changed() const {
      if (cache_ == nullptr)  // default-constructed, or the collector took the cache
        throw std::out_of_range("LruCache iterator: no entry at this position (of no cache)");
      throw std::runtime_error("LruCache mutated during iteration");
    }
    // The end: no entry to read or pass (the list's end node holds none).
    void at_entry() const {
      if (it_ == cache_->order_.end())
        throw std::out_of_range("LruCache iterator: no entry at this position (the end)");
    }
    const LruCache* cache_ = nullptr;
    Ref<LruCache> hold_;  // non-const: a clearing tracer takes it
    typename Order::const_iterator it_;
    std::size_t version_ = 0;
  };
  using iterator = const_iterator;
  const_iterator begin() const noexcept { return const_iterator(this, order_.begin(), true); }
  const_iterator end() const noexcept { return const_iterator(this, order_.end(), false); }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }

  // Values (and Ref keys), least recently used first. The collector's
  // clearing tracer takes them all (the keys too: the cache is emptied right
  // after, so no entry is looked up under a taken key), and the cache then
  // empties itself, as CPython's lru_cache clear does: values are never
  // empty (review 2026-11-23: a destructor run afterwards saw get() hit an
  // empty value). The statistics stay.
  void trace(Tracer& t) override {
    if (t.clearing()) {
      // Each value and Ref key is taken in place, then the map is cleared:
      // clear() hashes nothing (extract() and swap() would hash keys that
      // are empty now; review 2026-11-23: a crash inside the hash table),
      // and the entries die holding nothing. (A map key is const: it is
      // changed here only because the map is emptied before any lookup.)
      for (Item* item : order_) {
        t(item->second.value);
        if constexpr (detail::is_traceable<K>()) t(const_cast<K&>(item->first));
      }
      ++version_;
      order_.clear();
      map_.clear();
      return;
    }
    for (Item* item : order_) {
      t(item->second.value);
      if constexpr (detail::is_traceable<K>()) t(item->first);
    }
  }
  // "['a']" for the value cached under the key 'a', "key 'a'" for a Ref key
  // itself (diagnostics: a chain through a cache names the call that keeps
  // the object alive). The key is held while its repr() runs.
  std::string reference_name(const Object& target) const override {
    const auto self = detail::hold_unless_dying(this);
    for (Item* item : order_)
      if (auto name = detail::entry_reference_name(item->first, item->second.value.get(), target))
        return *name;
    return {};
  }
  // "LruCache(maxsize=1000, currsize=3)"
  std::string repr() const override {
    return detail::cache_repr("LruCache", maxsize_, map_.size());
  }
  std::size_t extra_size() const noexcept override {
    return map_.bucket_count() * sizeof(void*) + map_.size() * (sizeof(Item) + 2 * sizeof(void*)) +
           order_.size() * (sizeof(Item*) + 2 * sizeof(void*));
  }

 private:
  template <std::signed_integral I>
  static std::size_t clamped(I maxsize) noexcept {
    return maxsize < 0 ? 0 : static_cast<std::size_t>(maxsize);
  }
  void touch(Slot& slot) noexcept {
    ++version_;
    order_.splice(order_.end(), order_, slot.pos);
  }

  void insert_new(const K& key, Ref<V> value) {
    ++version_;  // first: the insertion may fail after changing the table
    auto [it, inserted] = map_.try_emplace(key, Slot{std::move(value), {}});
    (void)inserted;
    try {
      order_.push_back(&*it);
    } catch (...) {
      map_.erase(it);
      throw;
    }
    it->second.pos = std::prev(order_.end());
  }
  // Releases an entry taken out of the map: its key, then its value, as
  // CPython's lru_cache releases an evicted link's old key before its old
  // result. (A key whose move may throw is released after its value.)
  static void release(typename Map::node_type& node) noexcept {
    if (node.empty()) return;
    if constexpr (!std::is_trivially_destructible_v<K> && std::is_nothrow_move_constructible_v<K>)
      detail::release_moved(node.key());
    node = typename Map::node_type();
  }
  typename Map::node_type extract(typename Map::iterator it) {
    ++version_;
    order_.erase(it->second.pos);
    return map_.extract(it);
  }
  // The least recently used entry. The lookup (the user's hash and ==, which
  // may throw) comes before anything is unlinked.
  typename Map::node_type extract_front() { return extract(map_.find(order_.front()->first)); }

  Map map_;
  Order order_;
  std::optional<std::size_t> maxsize_;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
  std::size_t version_ = 0;  // bumped by every change of the entries or their order
};

}  // namespace refgc
