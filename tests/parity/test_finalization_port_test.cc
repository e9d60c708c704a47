// Scenarios ported from CPython 3.11's Lib/test/test_finalization.py and the
// finalizer facts of /work/shared/spec/cpython-semantics.md (§1.6 steps
// 10-12, §1.9, §3 A14-A16 and D42-D47) to refgc's C++ API. The code is our
// own; each test names its source. Expected values were checked against
// python3 (CPython 3.11.7); the snippets are in the comments.
//
// Not ported: everything that needs weak references (refgc has none yet),
// the legacy tp_del tests (refgc has no tp_del), and test_non_gc* (CPython
// runs __del__ on every death of a *non-GC* type; refgc's finalize() runs at
// most once for every type, by design: see
// AnUntrackedTypeThatResurrectsIsFinalizedOnlyAtItsFirstDeath).
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using refgc::List;
using refgc::make;
using refgc::Object;
using refgc::Ref;
using refgc::Tracer;
namespace gc = refgc::gc;

using PyList = List<Object>;

// What the finalizers did, in order (names only: no objects).
std::vector<std::string> g_log;
// Python's `survivors` list: objects resurrected by their finalizers.
// Every test that fills it empties it (the fixture does too).
std::vector<Ref<Object>> g_survivors;
// Consistency violations seen by finalizers (a peer already cleared, ...).
std::vector<std::string> g_insane;
int g_live = 0;
std::vector<Ref<Object>> g_made;   // objects allocated by finalizers
std::vector<std::size_t> g_inner;  // what gc::collect() returned inside finalizers

Ref<Object> self_ref(Object* self) { return Ref<Object>(self); }

// test_finalization.py's SimpleBase family, as one class with a behaviour:
// a named instance with two attributes whose finalizer logs its name and
// then does its side effect.
enum class Does { nothing, resurrect, drop_links, drop_child, raise };

struct Obj : Object {
  static constexpr const char* refgc_type_name = "Obj";
  std::string name;
  Does does;
  Ref<Object> ref;    // self.ref  (the cycle)
  Ref<Object> child;  // self.child
  explicit Obj(std::string n, Does d = Does::nothing) : name(std::move(n)), does(d) { ++g_live; }
  ~Obj() override { --g_live; }
  void trace(Tracer& t) override { t(ref, child); }
  void finalize() override {
    g_log.push_back(name);
    switch (does) {
      case Does::nothing:
        break;
      case Does::resurrect:
        g_survivors.push_back(self_ref(this));
        break;
      case Does::drop_links:
        ref.reset();
        child.reset();
        break;
      case Does::drop_child:
        child.reset();
        break;
      case Does::raise:
        throw std::runtime_error("finalizer of " + name + " failed");
    }
  }
};

// test_finalization.py's ChainedBase family: nodes of a doubly-linked ring.
// Each finalizer first checks that its neighbours are intact (nothing was
// cleared before the finalizers ran), then does its side effect.
struct Chain : Object {
  static constexpr const char* refgc_type_name = "Chain";
  std::string name;
  Does does;
  bool suicided = false;
  Ref<Chain> left, right;
  explicit Chain(std::string n, Does d) : name(std::move(n)), does(d) { ++g_live; }
  ~Chain() override { --g_live; }
  void trace(Tracer& t) override { t(left, right); }
  void link_left(const Ref<Chain>& l) {
    left = l;
    l->right = Ref<Chain>(this);
  }
  void check_sanity() {
    if (suicided) {
      if (left || right) g_insane.push_back(name + ": suicided but still linked");
      return;
    }
    if (!left || !right) {
      g_insane.push_back(name + ": a link was cleared before its finalizer ran");
      return;
    }
    if (left->suicided ? bool(left->right) : left->right.get() != this)
      g_insane.push_back(name + ": left neighbour inconsistent");
    if (right->suicided ? bool(right->left) : right->left.get() != this)
      g_insane.push_back(name + ": right neighbour inconsistent");
  }
  void finalize() override {
    check_sanity();
    g_log.push_back(name);
    if (does == Does::resurrect) {
      g_survivors.push_back(self_ref(this));
    } else if (does == Does::drop_links) {
      suicided = true;
      left.reset();
      right.reset();
    }
  }
};

