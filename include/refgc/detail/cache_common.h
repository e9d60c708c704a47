// refgc/detail/cache_common.h: what LruCache (lru_cache.h) and TtlCache
// (ttl_cache.h) share: CacheInfo, `unbounded`, and the background sweeper.
// Include lru_cache.h or ttl_cache.h rather than this header.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace refgc {

class Object;

// functools' CacheInfo named tuple: what cache_info() returns.
// `maxsize` is empty for an unbounded cache (Python prints None).
struct CacheInfo {
  std::size_t hits = 0;
  std::size_t misses = 0;
  std::optional<std::size_t> maxsize;
  std::size_t currsize = 0;

  // "CacheInfo(hits=1, misses=1001, maxsize=1000, currsize=1000)", as Python
  // prints it ("maxsize=None" when unbounded).
  std::string repr() const {
    std::string s = "CacheInfo(hits=" + std::to_string(hits) +
                    ", misses=" + std::to_string(misses) + ", maxsize=";
    s += maxsize ? std::to_string(*maxsize) : std::string("None");
    s += ", currsize=" + std::to_string(currsize) + ")";
    return s;
  }
  friend bool operator==(const CacheInfo&, const CacheInfo&) = default;
};

// Pass as a cache's maxsize for a cache without a size bound (Python's
// lru_cache(maxsize=None)): `make<LruCache<K, V>>(refgc::unbounded)`.
inline constexpr std::nullopt_t unbounded = std::nullopt;

