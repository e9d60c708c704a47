// refgc/ttl_cache.h: TtlCache<K, V>, a bounded LRU cache whose entries expire
// a fixed time after insertion (cachetools.TTLCache), or after their last
// read (sliding expiry, like a session store).
//
//   using namespace std::chrono_literals;
//   auto sessions = refgc::make<refgc::TtlCache<std::string, Session>>(100'000, 30min);
//   sessions->put("s1", session);           // valid until now + 30 min
//   refgc::Ref<Session> s = sessions->get("s1");   // empty once expired
//   sessions->expire();                     // removes every expired entry, returns how many
//
//   // sliding expiry, an injected clock, and a background sweep every minute:
//   auto store = refgc::make<refgc::TtlCache<std::string, Session>>(
//       refgc::unbounded, 30min, refgc::Expiry::sliding, [&] { return fake_now; });
//   store->start_sweeper(1min, [](std::size_t n) { if (n) log(n); });
//
// Semantics (docs/guide/caches.md, seed behaviours 71-73):
//   * An entry is valid while now < deadline, deadline = the time it was put
//     + ttl: it is invalid from exactly insert time + ttl. Fixed expiry (the
//     default, cachetools' semantics): reads do not extend the deadline;
//     putting an existing key again restarts it. Sliding expiry: a successful
//     get() also sets the deadline to now + ttl.
//   * Bounded at maxsize with least-recently-used eviction (get() and put()
//     make a key the most recent). put() first removes every expired entry,
//     then evicts the least recently used one if the cache is still full.
//   * Expired entries are removed lazily: get() of an expired key removes it
//     (a miss), put() removes all expired entries, expire() removes them on
//     demand and returns the count, and an optional background thread calls
//     expire() periodically under the heap lock (start_sweeper). Until then an
//     expired entry still holds its value: size() counts it, valid_size() and
//     contains() do not.
//   * Removed values (expired, evicted, erased, replaced) are released at once,
//     after the cache is consistent, as in LruCache.
//   * The clock is a callable returning a std::chrono time point or duration;
//     the default is std::chrono::steady_clock. It must not go backwards, and
//     it is called under the heap lock (also by the sweeper thread). Every
//     function that reads it does so first, before it looks anything up: the
//     clock is user code, and a collection it causes (a clock that allocates)
//     runs finalizers that may change the cache (review, API audit
//     2026-11-24: a lookup that read it with an entry in hand went on with a
//     freed entry). Those functions, expire() included, also hold the cache
//     through the call, as Python holds `self`: a finalizer may drop its last
//     reference.
//   * A managed, traced object like LruCache; hits()/misses()/cache_info()
//     count get() lookups (an expired hit counts as a miss). Keys as for
//     LruCache: Hash and KeyEqual may throw, and must not use the cache.
#pragma once

#include <chrono>
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
#include "refgc/ref.h"
#include "refgc/tracer.h"

namespace refgc {

// How a TtlCache entry's deadline moves.
enum class Expiry {
  fixed,    // insert time + ttl; reads do not extend it (cachetools.TTLCache)
  sliding,  // last successful get() (or put) + ttl
};

namespace detail {
template <class X>
struct is_chrono_duration : std::false_type {};
template <class R, class P>
struct is_chrono_duration<std::chrono::duration<R, P>> : std::true_type {};

// Wraps a user clock (returning a time point or a duration) as a function
// returning nanoseconds since its epoch.
template <class F>
std::function<std::chrono::nanoseconds()> make_ttl_clock(F clock) {
  using R = std::remove_cvref_t<std::invoke_result_t<F&>>;
  if constexpr (is_chrono_duration<R>::value) {
    return [clock]() mutable {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(std::invoke(clock));
    };
  } else {
    return [clock]() mutable {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::invoke(clock).time_since_epoch());
    };
  }
}
}  // namespace detail

template <class K, class V = Object, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
class TtlCache : public Object {
  struct Slot;
  using Item = std::pair<const K, Slot>;
  using Order = std::list<Item*>;
  struct Slot {
    Ref<V> value;
    std::chrono::nanoseconds deadline;
    typename Order::iterator lru;  // in lru_: least recently used first
    typename Order::iterator exp;  // in exp_: earliest deadline first
  };
  using Map = std::unordered_map<K, Slot, Hash, KeyEqual>;

 public:
  static constexpr const char* refgc_type_name = "TtlCache";
  using key_type = K;
  using mapped_type = Ref<V>;
  using Duration = std::chrono::nanoseconds;
  using Clock = std::function<Duration()>;