// Builds a ring of Chain nodes named "0", "1", ... (Python: build_chain:
// nodes[i].chain(nodes[i-1]) for every i, so node 0 links to the last one).
void build_ring(const std::vector<Does>& kinds) {
  std::vector<Ref<Chain>> nodes;
  for (std::size_t i = 0; i < kinds.size(); ++i)
    nodes.push_back(make<Chain>(std::to_string(i), kinds[i]));
  for (std::size_t i = 0; i < nodes.size(); ++i)
    nodes[i]->link_left(nodes[(i + nodes.size() - 1) % nodes.size()]);
}  // all handles dropped: the ring is cyclic trash

std::vector<std::string> names(std::size_t n) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(std::to_string(i));
  return v;
}

// Saves and restores the collector state around each test (enabled flag,
// thresholds, debug flags, callbacks, unraisable hook); automatic collection
// is off inside the tests and no garbage is pending at the start.
class TestFinalizationPort : public ::testing::Test {
 protected:
  void SetUp() override {
    was_enabled_ = gc::isenabled();
    thresholds_ = gc::get_threshold();
    debug_ = gc::get_debug();
    saved_callbacks_.swap(gc::callbacks());
    gc::disable();
    gc::set_debug(0);
    gc::collect();
    gc::collect();
    g_log.clear();
    g_survivors.clear();
    g_insane.clear();
    g_live = 0;
  }

  void TearDown() override {
    gc::disable();
    gc::callbacks().clear();
    gc::callbacks().swap(saved_callbacks_);
    g_survivors.clear();
    g_made.clear();
    g_inner.clear();
    gc::collect();
    gc::collect();
    EXPECT_EQ(g_live, 0) << "objects of this test are still alive";
    g_log.clear();
    g_insane.clear();
    if (hook_installed_) refgc::set_unraisable_hook(std::move(old_hook_));
    gc::set_debug(debug_);
    gc::set_threshold(thresholds_[0], thresholds_[1], thresholds_[2]);
    if (was_enabled_) gc::enable();
  }

  void capture_unraisable() {
    old_hook_ = refgc::set_unraisable_hook([this](const refgc::Unraisable& u) {
      unraisable_.push_back({u.err_msg, u.object, u.what()});
    });
    hook_installed_ = true;
  }

  struct Reported {
    std::string err_msg;
    std::string object;
    std::string what;
  };
  std::vector<Reported> unraisable_;

 private:
  bool was_enabled_ = true;
  std::array<int, 3> thresholds_{};
  int debug_ = 0;
  std::vector<gc::Callback> saved_callbacks_;
  bool hook_installed_ = false;
  refgc::UnraisableHook old_hook_;
};

using Names = std::vector<std::string>;

// ---------------------------------------------------------------------------
// Refcount death (test_finalization.py SimpleFinalizationTest)
// ---------------------------------------------------------------------------

// test_finalization.py::SimpleFinalizationTest::test_simple
TEST_F(TestFinalizationPort, FinalizerRunsOnceOnRefcountDeath) {
  auto s = make<Obj>("s");
  auto alias = s;
  alias.reset();
  EXPECT_TRUE(g_log.empty());
  s.reset();
  EXPECT_EQ(g_log, Names{"s"});
  EXPECT_EQ(g_live, 0);
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, Names{"s"});
}

// test_finalization.py::SimpleFinalizationTest::test_simple_resurrect;
// cpython-semantics §3 D44: the finalizer runs once, the object survives and
// is_finalized() is true; when it dies again its finalizer does not run.
TEST_F(TestFinalizationPort, RefcountResurrectionRunsTheFinalizerOnlyOnce) {
  auto s = make<Obj>("s", Does::resurrect);
  const Object* p = s.get();
  s.reset();
  EXPECT_EQ(g_log, Names{"s"});
  ASSERT_EQ(g_survivors.size(), 1u);
  EXPECT_EQ(g_survivors[0].get(), p);
  EXPECT_EQ(g_survivors[0]->refcount(), 1u);
  EXPECT_TRUE(gc::is_finalized(g_survivors[0]));
  EXPECT_TRUE(gc::is_tracked(g_survivors[0]));
  EXPECT_EQ(g_live, 1);
  g_survivors.clear();  // dies again: no second finalize()
  EXPECT_EQ(g_log, Names{"s"});
  EXPECT_EQ(g_live, 0);
}