namespace detail {

// A positive duration in nanoseconds: saturated at nanoseconds::max() when
// too long for them (instead of overflowing), at least 1 ns when shorter.
// Throws std::invalid_argument(what) unless d > 0.
template <class Rep, class Period>
std::chrono::nanoseconds positive_nanoseconds(std::chrono::duration<Rep, Period> d,
                                              const char* what) {
  using std::chrono::nanoseconds;
  if (!(d > std::chrono::duration<Rep, Period>::zero())) throw std::invalid_argument(what);
  using Wide = std::chrono::duration<long double, std::nano>;
  if (std::chrono::duration_cast<Wide>(d) >=
      Wide(static_cast<long double>(nanoseconds::max().count())))
    return nanoseconds::max();
  const nanoseconds n = std::chrono::duration_cast<nanoseconds>(d);
  return n > nanoseconds::zero() ? n : nanoseconds(1);
}

// A maxsize given as a signed integer, as a std::size_t. Throws
// std::invalid_argument(what) when negative (TtlCache).
template <std::signed_integral I>
std::size_t nonnegative_maxsize(I maxsize, const char* what) {
  if (maxsize < 0) throw std::invalid_argument(what);
  return static_cast<std::size_t>(maxsize);
}

// "LruCache(maxsize=1000, currsize=3)"; maxsize None when unbounded.
inline std::string cache_repr(const char* type, const std::optional<std::size_t>& maxsize,
                              std::size_t currsize) {
  return std::string(type) + "(maxsize=" + (maxsize ? std::to_string(*maxsize) : "None") +
         ", currsize=" + std::to_string(currsize) + ")";
}

// Destroys what `x` holds now (moved out, so that a finalizer it runs sees
// `x` already empty); `x` itself is destroyed later, moved from.
template <class X>
void release_moved(X& x) noexcept {
  [[maybe_unused]] X taken = std::move(x);
}

// Which of an entry's key and value a cache releases first: functools'
// lru_cache releases a link's key, then its result (lru_list_elem_dealloc,
// and an evicted link's old key before its old result); cachetools' caches
// the value, then the key (Cache.__delitem__ drops the value; the key dies
// with the last of its links after).
enum class KeyOrValueFirst { key, value };

// A cache's clear(): empties `map` and `order` (the entries, least recently
// used first), then releases the entries in that order, each entry's key and
// value in the order `kFirst` says: the cache is empty when their finalizers
// run, as CPython's lru_cache clear unlinks its list and empties its dict
// before it releases anything. Nothing is hashed: values and keys
// are moved out in place and the map is emptied with clear(). (swap() or
// extract() would hash a key again; when the cache dies because the
// collector broke a cycle, a key it cleared first has empty members, and a
// user hash reading them crashed -- CPython's lru_cache dealloc hashes
// nothing.) Every key with a destructor is moved out, not only Refs: a key
// that owns a Ref in a tuple or a struct, destroyed inside map.clear(),
// could run a finalizer that looks the cache up while the map frees its
// nodes (a review found that use after free, 2026-11-23, session 14).
// Taking a key out of its node is formally a change of a const key; the map
// is emptied before anything looks it up. Keys whose move may throw, or no
// memory to hold them: the map is swapped out instead (which hashes its
// first key), and the values are released first, then the keys.
template <KeyOrValueFirst kFirst, class Order, class Map>
void clear_cache_entries(Order& order, Map& map) noexcept {
  using Key = typename Map::key_type;
  using Value = decltype(std::declval<typename Map::mapped_type&>().value);
  constexpr bool kMoveKeys = !std::is_trivially_destructible_v<Key>;
  constexpr bool kInPlace = !kMoveKeys || std::is_nothrow_move_constructible_v<Key>;
  auto swap_out = [&] {
    Order taken;
    taken.swap(order);
    Map dropped;
    dropped.swap(map);
    for (auto* item : taken) item->second.value.reset();  // least recently used first
  };
  if constexpr (!kInPlace) {
    swap_out();
  } else {
    std::vector<Value> values;
    std::vector<Key> keys;
    try {
      values.reserve(order.size());
      if constexpr (kMoveKeys) keys.reserve(order.size());
    } catch (const std::bad_alloc&) {
      swap_out();
      return;
    }
    for (auto* item : order) {
      values.push_back(std::move(item->second.value));
      if constexpr (kMoveKeys) keys.push_back(std::move(const_cast<Key&>(item->first)));
    }
    order.clear();
    map.clear();
    for (std::size_t i = 0; i < values.size(); ++i) {  // least recently used first
      if constexpr (kMoveKeys && kFirst == KeyOrValueFirst::key) release_moved(keys[i]);
      values[i].reset();
      if constexpr (kMoveKeys && kFirst == KeyOrValueFirst::value) release_moved(keys[i]);
    }
  }
}

struct SweeperControl;  // src/sweeper.cc

// How many background sweeper threads exist in the process (running, or
// stopped/abandoned but not yet exited). A heap may be destroyed once no
// sweeper thread of its caches remains. For tests and diagnostics.
std::size_t live_sweeper_threads() noexcept;

// A background thread that calls `sweep` every `interval` while holding the
// heap that was current when start() was called (Heap::Lock), then
// `on_sweep(count)`. Used by TtlCache::start_sweeper. Internal.
//
// The owner (the managed object whose member this is) is kept alive by a
// strong reference during each sweep. It must call abandon() (or let the
// destructor do it) before its other members die: after abandon() the thread
// never calls sweep/on_sweep again.
class Sweeper {
 public:
  Sweeper() = default;
  ~Sweeper() { abandon(); }
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // Starts the thread. interval is positive (positive_nanoseconds). Throws
  // std::logic_error if it already runs.
  void start(Object* owner, std::chrono::nanoseconds interval, std::function<std::size_t()> sweep,
             std::function<void(std::size_t)> on_sweep);
  // Stops the thread and waits for it to finish. If the sweeper's heap is
  // the calling thread's current heap, it is released while waiting, so that
  // a sweep waiting for the heap can finish; if the calling thread holds it
  // further out, a thread waiting for it is detached instead (it leaves
  // without sweeping once it gets the heap). Called from the sweeper thread
  // itself (inside on_sweep), it stops the thread without waiting.
  void stop();
  // Stops the thread without releasing the heap: waits for it only when it
  // is idle (not waiting for or holding the heap), otherwise detaches it; a
  // detached thread exits as soon as it gets the heap, without sweeping.
  // For destructors. Never throws.
  void abandon() noexcept;
  bool running() const noexcept { return static_cast<bool>(ctl_); }

 private:
  std::shared_ptr<SweeperControl> ctl_;
};

}  // namespace detail
}  // namespace refgc