  // TTLCache(maxsize, ttl) with std::chrono::steady_clock. `maxsize` may be
  // `refgc::unbounded`. Throws std::invalid_argument if ttl <= 0. A ttl longer
  // than std::chrono::nanoseconds holds (about 292 years) never expires.
  template <class Rep, class Period>
  TtlCache(std::optional<std::size_t> maxsize, std::chrono::duration<Rep, Period> ttl,
           Expiry expiry = Expiry::fixed)
      : TtlCache(maxsize, ttl, expiry, [] { return std::chrono::steady_clock::now(); }) {}

  // The same with an injected clock: any callable returning a std::chrono
  // time point or duration (TTLCache's `timer`).
  template <class Rep, class Period, class F>
  requires std::is_invocable_v<F&> TtlCache(std::optional<std::size_t> maxsize,
                                            std::chrono::duration<Rep, Period> ttl, Expiry expiry,
                                            F clock)
      : maxsize_(maxsize),
        // A ttl too long for nanoseconds (over 292 years) is the longest
        // they hold: entries then never expire.
        ttl_(detail::positive_nanoseconds(ttl, "TtlCache: ttl must be positive")),
        expiry_(expiry),
        clock_(detail::make_ttl_clock(std::move(clock))) {}

  // The same two with maxsize a signed integer (a literal such as 100):
  // a negative one throws std::invalid_argument ("TtlCache: maxsize must not
  // be negative"; converted to std::size_t it was an unbounded cache).
  template <std::signed_integral I, class Rep, class Period>
  TtlCache(I maxsize, std::chrono::duration<Rep, Period> ttl, Expiry expiry = Expiry::fixed)
      : TtlCache(detail::nonnegative_maxsize(maxsize, "TtlCache: maxsize must not be negative"),
                 ttl, expiry) {}
  template <std::signed_integral I, class Rep, class Period, class F>
  requires std::is_invocable_v<F&> TtlCache(I maxsize, std::chrono::duration<Rep, Period> ttl,
                                            Expiry expiry, F clock)
      : TtlCache(detail::nonnegative_maxsize(maxsize, "TtlCache: maxsize must not be negative"),
                 ttl, expiry, std::move(clock)) {}

  // Stops the sweeper (without waiting for a thread that waits for the heap),
  // then releases the entries least recently used first, as clear().
  ~TtlCache() override {
    sweeper_.abandon();
    clear();
  }

  // A lookup: the value (a new reference) if the key is present and not
  // expired -- a hit, which makes it the most recently used and, in sliding
  // mode, restarts its ttl. An expired entry is removed and released: a miss.
  Ref<V> get(const K& key) {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    auto it = map_.find(key);
    if (it == map_.end()) {
      ++misses_;
      return Ref<V>();
    }
    if (!(now < it->second.deadline)) {
      ++misses_;
      typename Map::node_type expired = extract(it);
      return Ref<V>();
    }  // the expired value is released here
    ++hits_;
    lru_.splice(lru_.end(), lru_, it->second.lru);
    if (expiry_ == Expiry::sliding) {
      it->second.deadline = deadline_after(now);
      exp_.splice(exp_.end(), exp_, it->second.exp);
    }
    return it->second.value;
  }

  // The value if present and not expired, without counting, reordering,
  // refreshing or removing anything.
  Ref<V> peek(const K& key) const {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    auto it = map_.find(key);
    if (it == map_.end() || !(now < it->second.deadline)) return Ref<V>();
    return it->second.value;
  }
  // Whether `key` is present and not expired (`key in cache`). Changes nothing.
  bool contains(const K& key) const {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    auto it = map_.find(key);
    return it != map_.end() && now < it->second.deadline;
  }
  // The time left before `key` expires; empty if absent or expired.
  std::optional<Duration> remaining_ttl(const K& key) const {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    if (!(now < it->second.deadline)) return std::nullopt;
    return it->second.deadline - now;
  }