// Python's non-GC type (`_testcapi.without_gc`): no trace(), so untracked.
// Its finalizer resurrects it.
struct UntrackedPhoenix : Object {
  static constexpr const char* refgc_type_name = "UntrackedPhoenix";
  static inline int calls = 0;
  static inline int live = 0;
  UntrackedPhoenix() { ++live; }
  ~UntrackedPhoenix() override { --live; }
  void finalize() override {
    ++calls;
    g_survivors.push_back(self_ref(this));
  }
};

// cpython-semantics §3 D45, which refgc does not follow on purpose (see the
// top of this file). python3 3.11.7:
//   @_testcapi.without_gc
//   class R:
//       def __del__(self): calls += 1; saved.append(self)
//   r = R(); gc.is_tracked(r) False; del r; saved.clear(); saved.clear()
//   -> __del__ ran at each of the 3 deaths (calls 3), and
//      gc.is_finalized(saved[0]) was False after each (no GC head for the flag)
// refgc keeps the flag in every object's header: finalize() runs at the
// first death only, is_finalized() is true, and the second death frees it.
TEST_F(TestFinalizationPort, AnUntrackedTypeThatResurrectsIsFinalizedOnlyAtItsFirstDeath) {
  UntrackedPhoenix::calls = 0;
  auto r = make<UntrackedPhoenix>();
  EXPECT_FALSE(gc::is_tracked(r));  // CPython: False
  EXPECT_FALSE(gc::is_finalized(r));
  r.reset();
  EXPECT_EQ(UntrackedPhoenix::calls, 1);
  ASSERT_EQ(g_survivors.size(), 1u);
  EXPECT_TRUE(gc::is_finalized(g_survivors[0]));  // CPython: False
  EXPECT_FALSE(gc::is_tracked(g_survivors[0]));
  g_survivors.clear();                    // the second death
  EXPECT_EQ(UntrackedPhoenix::calls, 1);  // CPython: 2, and 3 at a third death
  EXPECT_TRUE(g_survivors.empty());
  EXPECT_EQ(UntrackedPhoenix::live, 0);
}

// cpython-semantics §3 D42: an exception thrown by a finalizer on refcount
// death goes to the unraisable hook once (err_msg "Exception ignored in");
// the object is still freed and the program continues.
TEST_F(TestFinalizationPort, ThrowingFinalizerOnRefcountDeathGoesToTheHook) {
  capture_unraisable();
  auto s = make<Obj>("s", Does::raise);
  s.reset();
  EXPECT_EQ(g_log, Names{"s"});
  EXPECT_EQ(g_live, 0);
  ASSERT_EQ(unraisable_.size(), 1u);
  EXPECT_EQ(unraisable_[0].err_msg, "Exception ignored in");
  EXPECT_EQ(unraisable_[0].what, "finalizer of s failed");
  EXPECT_NE(unraisable_[0].object.find("Obj"), std::string::npos) << unraisable_[0].object;
}

// cpython-semantics §1.9 and §3 D44: an object resurrected on the refcount
// path that later becomes cyclic trash is collected without a second
// finalize().
TEST_F(TestFinalizationPort, RefcountResurrectedObjectIsLaterCollectedWithoutFinalizer) {
  auto s = make<Obj>("s", Does::resurrect);
  s.reset();
  ASSERT_EQ(g_survivors.size(), 1u);
  auto& obj = static_cast<Obj&>(*g_survivors[0]);
  obj.ref = g_survivors[0];  // now a self-loop
  g_survivors.clear();
  EXPECT_EQ(g_live, 1);
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(g_log, Names{"s"});
  EXPECT_EQ(g_live, 0);
}

