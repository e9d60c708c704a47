// The public-API audit (docs/design/api-audit.md): the tests it found
// missing, named by the behaviour they pin down. Each concerns a public
// function that had no test asserting it, or a misuse the standard says must
// give a clear error (never silent corruption): user code (a clock, a loop
// body, a hook) running while the library holds internal state.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/gc_fixture.h"

namespace {

using refgc::Expiry;
using refgc::LruCache;
using refgc::make;
using refgc::Object;
using refgc::Ref;
using refgc::TtlCache;
using std::chrono::milliseconds;
namespace gc = refgc::gc;

class ApiAudit : public refgc_test::GcTest {};

struct Value : Object {
  explicit Value(std::string n) : name(std::move(n)) {}
  std::string name;
};

// ===========================================================================
// TtlCache: the clock is user code, run while a lookup holds an entry
// ===========================================================================

using Ttl = TtlCache<std::string, Value>;

// A garbage cycle whose finalizer erases `key` from `cache`: what a
// collection run by the clock (a clock that allocates, or logs through
// managed objects) may do to the entry the lookup is reading.
struct Eraser : Object {
  Ref<Eraser> self;
  Ttl* cache = nullptr;
  std::string key;
  void trace(refgc::Tracer& t) override { t(self); }
  void finalize() override {
    if (cache != nullptr) cache->erase(key);
  }
};

void plant_eraser(Ttl* cache, std::string key) {
  auto e = make<Eraser>();
  e->self = e;
  e->cache = cache;
  e->key = std::move(key);
}

// A clock that runs a full collection at its `armed`-th call from now.
struct CollectingClock {
  milliseconds now{0};
  int armed = 0;  // 0: never
  auto fn() {
    return [this] {
      if (armed > 0 && --armed == 0) gc::collect();
      return now;
    };
  }
};

// Review (API audit, 2026-11-24): get(), pop(), peek(), contains() and
// remaining_ttl() looked the key up, then called the clock with the entry's
// iterator in hand; a collection run by the clock whose finalizer erased the
// key left them reading the freed node (AddressSanitizer
// heap-use-after-free). The clock is now read before the lookup, as
// cachetools' TTLCache reads its timer on entry.
TEST_F(ApiAudit, TtlALookupWhoseClockRunsAFinalizerThatErasesTheKeyIsAMiss) {
  CollectingClock clock;
  auto cache = make<Ttl>(10, milliseconds(1000), Expiry::fixed, clock.fn());
  auto v = make<Value>("v");
  for (int op = 0; op < 5; ++op) {
    cache->put("k", v);
    plant_eraser(cache.get(), "k");
    clock.armed = 1;  // the lookup's own clock call collects
    switch (op) {
      case 0: {
        const std::size_t misses = cache->misses();
        EXPECT_FALSE(cache->get("k"));
        EXPECT_EQ(cache->misses(), misses + 1);
        break;
      }
      case 1:
        EXPECT_THROW((void)cache->pop("k"), std::out_of_range);
        break;
      case 2:
        EXPECT_FALSE(cache->peek("k"));
        break;
      case 3:
        EXPECT_FALSE(cache->contains("k"));
        break;
      case 4:
        EXPECT_FALSE(cache->remaining_ttl("k").has_value());
        break;
    }
    EXPECT_EQ(clock.armed, 0) << "operation " << op << " did not call the clock";
    EXPECT_EQ(cache->size(), 0u) << "operation " << op;
  }
  EXPECT_EQ(refgc::getrefcount(v), 2u);  // `v` and the argument: no entry holds it
}

// A garbage cycle whose finalizer drops the Ref in `slot` (the cache's last
// reference).
struct Dropper : Object {
  Ref<Dropper> self;
  Ref<Ttl>* slot = nullptr;
  void trace(refgc::Tracer& t) override { t(self); }
  void finalize() override {
    if (slot != nullptr) slot->reset();
  }
};

// Review of 3e53663: the clock read first left the lookup safe from a
// finalizer that changes the cache, not from one that drops it: the clock's
// collection destroyed the cache (and the clock itself, a member) inside
// get(), which then went on reading it. Each function that reads the clock
// now holds the cache through the call, as Python holds `self` (python3
// 3.11.7: a method whose body does `global c; del c` and then returns
// self.d[k] returns it).
TEST_F(ApiAudit, TtlALookupWhoseClockDropsTheCachesLastReferenceFinishesOnTheLiveCache) {
  auto v = make<Value>("v");
  for (int op = 0; op < 4; ++op) {
    int armed = 0;
    bool alive_after_collection = false;
    refgc::WeakRef<Ttl> watch;
    // Collects at its armed call, then says whether the cache still lives.
    auto clock = [&] {
      if (armed > 0 && --armed == 0) {
        gc::collect();
        alive_after_collection = watch.alive();
      }
      return milliseconds(0);
    };
    Ref<Ttl> cache = make<Ttl>(10, milliseconds(1000), Expiry::fixed, clock);
    watch = refgc::WeakRef<Ttl>(cache);
    cache->put("k", v);
    auto d = make<Dropper>();
    d->self = d;
    d->slot = &cache;
    d.reset();
    Ttl* raw = cache.get();  // as `cache->get(...)` calls it
    armed = 1;
    switch (op) {
      case 0:
        EXPECT_EQ(raw->get("k"), v);
        break;
      case 1:
        EXPECT_TRUE(raw->contains("k"));
        break;
      case 2:
        EXPECT_EQ(raw->pop("k"), v);
        break;
      case 3:
        EXPECT_EQ(raw->peek("k"), v);
        break;
    }
    EXPECT_EQ(armed, 0) << "operation " << op << " did not call the clock";
    EXPECT_TRUE(alive_after_collection) << "operation " << op << ": the cache died in the call";
    EXPECT_FALSE(cache) << "operation " << op;
    EXPECT_FALSE(watch.alive()) << "operation " << op << ": it dies when the call returns";
    EXPECT_EQ(refgc::getrefcount(v), 2u) << "operation " << op;
  }
}

// ===========================================================================
// LruCache: iteration while the loop body changes the cache
// ===========================================================================

using Lru = LruCache<int, Value>;

// Review (API audit, 2026-11-24): the iterator was a bare std::list iterator;
// a body that erased the entry it was visiting (or cleared the cache) made
// the next step read a freed node (AddressSanitizer heap-use-after-free), in
// release builds silently. As Python's OrderedDict (an lru_cache's order),
// a change of the entries or of their order during the loop now makes the
// next step throw std::runtime_error, before it touches the entries.
// python3 3.11.7:
//   >>> d = OrderedDict((k, k) for k in range(3))
//   >>> for k in d: del d[k]
//   RuntimeError: OrderedDict mutated during iteration
//   >>> for k in d: d.move_to_end(k)
//   RuntimeError: OrderedDict mutated during iteration
TEST_F(ApiAudit, LruErasingOrReorderingDuringIterationThrowsOnTheNextStep) {
  auto cache = make<Lru>(8);
  for (int k = 0; k < 3; ++k) cache->put(k, make<Value>(std::to_string(k)));
  int visited = 0;
  try {
    for (auto [k, v] : *cache) {
      ++visited;
      cache->erase(k);
    }
    ADD_FAILURE() << "erasing during iteration did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "LruCache mutated during iteration");
  }
  EXPECT_EQ(visited, 1);
  EXPECT_EQ(cache->size(), 2u);

  visited = 0;
  EXPECT_THROW(
      {
        for (auto [k, v] : *cache) {
          ++visited;
          (void)cache->get(k);  // a hit moves the key to the most recent end
        }
      },
      std::runtime_error);
  EXPECT_EQ(visited, 1);

  // Reading without reordering is allowed: peek, contains, statistics.
  visited = 0;
  for (auto [k, v] : *cache) {
    ++visited;
    EXPECT_TRUE(cache->contains(k));
    EXPECT_EQ(cache->peek(k), v);
  }
  EXPECT_EQ(visited, 2);
}

// The iterator made by begin() holds the cache, as Python's iterator holds
// its dict: a body that drops the cache's last other reference finishes the
// loop (review API audit: it read the freed cache).
TEST_F(ApiAudit, LruALoopBodyThatDropsTheLastReferenceToTheCacheFinishesTheLoop) {
  auto cache = make<Lru>(8);
  for (int k = 0; k < 3; ++k) cache->put(k, make<Value>(std::to_string(k)));
  refgc::WeakRef<Lru> alive(cache);
  std::string seen;
  Lru& c = *cache;
  for (auto [k, v] : c) {
    seen += v->name;
    cache.reset();
  }
  EXPECT_EQ(seen, "012");
  EXPECT_FALSE(alive.alive());
}

// ===========================================================================
// Cache sizes: a negative maxsize
// ===========================================================================

// Review (API audit, 2026-11-24): make<LruCache<K, V>>(-1) converted -1 to
// std::optional<std::size_t>, SIZE_MAX: an unbounded cache, silently.
// functools clamps a negative maxsize to 0 (caches nothing); so does
// LruCache now, in the constructor and in set_maxsize().
// python3 3.11.7:
//   >>> f = functools.lru_cache(maxsize=-1)(lambda x: x); f(1); f(1)
//   >>> f.cache_info()
//   CacheInfo(hits=0, misses=2, maxsize=0, currsize=0)
TEST_F(ApiAudit, LruANegativeMaxsizeCachesNothingAsFunctoolsDoes) {
  auto cache = make<Lru>(-1);
  EXPECT_EQ(cache->maxsize(), std::optional<std::size_t>(0));
  auto compute = [](int k) { return make<Value>(std::to_string(k)); };
  (void)cache->get_or_compute(1, compute);
  (void)cache->get_or_compute(1, compute);
  EXPECT_EQ(cache->cache_info().repr(), "CacheInfo(hits=0, misses=2, maxsize=0, currsize=0)");

  auto other = make<Lru>(4);
  other->put(1, make<Value>("a"));
  other->put(2, make<Value>("b"));
  other->set_maxsize(-5);
  EXPECT_EQ(other->maxsize(), std::optional<std::size_t>(0));
  EXPECT_EQ(other->size(), 0u);
  other->set_maxsize(refgc::unbounded);  // the other spellings still work
  EXPECT_FALSE(other->maxsize().has_value());
  other->set_maxsize(std::size_t{3});
  EXPECT_EQ(other->maxsize(), std::optional<std::size_t>(3));
}

// A TtlCache given a negative maxsize refuses it at construction
// (std::invalid_argument) instead of becoming unbounded: cachetools has no
// clamp (its TTLCache(maxsize=-1) raises ValueError('value too large') at
// every insertion), and refusing at the API edge is clearer.
TEST_F(ApiAudit, TtlANegativeMaxsizeIsRefusedAtConstruction) {
  try {
    (void)make<Ttl>(-1, milliseconds(1000));
    ADD_FAILURE() << "a negative maxsize was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "TtlCache: maxsize must not be negative");
  }
  milliseconds now{0};
  EXPECT_THROW((void)make<Ttl>(-7, milliseconds(1000), Expiry::sliding, [&] { return now; }),
               std::invalid_argument);
  EXPECT_EQ(make<Ttl>(5, milliseconds(1000))->maxsize(), std::optional<std::size_t>(5));
  EXPECT_EQ(make<Ttl>(0, milliseconds(1000))->maxsize(), std::optional<std::size_t>(0));
  EXPECT_FALSE(make<Ttl>(refgc::unbounded, milliseconds(1000))->maxsize().has_value());
}

// ===========================================================================
// List::remove: equals() is user code, and so is the argument's death
// ===========================================================================

// An element whose equals() compares `v`; the one marked `remover` takes the
// list's last element out when compared (user code changing the list in the
// middle of a search), and the one marked `clearer` empties the list in its
// finalizer.
struct Elem : Object {
  explicit Elem(int value) : v(value) {}
  int v;
  refgc::List<Elem>* list = nullptr;
  bool remover = false;
  bool clearer = false;
  bool equals(const Object& other) const override {
    if (remover && list != nullptr && list->size() == 3) (void)list->pop(2);
    const auto* o = dynamic_cast<const Elem*>(&other);
    return o != nullptr && o->v == v;
  }
  void finalize() override {
    if (clearer && list != nullptr) list->clear();
  }
};

// Review (API audit, 2026-11-24): remove(x) held x only inside index(); an
// equals() that took x's own slot out of the list left that copy x's last
// reference, and x died as index() returned, before remove() took the
// element out: a finalizer that emptied the list made remove() move and
// destroy a slot past the end (the list's size wrapped around). x is now
// held through the whole call, as Python holds the argument of
// list.remove(): it dies after the list is consistent again.
TEST_F(ApiAudit, ListRemoveHoldsItsArgumentUntilTheElementIsOut) {
  auto l = make<refgc::List<Elem>>();
  auto a = make<Elem>(0), b = make<Elem>(1), c = make<Elem>(1);
  a->list = c->list = l.get();
  a->remover = true;
  c->clearer = true;
  l->append(a);
  l->append(b);
  l->append(std::move(c));  // the list holds c's only reference
  // c, by reference to its slot: a's equals() pops it (its last reference
  // is then remove()'s copy); b equals it and goes; then c dies and its
  // finalizer clears the list.
  l->remove(l->at(2));
  EXPECT_EQ(l->size(), 0u);
  EXPECT_EQ(refgc::getrefcount(a), 2u);  // the list let go of a (cleared)
  EXPECT_EQ(refgc::getrefcount(b), 2u);
  l->append(a);
  EXPECT_EQ(l->size(), 1u);
  a->list = nullptr;
}

// ===========================================================================
// WeakMethod, BoundMethod and BufferView refuse what they cannot use
// ===========================================================================

struct Receiver : Object {
  int calls = 0;
  int hit() { return ++calls; }
};

// python3 3.11.7:
//   >>> weakref.WeakMethod(lambda: 0)
//   TypeError: argument should be a bound method, not <class 'function'>
//   >>> c = C(); wm = weakref.WeakMethod(c.m); del c; wm()
//   None
// Here: a null member function is std::invalid_argument (the callback of
// the refused WeakMethod never runs), an empty receiver too (as for
// WeakRef), and calling the empty BoundMethod a dead one gives is
// std::logic_error.
TEST_F(ApiAudit, AWeakMethodRefusesANullMethodOrAnEmptyReceiverAndItsDeadBoundMethodThrows) {
  using WM = refgc::WeakMethod<Receiver, int()>;
  auto r = make<Receiver>();
  bool called_back = false;
  try {
    WM bad(r, nullptr, [&](const refgc::WeakRef<Receiver>&) { called_back = true; });
    ADD_FAILURE() << "a null member function was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "WeakMethod needs a member function");
  }
  EXPECT_THROW(WM(Ref<Receiver>(), &Receiver::hit), std::invalid_argument);
  WM wm(r, &Receiver::hit);
  EXPECT_EQ(wm()(), 1);
  r.reset();
  EXPECT_FALSE(called_back);  // the refused WeakMethod's weak reference died first
  EXPECT_FALSE(wm.alive());
  auto bound = wm();
  EXPECT_FALSE(bound);
  try {
    (void)bound();
    ADD_FAILURE() << "calling a dead WeakMethod's bound method did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "calling a dead WeakMethod's bound method");
  }
}

// BufferView's constructor is public (make<BufferView<T>>(base, b, e) is
// what base->view(b, e) does): an empty base is std::invalid_argument, a
// bad range std::out_of_range, and neither leaves an export behind.
TEST_F(ApiAudit, ABufferViewMadeDirectlyRefusesAnEmptyBaseOrABadRange) {
  using View = refgc::BufferView<std::uint8_t>;
  try {
    (void)make<View>(Ref<refgc::Buffer>(), 0, 0);
    ADD_FAILURE() << "an empty base was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "BufferView: empty base");
  }
  auto base = make<refgc::Buffer>(std::string_view("abcd"));
  EXPECT_THROW((void)make<View>(base, 3, 2), std::out_of_range);
  EXPECT_THROW((void)make<View>(base, 0, 5), std::out_of_range);
  EXPECT_EQ(base->exports(), 0u);
  EXPECT_EQ(refgc::getrefcount(base), 2u);
  auto v = make<View>(base, 1, 3);
  EXPECT_EQ(v->to_vector(), (std::vector<std::uint8_t>{'b', 'c'}));
  EXPECT_EQ(base->exports(), 1u);
}

// ===========================================================================
// The API contract's names (spec/api.md)
// ===========================================================================

// spec/api.md lists `erase` among every weak container's operations; WeakSet
// had Python's remove() and discard() only. erase(obj) is remove(obj):
// std::out_of_range for an object that is not a member (an empty Ref, a dead
// one), the member gone otherwise.
TEST_F(ApiAudit, AWeakSetErasesAMemberAndRefusesANonMemberLikeTheWeakDictionaries) {
  refgc::WeakSet<Receiver> set;
  auto a = make<Receiver>(), b = make<Receiver>();
  set.add(a);
  set.add(b);
  set.erase(a);
  EXPECT_FALSE(set.contains(a));
  EXPECT_TRUE(set.contains(b));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_THROW(set.erase(a), std::out_of_range);
  EXPECT_THROW(set.erase(Ref<Receiver>()), std::out_of_range);
  EXPECT_EQ(refgc::getrefcount(a), 2u);  // the set never held it strongly
}

// ===========================================================================
// Weak containers' iterators at the end
// ===========================================================================

// Review (API audit, 2026-11-24): the weak containers' snapshot iterator
// dereferenced at the end read an empty std::optional, and a step from the
// end wrapped its position around to the snapshot's first element (the
// walk restarted). Both now throw std::out_of_range, as List's iterator
// does (Python's next() on an exhausted iterator raises StopIteration).
TEST_F(ApiAudit, AWeakContainerIteratorAtTheEndRefusesToDereferenceOrStep) {
  refgc::WeakSet<Receiver> set;
  auto a = make<Receiver>();
  set.add(a);
  auto it = set.begin();
  EXPECT_EQ(*it, a);
  ++it;
  EXPECT_TRUE(it == set.end());
  EXPECT_THROW((void)*it, std::out_of_range);
  EXPECT_THROW(++it, std::out_of_range);
  EXPECT_TRUE(it == set.end());  // still at the end, not back at the start
  EXPECT_THROW((void)*set.end(), std::out_of_range);

  refgc::WeakValueDictionary<int, Receiver> values;
  values.set(1, a);
  auto v = values.begin();
  EXPECT_EQ(v->first, 1);
  ++v;
  EXPECT_THROW((void)v->second, std::out_of_range);
  refgc::WeakKeyDictionary<Receiver, int> keys;
  keys.set(a, 7);
  auto k = keys.begin();
  EXPECT_EQ(k->second, 7);
  ++k;
  EXPECT_TRUE(k == keys.end());
  EXPECT_THROW(++k, std::out_of_range);
}

// ===========================================================================
// write_unraisable: public, documented, never called by a test
// ===========================================================================

// User code may hand its own caught exception to the hook, as refgc does
// for finalizers: the hook receives the object text, the message (default
// "Exception ignored in"), the exception's type name and what().
TEST_F(ApiAudit, WriteUnraisableHandsTheCaughtExceptionToTheHookWithItsContext) {
  std::vector<std::string> got;
  auto old = refgc::set_unraisable_hook([&got](const refgc::Unraisable& u) {
    got = {u.err_msg, u.object, u.type_name(), u.what()};
  });
  try {
    throw std::length_error("too long");
  } catch (...) {
    refgc::write_unraisable("<my callback>");
  }
  EXPECT_EQ(got, (std::vector<std::string>{"Exception ignored in", "<my callback>",
                                           "std::length_error", "too long"}));
  try {
    throw 42;
  } catch (...) {
    refgc::write_unraisable("<other>", "Exception ignored while closing");
  }
  EXPECT_EQ(got, (std::vector<std::string>{"Exception ignored while closing", "<other>", "int",
                                           "(not a std::exception)"}));
  // Outside a catch block there is no exception: the hook still hears of it.
  refgc::write_unraisable("<nothing>");
  EXPECT_EQ(got, (std::vector<std::string>{"Exception ignored in", "<nothing>", "unknown exception",
                                           ""}));
  // A null C string reads as an empty one (the overload copies what it is
  // given, and a null pointer is nothing to copy).
  try {
    throw std::runtime_error("null names");
  } catch (...) {
    refgc::write_unraisable(static_cast<const char*>(nullptr), static_cast<const char*>(nullptr));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"", "", "std::runtime_error", "null names"}));
  refgc::set_unraisable_hook(std::move(old));
}

}  // namespace