  // cache[key] = value: removes every expired entry, then inserts or
  // replaces; the entry's deadline becomes now + ttl and it becomes the most
  // recently used. A new key in a full cache evicts the least recently used
  // entry. Removed values are released before put() returns. With maxsize 0
  // nothing is stored. Throws std::invalid_argument for an empty value.
  void put(const K& key, Ref<V> value) {
    if (!value) throw std::invalid_argument("TtlCache::put: empty Ref (a cache holds objects)");
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    std::vector<typename Map::node_type> removed = take_expired(now);
    auto it = map_.find(key);
    if (it != map_.end()) {
      Ref<V> old = std::exchange(it->second.value, std::move(value));
      it->second.deadline = deadline_after(now);
      lru_.splice(lru_.end(), lru_, it->second.lru);
      exp_.splice(exp_.end(), exp_, it->second.exp);
      removed.clear();  // the expired values first, as cachetools expires before it stores
      return;
    }  // then the replaced value
    if (maxsize_ && *maxsize_ == 0) return;
    // A full cache finds its victim first, as LruCache::put does: the lookup
    // may throw (the user's hash and ==) while nothing has changed, and the
    // room reserved first keeps `victim` valid through the insertion.
    const bool full = maxsize_ && map_.size() >= *maxsize_;
    typename Map::iterator victim;
    if (full) {
      map_.reserve(map_.size() + 1);
      victim = map_.find(lru_.front()->first);
    }
    insert_new(key, std::move(value), deadline_after(now));
    typename Map::node_type evicted;
    if (full) evicted = extract(victim);
  }  // the evicted value, then the expired ones, are released here

  // cachetools' expire(): removes every entry whose deadline has passed and
  // releases the values (earliest deadline first). Returns how many.
  std::size_t expire() {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    std::vector<typename Map::node_type> removed = take_expired(clock_());
    return removed.size();
  }  // the values are released here, after the cache is consistent

  // del cache[key]: removes the entry (expired or not) and releases its
  // value. Returns whether there was one.
  bool erase(const K& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    typename Map::node_type node = extract(it);
    return true;
  }
  // cache.pop(key): removes a valid entry and hands its reference to the
  // caller. Throws std::out_of_range (KeyError) when absent or expired (an
  // expired entry is removed all the same).
  Ref<V> pop(const K& key) {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    auto it = map_.find(key);
    if (it == map_.end()) throw std::out_of_range("TtlCache::pop: key not found");
    const bool valid = now < it->second.deadline;
    typename Map::node_type node = extract(it);
    if (!valid) throw std::out_of_range("TtlCache::pop: key expired");
    return std::move(node.mapped().value);
  }

  // Removes every entry, then releases the entries least recently used
  // first, each entry's value before its key, as cachetools' clear() does.
  // Statistics are kept.
  void clear() noexcept {
    exp_.clear();
    detail::clear_cache_entries<detail::KeyOrValueFirst::value>(lru_, map_);
  }
  // clear() and the statistics reset to zero.
  void cache_clear() noexcept {
    clear();
    reset_stats();
  }
  // Sets hits() and misses() back to zero; the entries stay.
  void reset_stats() noexcept { hits_ = misses_ = 0; }

  // Entries held now, expired ones not yet removed included (they still hold
  // their values). O(1).
  std::size_t size() const noexcept { return map_.size(); }
  // Whether no entry (valid or expired) is held.
  bool empty() const noexcept { return map_.empty(); }
  // Entries that have not expired at the clock's current time (cachetools'
  // len(cache), without removing anything). O(expired entries).
  std::size_t valid_size() const {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    std::size_t expired = 0;
    for (const Item* item : exp_) {
      if (now < item->second.deadline) break;
      ++expired;
    }
    return map_.size() - expired;
  }
  // The bound (empty when unbounded), the time to live, the expiry mode.
  std::optional<std::size_t> maxsize() const noexcept { return maxsize_; }
  Duration ttl() const noexcept { return ttl_; }
  Expiry expiry() const noexcept { return expiry_; }
  // The clock's current reading (TTLCache.timer()).
  Duration now() const {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    return clock_();
  }
  // get() lookups that found a valid entry / did not (an expired one counts
  // as a miss).
  std::size_t hits() const noexcept { return hits_; }
  std::size_t misses() const noexcept { return misses_; }
  // Entries held now (= size()).
  std::size_t currsize() const noexcept { return map_.size(); }
  // {hits, misses, maxsize, currsize}, printed like functools' CacheInfo.
  CacheInfo cache_info() const { return CacheInfo{hits_, misses_, maxsize_, map_.size()}; }

  // The keys of valid entries, least recently used first.
  std::vector<K> keys() const {
    const auto self = detail::hold_unless_dying(this);  // the clock may drop the cache
    const Duration now = clock_();
    std::vector<K> out;
    for (const Item* item : lru_)
      if (now < item->second.deadline) out.push_back(item->first);
    return out;
  }