// ---------------------------------------------------------------------------
// Self-cycles (test_finalization.py SelfCycleFinalizationTest)
// ---------------------------------------------------------------------------

// test_finalization.py::SelfCycleFinalizationTest::test_simple
TEST_F(TestFinalizationPort, SelfCycleFinalizerRunsOnceInTheCollector) {
  {
    auto s = make<Obj>("s");
    s->ref = s;
  }
  EXPECT_TRUE(g_log.empty());
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(g_log, Names{"s"});
  EXPECT_EQ(g_live, 0);
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, Names{"s"});
}

// test_finalization.py::SelfCycleFinalizationTest::test_simple_resurrect;
// cpython-semantics §3 A15: collect() -> 0, is_finalized() true; after the
// survivor is dropped collect() -> 1 and finalize() is not called again.
TEST_F(TestFinalizationPort, SelfCycleResurrectionInTheCollector) {
  const Object* p = nullptr;
  {
    auto s = make<Obj>("s", Does::resurrect);
    s->ref = s;
    p = s.get();
  }
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, Names{"s"});
  ASSERT_EQ(g_survivors.size(), 1u);
  EXPECT_EQ(g_survivors[0].get(), p);
  EXPECT_TRUE(gc::is_finalized(g_survivors[0]));
  EXPECT_EQ(static_cast<Obj&>(*g_survivors[0]).ref.get(), p);  // the cycle is intact
  EXPECT_EQ(gc::collect(), 0u);                                // still referenced from g_survivors
  g_survivors.clear();
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(g_log, Names{"s"});
  EXPECT_TRUE(g_survivors.empty());
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::SelfCycleFinalizationTest::test_simple_suicide: the
// finalizer breaks its own cycle, the object dies by refcount during the
// collection and is not counted.
// python3 (__del__ does self.ref = None): gc.collect() -> 0, __del__ ran once
TEST_F(TestFinalizationPort, SelfCycleSuicideIsFreedButNotCounted) {
  {
    auto s = make<Obj>("s", Does::drop_links);
    s->ref = s;
  }
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, Names{"s"});
  EXPECT_EQ(g_live, 0);
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, Names{"s"});
}

// ---------------------------------------------------------------------------
// Rings (test_finalization.py CycleChainFinalizationTest). python3 ran the
// same rings (see each test) and printed the collect() results and __del__
// order given in the comments.
// ---------------------------------------------------------------------------

// test_finalization.py::CycleChainFinalizationTest::test_homogenous
// python3: collect() -> 3, __del__ order [0, 1, 2], then collect() -> 0
TEST_F(TestFinalizationPort, RingOfFinalizersIsCollectedAndEachRunsOnce) {
  build_ring({Does::nothing, Does::nothing, Does::nothing});
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_live, 0);
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, names(3));
}

// test_finalization.py::CycleChainFinalizationTest::test_homogenous_resurrect
// python3: collect() -> 0, [0, 1, 2], 3 survivors; after clearing them
// collect() -> 3 and no __del__ runs again
TEST_F(TestFinalizationPort, RingOfResurrectorsSurvivesThenIsCollectedWithoutFinalizers) {
  build_ring({Does::resurrect, Does::resurrect, Does::resurrect});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_survivors.size(), 3u);
  EXPECT_EQ(g_live, 3);
  g_survivors.clear();
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::CycleChainFinalizationTest::test_homogenous_suicidal
// python3: collect() -> 0 (every node breaks its links; all die by
// refcounting during the collection), [0, 1, 2]
TEST_F(TestFinalizationPort, RingOfSuicidalNodesIsFreedByRefcounting) {
  build_ring({Does::drop_links, Does::drop_links, Does::drop_links});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::CycleChainFinalizationTest::test_heterogenous_suicidal_one
// python3 ([Suicidal, Chained, Chained]): collect() -> 3, [0, 1, 2]
TEST_F(TestFinalizationPort, RingWithOneSuicidalNodeIsCollected) {
  build_ring({Does::drop_links, Does::nothing, Does::nothing});
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::CycleChainFinalizationTest::test_heterogenous_suicidal_two
// python3 ([Suicidal, Suicidal, Chained]): collect() -> 0, [0, 1, 2]
TEST_F(TestFinalizationPort, RingWithTwoAdjacentSuicidalNodesFallsApart) {
  build_ring({Does::drop_links, Does::drop_links, Does::nothing});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::CycleChainFinalizationTest::test_heterogenous_suicidal_three
// python3 ([Chained, Suicidal, Chained]): collect() -> 3, [0, 1, 2]
TEST_F(TestFinalizationPort, RingWithASuicidalNodeInTheMiddleIsCollected) {
  build_ring({Does::nothing, Does::drop_links, Does::nothing});
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::CycleChainFinalizationTest::test_heterogenous_resurrect_one
// python3 ([Resurrector, Chained, Chained]): collect() -> 0, [0, 1, 2],
// 1 survivor; after clearing it collect() -> 3, no further __del__
TEST_F(TestFinalizationPort, OneResurrectorKeepsTheWholeRingAlive) {
  build_ring({Does::resurrect, Does::nothing, Does::nothing});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  ASSERT_EQ(g_survivors.size(), 1u);
  EXPECT_EQ(g_live, 3);
  // The ring came back intact.
  auto& n0 = static_cast<Chain&>(*g_survivors[0]);
  ASSERT_TRUE(n0.right && n0.left);
  EXPECT_EQ(n0.right->name, "1");
  EXPECT_EQ(n0.left->name, "2");
  EXPECT_EQ(n0.right->right.get(), n0.left.get());
  g_survivors.clear();
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::CycleChainFinalizationTest::test_heterogenous_resurrect_two
// python3 ([Chained, Resurrector, Resurrector]): collect() -> 0, [0, 1, 2],
// 2 survivors; then collect() -> 3
TEST_F(TestFinalizationPort, TwoResurrectorsKeepTheWholeRingAlive) {
  build_ring({Does::nothing, Does::resurrect, Does::resurrect});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_survivors.size(), 2u);
  g_survivors.clear();
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, names(3));
  EXPECT_EQ(g_live, 0);
}

// test_finalization.py::CycleChainFinalizationTest::test_heterogenous_resurrect_three
// python3 ([Resurrector, Resurrector, Chained, Chained]): collect() -> 0,
// [0, 1, 2, 3], 2 survivors; then collect() -> 4
TEST_F(TestFinalizationPort, ResurrectorsInALongerRingKeepItAlive) {
  build_ring({Does::resurrect, Does::resurrect, Does::nothing, Does::nothing});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, names(4));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_survivors.size(), 2u);
  g_survivors.clear();
  EXPECT_EQ(gc::collect(), 4u);
  EXPECT_EQ(g_log, names(4));
  EXPECT_EQ(g_live, 0);
}

// ---------------------------------------------------------------------------
// Finalizer order and what finalizers see (cpython-semantics §3 D46, D47)
// ---------------------------------------------------------------------------

// cpython-semantics §3 D47. python3:
//   a, b, c = X(), X(), X(); a.n = b; b.n = c; c.n = a; del a, b, c
//   gc.collect() -> 3, __del__ order ['a', 'b', 'c']
TEST_F(TestFinalizationPort, RingFinalizersRunInAllocationOrder) {
  {
    auto a = make<Obj>("a"), b = make<Obj>("b"), c = make<Obj>("c");
    a->ref = b;
    b->ref = c;
    c->ref = a;
  }
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, (Names{"a", "b", "c"}));
}