  // Starts a background thread that calls expire() every `interval` while
  // holding this cache's heap (Heap::Lock on the heap the calling thread
  // holds now, which must be the cache's), then on_sweep(removed) if given,
  // still under the heap lock. The thread runs only when the heap is free:
  // the thread that holds it must release it (Heap::Unlock, or a Heap::Lock
  // scope ending) for sweeps to happen, as Python threads need the GIL.
  // on_sweep must not throw (an exception goes to the unraisable hook).
  // An interval too long for nanoseconds (over 292 years) means "never
  // sweep" in practice (the thread waits at most 100 years at a time).
  // Throws std::invalid_argument if interval <= 0, std::logic_error if a
  // sweeper already runs or if the calling thread holds another heap than
  // the cache's.
  template <class Rep, class Period>
  void start_sweeper(std::chrono::duration<Rep, Period> interval,
                     std::function<void(std::size_t)> on_sweep = {}) {
    sweeper_.start(
        this, detail::positive_nanoseconds(interval, "the sweep interval must be positive"),
        [this] { return expire(); }, std::move(on_sweep));
  }
  // Stops the sweeper and waits for its thread to end. If the cache's heap
  // is the calling thread's current heap, it is released while waiting
  // (like Python's Thread.join releasing the GIL); if the calling thread
  // holds it further out (a Heap::Lock of another heap inside), a thread
  // waiting for the heap is not waited for: it leaves, without sweeping,
  // once it gets the heap. Do not call from finalize() or a
  // destructor; the cache's own destruction stops the sweeper without
  // waiting. No effect if none runs.
  void stop_sweeper() { sweeper_.stop(); }
  // Whether a sweeper was started and not stopped since.
  bool sweeper_running() const noexcept { return sweeper_.running(); }

  // Values (and Ref keys), least recently used first. The collector's
  // clearing tracer takes them all, and the cache then empties itself, as
  // LruCache does (values are never empty).
  void trace(Tracer& t) override {
    if (t.clearing()) {  // as LruCache::trace
      for (Item* item : lru_) {
        t(item->second.value);
        if constexpr (detail::is_traceable<K>()) t(const_cast<K&>(item->first));
      }
      lru_.clear();
      exp_.clear();
      map_.clear();
      return;
    }
    for (Item* item : lru_) {
      t(item->second.value);
      if constexpr (detail::is_traceable<K>()) t(item->first);
    }
  }
  // "['a']" for the value cached under the key 'a', "key 'a'" for a Ref key
  // itself (diagnostics: a chain through a cache names the call that keeps
  // the object alive). The key is held while its repr() runs.
  std::string reference_name(const Object& target) const override {
    const auto self = detail::hold_unless_dying(this);
    for (Item* item : lru_)
      if (auto name = detail::entry_reference_name(item->first, item->second.value.get(), target))
        return *name;
    return {};
  }
  // "TtlCache(maxsize=100, currsize=3)"
  std::string repr() const override {
    return detail::cache_repr("TtlCache", maxsize_, map_.size());
  }
  std::size_t extra_size() const noexcept override {
    return map_.bucket_count() * sizeof(void*) + map_.size() * (sizeof(Item) + 2 * sizeof(void*)) +
           2 * lru_.size() * (sizeof(Item*) + 2 * sizeof(void*));
  }

 private:
  // now + ttl, saturated (a deadline past the clock's range never passes).
  Duration deadline_after(Duration now) const noexcept {
    return now > Duration::max() - ttl_ ? Duration::max() : now + ttl_;
  }
  void insert_new(const K& key, Ref<V> value, Duration deadline) {
    auto [it, inserted] = map_.try_emplace(key, Slot{std::move(value), deadline, {}, {}});
    (void)inserted;
    try {
      lru_.push_back(&*it);
      try {
        exp_.push_back(&*it);
      } catch (...) {
        lru_.pop_back();
        throw;
      }
    } catch (...) {
      map_.erase(it);
      throw;
    }
    it->second.lru = std::prev(lru_.end());
    it->second.exp = std::prev(exp_.end());
  }
  typename Map::node_type extract(typename Map::iterator it) {
    lru_.erase(it->second.lru);
    exp_.erase(it->second.exp);
    return map_.extract(it);
  }
  // Unlinks the expired entries (deadline <= now) and hands them over; their
  // values die when the caller drops the vector.
  std::vector<typename Map::node_type> take_expired(Duration now) {
    std::vector<typename Map::node_type> out;
    std::size_t n = 0;
    for (const Item* item : exp_) {
      if (now < item->second.deadline) break;
      ++n;
    }
    out.reserve(n);  // the only allocation: nothing is unlinked if it throws
    while (n-- > 0) out.push_back(extract(map_.find(exp_.front()->first)));
    return out;
  }

  Map map_;
  Order lru_;
  Order exp_;
  std::optional<std::size_t> maxsize_;
  Duration ttl_;
  Expiry expiry_;
  Clock clock_;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
  detail::Sweeper sweeper_;  // last: stopped before the other members die
};

}  // namespace refgc