// cpython-semantics §3 D47: the order is still a, b, c after the ring has
// survived one collection. python3:
//   (all three kept)  gc.collect(); del a, b, c; gc.collect() -> 3, ['a', 'b', 'c']
//   (only a kept)     del b, c; gc.collect(); del a; gc.collect() -> 3, ['a', 'b', 'c']
//   (collect(0) only) gc.collect(0); del a, b, c; gc.collect() -> 3, ['a', 'b', 'c']
TEST_F(TestFinalizationPort, RingFinalizerOrderIsKeptAfterSurvivingACollection) {
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE(variant);
    g_log.clear();
    auto a = make<Obj>("a"), b = make<Obj>("b"), c = make<Obj>("c");
    a->ref = b;
    b->ref = c;
    c->ref = a;
    if (variant == 0) {
      gc::collect();
    } else if (variant == 1) {
      b.reset();
      c.reset();
      gc::collect();
    } else {
      gc::collect(0);
    }
    a.reset();
    b.reset();
    c.reset();
    EXPECT_EQ(gc::collect(), 3u);
    EXPECT_EQ(g_log, (Names{"a", "b", "c"}));
  }
}

// cpython-semantics §3 D47 ("follows list order"): when only c is kept while
// the ring survives a collection, the list order becomes c, a, b. python3:
//   a.n = b; b.n = c; c.n = a; del a, b; gc.collect(); del c
//   gc.collect() -> 3, ['c', 'a', 'b']
TEST_F(TestFinalizationPort, RingFinalizerOrderFollowsTheGenerationListOrder) {
  auto a = make<Obj>("a"), b = make<Obj>("b"), c = make<Obj>("c");
  a->ref = b;
  b->ref = c;
  c->ref = a;
  a.reset();
  b.reset();
  gc::collect();
  c.reset();
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, (Names{"c", "a", "b"}));
}

// Sees a peer with its payload from inside finalize().
struct Peer : Object {
  static constexpr const char* refgc_type_name = "Peer";
  std::string name;
  Ref<Peer> peer;
  Ref<PyList> payload;
  explicit Peer(std::string n) : name(std::move(n)) { ++g_live; }
  ~Peer() override { --g_live; }
  void trace(Tracer& t) override { t(peer, payload); }
  void finalize() override {
    g_log.push_back(name);
    if (!peer || peer->peer.get() != this || !peer->payload || peer->payload->size() != 1 ||
        !payload || payload->size() != 1)
      g_insane.push_back(name + " saw a cleared peer");
  }
};

// cpython-semantics §3 D46 (and §1.6: all finalizers run before any
// tp_clear): two finalizers in one cycle both run, and each sees its peer
// intact.
TEST_F(TestFinalizationPort, BothFinalizersInACycleRunBeforeAnyClearing) {
  {
    auto x = make<Peer>("x"), y = make<Peer>("y");
    x->peer = y;
    y->peer = x;
    x->payload = make<PyList>(std::vector<Ref<Object>>{make<PyList>()});
    y->payload = make<PyList>(std::vector<Ref<Object>>{make<PyList>()});
  }
  EXPECT_EQ(gc::collect(), 6u);  // 2 peers, 2 payload lists, 2 inner lists
  EXPECT_EQ(g_log, (Names{"x", "y"}));
  EXPECT_TRUE(g_insane.empty()) << g_insane.front();
  EXPECT_EQ(g_live, 0);
}

// ---------------------------------------------------------------------------
// Finalizers that throw (cpython-semantics §3 D43)
// ---------------------------------------------------------------------------

// cpython-semantics §3 D43: one of three cyclic objects throws in its
// finalizer: the other two finalizers still run, collect() -> 3, and the hook
// is called once.
TEST_F(TestFinalizationPort, ThrowingFinalizerInACycleDoesNotStopTheOthers) {
  capture_unraisable();
  {
    auto a = make<Obj>("a"), b = make<Obj>("b", Does::raise), c = make<Obj>("c");
    a->ref = b;
    b->ref = c;
    c->ref = a;
  }
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, (Names{"a", "b", "c"}));
  ASSERT_EQ(unraisable_.size(), 1u);
  EXPECT_EQ(unraisable_[0].what, "finalizer of b failed");
  EXPECT_EQ(unraisable_[0].err_msg, "Exception ignored in");
  EXPECT_EQ(g_live, 0);
}

// ---------------------------------------------------------------------------
// Counts when finalizers change the graph (cpython-semantics §3 A14, A16)
// ---------------------------------------------------------------------------

// cpython-semantics §3 A14. python3:
//   (__del__ does self.child = None) x.ref = x; x.child = P(); del x
//   gc.collect() -> 1       (the child dies by refcount: not counted)
//   (plain __del__)          same graph -> 2
TEST_F(TestFinalizationPort, ObjectFreedByAFinalizerIsNotCounted) {
  {
    auto x = make<Obj>("x", Does::drop_child);
    x->ref = x;
    x->child = make<Obj>("child");
  }
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(g_log, (Names{"x", "child"}));  // child died by refcount inside x's finalizer
  EXPECT_EQ(g_live, 0);

  g_log.clear();
  {
    auto x = make<Obj>("x");
    x->ref = x;
    x->child = make<Obj>("child");
  }
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(g_log, (Names{"x", "child"}));
  EXPECT_EQ(g_live, 0);
}

// Python's `class H: pass`: a plain instance holding two references.
struct Plain : Object {
  Ref<Object> me, held;
  void trace(Tracer& t) override { t(me, held); }
};

// cpython-semantics §3 D48, with the generator's `finally` as the held
// object's finalize(). python3 3.11.7:
//   def g():
//       try: yield 1
//       finally: log.append('finally')
//   h = H(); h.me = h; h.gen = g(); next(h.gen); del h
//   gc.collect() -> 2 (holder + generator); log == ['finally']
// The cleanup of an object held by (not part of) a cycle runs during the
// collection that frees the cycle, and the object is counted.
TEST_F(TestFinalizationPort, TheFinalizerOfAnObjectHeldByCyclicTrashRunsDuringTheCollection) {
  {
    auto h = make<Plain>();
    h->me = h;
    h->held = make<Obj>("gen");
  }
  EXPECT_TRUE(g_log.empty());
  EXPECT_EQ(g_live, 1);
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(g_log, Names{"gen"});
  EXPECT_EQ(g_live, 0);
}

// cpython-semantics §3 A16 (test_gc.py::test_resurrection_is_transitive):
// a resurrecting object in a cycle with a plain object that owns a list ->
// collect() 0 and the whole cycle comes back intact; after dropping it -> 3.
TEST_F(TestFinalizationPort, ResurrectorBringsBackItsWholeCycleIntact) {
  const Object* cargo = nullptr;
  {
    auto laz = make<Obj>("laz", Does::resurrect);
    auto plain = make<Obj>("plain");
    laz->ref = plain;
    plain->ref = laz;
    plain->child = make<PyList>(std::vector<Ref<Object>>{make<refgc::Int>(1)});
    cargo = plain->child.get();
  }
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(g_log, (Names{"laz", "plain"}));
  ASSERT_EQ(g_survivors.size(), 1u);
  auto& laz = static_cast<Obj&>(*g_survivors[0]);
  ASSERT_TRUE(laz.ref);
  auto& plain = static_cast<Obj&>(*laz.ref);
  EXPECT_EQ(plain.ref.get(), &laz);
  ASSERT_EQ(plain.child.get(), cargo);
  EXPECT_EQ(static_cast<PyList&>(*plain.child).size(), 1u);
  EXPECT_TRUE(gc::is_finalized(laz.ref));
  g_survivors.clear();
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(g_log, (Names{"laz", "plain"}));
  EXPECT_EQ(g_live, 0);
}

// ---------------------------------------------------------------------------
// Finalizers that allocate or collect during a collection
// ---------------------------------------------------------------------------

struct Allocates : Object {
  static constexpr const char* refgc_type_name = "Allocates";
  int how_many;
  bool collect_inside;
  Ref<Object> me;
  Allocates(int n, bool c) : how_many(n), collect_inside(c) { ++g_live; }
  ~Allocates() override { --g_live; }
  void trace(Tracer& t) override { t(me); }
  void finalize() override {
    for (int k = 0; k < how_many; ++k) g_made.push_back(make<Obj>("made" + std::to_string(k)));
    if (collect_inside) g_inner.push_back(gc::collect());
  }
};

// Python:
//   class C: pass
//   made = []; inner = []
//   class Alloc:
//       def __del__(self):
//           for _ in range(3): made.append(C())
//           inner.append(gc.collect())
//   x = Alloc(); x.me = x; del x
//   gc.collect(0), gc.get_count(), inner,
//   sum(1 for o in gc.get_objects(0) if type(o) is C)
// python3 printed: collect 1 count (2, 1, 0) inner [0] made in gen0 3
// (count0 = 3 allocations - 1 free of x)
TEST_F(TestFinalizationPort, FinalizerCanAllocateAndCollectReturnsZeroInside) {
  {
    auto x = make<Allocates>(3, true);
    x->me = x;
  }
  EXPECT_EQ(gc::collect(0), 1u);
  EXPECT_EQ(g_inner, (std::vector<std::size_t>{0}));
  EXPECT_EQ(gc::get_count(), (std::array<std::size_t, 3>{2, 1, 0}));
  ASSERT_EQ(g_made.size(), 3u);
  const auto gen0 = gc::get_objects(0);
  for (const auto& m : g_made)
    EXPECT_TRUE(std::any_of(gen0.begin(), gen0.end(),
                            [&](const Ref<Object>& o) { return o.get() == m.get(); }));
  g_made.clear();
  g_inner.clear();
}

// Python (gc enabled, threshold 1, a gc callback logging the generation of
// each "start"):
//   class Alloc2:
//       def __del__(self):
//           for _ in range(5): made.append(C())
//   x = Alloc2(); x.me = x; del x
//   gc.set_threshold(1); gc.enable()
//   n = gc.collect(); c = gc.get_count()   # get_count allocates a tuple
// python3 printed: n 1 starts [2, 0]: no collection ran while the finalizer
// allocated during the collection; the next allocation after it triggered a
// generation-0 collection.
TEST_F(TestFinalizationPort, AllocationsInFinalizersDoNotTriggerNestedCollections) {
  std::vector<int> starts;
  gc::callbacks().push_back([&](std::string_view phase, const gc::CollectInfo& info) {
    if (phase == "start") starts.push_back(info.generation);
  });
  {
    auto x = make<Allocates>(5, false);
    x->me = x;
  }
  gc::set_threshold(1);
  gc::enable();
  const std::size_t n = gc::collect();
  EXPECT_EQ(starts, (std::vector<int>{2}));
  EXPECT_EQ(gc::get_count()[0], 4u);  // 5 allocations - 1 free
  auto next = make<Obj>("next");      // count0 > 1: collects generation 0
  gc::disable();
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(starts, (std::vector<int>{2, 0}));
  EXPECT_EQ(g_made.size(), 5u);
  g_made.clear();
}

// Python:
//   g = C(); g.me = g; del g           # pending cyclic trash
//   class Coll:
//       def __del__(self): inner.append(gc.collect())
//   y = Coll(); del y
// python3 printed: refcount-path inner collect [1]: a finalizer run by
// refcount death (no collection in progress) performs a real collection.
TEST_F(TestFinalizationPort, CollectInsideARefcountPathFinalizerReallyCollects) {
  {
    auto g = make<Obj>("g");
    g->ref = g;
  }
  auto y = make<Allocates>(0, true);
  y.reset();
  EXPECT_EQ(g_inner, (std::vector<std::size_t>{1}));
  EXPECT_EQ(g_log, Names{"g"});
  EXPECT_EQ(g_live, 0);
  g_inner.clear();
}

// cpython-semantics §1.6 step 10: objects allocated by finalizers during a
// collection take no part in it; finalizers of trash created by a finalizer
// run in a later collection.
TEST_F(TestFinalizationPort, TrashMadeByAFinalizerIsCollectedNextTime) {
  struct MakesTrash : Object {
    Ref<Object> me;
    void trace(Tracer& t) override { t(me); }
    void finalize() override {
      auto o = make<Obj>("late");
      o->ref = o;  // new cyclic trash, created during the collection
    }
  };
  {
    auto x = make<MakesTrash>();
    x->me = x;
  }
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_TRUE(g_log.empty());
  EXPECT_EQ(g_live, 1);
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(g_log, Names{"late"});
  EXPECT_EQ(g_live, 0);
}

}  // namespace
