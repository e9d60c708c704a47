// Seed behaviours 60-65: the gc introspection the seeds' debugging sections
// use (get_referrers, get_referents, get_objects, garbage, debug flags,
// callbacks, stats, shallow sizes). Each test names its snippet.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/gc_fixture.h"

namespace {

using refgc::Dict;
using refgc::Int;
using refgc::List;
using refgc::make;
using refgc::Ref;
namespace gc = refgc::gc;

struct Node : refgc::Object {
  static constexpr const char* refgc_type_name = "Node";
  std::string name;
  Ref<Node> partner;
  explicit Node(std::string n) : name(std::move(n)) {}
  void trace(refgc::Tracer& t) override { t(partner); }
};

using Module = Dict<std::string, refgc::Object>;  // a module's globals dict

class SeedBehaviourGc : public refgc_test::GcTest {};

bool contains(const std::vector<Ref<refgc::Object>>& v, const refgc::Object* o) {
  return std::any_of(v.begin(), v.end(), [&](const Ref<refgc::Object>& r) { return r.get() == o; });
}

// s000_p11_01_find_referrers: `Reference count: 2` inside a helper for an
// object with one external name (ERR-17: the helper's own parameter counts).
std::uint32_t reference_count_in_helper(Ref<Module> obj) { return refgc::getrefcount(obj) - 1; }

TEST_F(SeedBehaviourGc, B60_InsideAHelperGetrefcountCountsTheParameterToo) {
  auto large_dict = make<Module>();
  large_dict->set("data", make<List<Int>>());
  EXPECT_EQ(refgc::getrefcount(large_dict), 2u);         // name + argument
  EXPECT_EQ(reference_count_in_helper(large_dict), 2u);  // what the snippet printed
}

TEST_F(SeedBehaviourGc, B61_GetReferrersFindsTheHoldingContainersButNotStackHandles) {
  // s000_p11_01: `Referrers (1): type=dict` -- the module dict, not the frame.
  auto globals = make<Module>();
  auto large_dict = make<Module>();
  globals->set("large_dict", large_dict);
  Ref<Module> local = large_dict;  // a "frame local": not a referrer
  auto referrers = gc::get_referrers(large_dict);
  ASSERT_EQ(referrers.size(), 1u);
  EXPECT_EQ(referrers[0].get(), globals.get());
  // get_referents(container) gives its direct children.
  auto data = make<List<Int>>();
  large_dict->set("data", data);
  auto referents = gc::get_referents(large_dict);
  ASSERT_EQ(referents.size(), 1u);
  EXPECT_EQ(referents[0].get(), data.get());
}

TEST_F(SeedBehaviourGc, B62_GetObjectsListsTrackedContainersOnlyPerGeneration) {
  // s000_p11_02: `Gen 0: 320 / Gen 1: 0 / Gen 2: 10919`; ints and strs never.
  auto before = gc::get_objects(0).size();
  auto l = make<List<Int>>();
  auto i = make<Int>(5);
  auto s = make<refgc::Str>("x");
  auto gen0 = gc::get_objects(0);
  EXPECT_EQ(gen0.size(), before + 1);
  EXPECT_TRUE(contains(gen0, l.get()));
  auto all = gc::get_objects();
  EXPECT_FALSE(contains(all, i.get()));
  EXPECT_FALSE(contains(all, s.get()));
  gc::collect(0);
  EXPECT_TRUE(contains(gc::get_objects(1), l.get()));
  EXPECT_FALSE(contains(gc::get_objects(0), l.get()));
}

TEST_F(SeedBehaviourGc, B63_GarbageIsEmptyNormallySaveallKeepsAndLeakPrintsAndKeeps) {
  // s000_p11_02 probe: `Garbage: 0`, SAVEALL -> 2 kept, DEBUG_LEAK = 38 prints
  // `gc: collectable <Node 0x...>` for each and keeps them, STATS lines.
  std::vector<std::string> lines;
  auto old = gc::set_debug_sink([&](std::string_view l) { lines.emplace_back(l); });
  auto pair = [](const char* a, const char* b) {
    auto x = make<Node>(a), y = make<Node>(b);
    x->partner = y;
    y->partner = x;
  };
  pair("x", "y");
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_TRUE(gc::garbage().empty());

  gc::set_debug(gc::DEBUG_SAVEALL);
  pair("a", "b");
  EXPECT_EQ(gc::collect(), 2u);
  ASSERT_EQ(gc::garbage().size(), 2u);
  EXPECT_EQ(static_cast<Node&>(*gc::garbage()[0]).name, "a");  // kept alive, not freed
  gc::garbage().clear();  // garbage again (cpython-semantics §3 A18): collected for real now
  gc::set_debug(0);
  EXPECT_EQ(gc::collect(), 2u);

  EXPECT_EQ(gc::DEBUG_LEAK, gc::DEBUG_COLLECTABLE | gc::DEBUG_UNCOLLECTABLE | gc::DEBUG_SAVEALL);
  gc::set_debug(gc::DEBUG_LEAK);
  lines.clear();
  pair("c", "d");
  EXPECT_EQ(gc::collect(), 2u);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("gc: collectable <Node 0x", 0), 0u) << lines[0];
  EXPECT_EQ(gc::garbage().size(), 2u);
  gc::garbage().clear();
  gc::set_debug(0);
  EXPECT_EQ(gc::collect(), 2u);

  gc::set_debug(gc::DEBUG_STATS);
  lines.clear();
  gc::collect(0);
  gc::set_debug(0);
  gc::set_debug_sink(std::move(old));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "gc: collecting generation 0...");
  EXPECT_EQ(lines[1].rfind("gc: objects in each generation: ", 0), 0u);
  EXPECT_EQ(lines[2], "gc: objects in permanent generation: 0");
  EXPECT_EQ(lines[3].rfind("gc: done, 0 unreachable, 0 uncollectable, ", 0), 0u);
}

TEST_F(SeedBehaviourGc, B64_CallbacksSeeStartAndStopAndStatsCountPerGeneration) {
  // s002_18 probe: callbacks with generation/collected/uncollectable; get_stats.
  std::vector<std::string> seen;
  gc::callbacks().push_back([&](std::string_view phase, const gc::CollectInfo& i) {
    seen.push_back(std::string(phase) + ":" + std::to_string(i.generation) + ":" +
                   std::to_string(i.collected) + ":" + std::to_string(i.uncollectable));
  });
  const auto stats_before = gc::get_stats();
  auto n = make<Node>("self");
  n->partner = n;
  n.reset();
  gc::collect(2);
  EXPECT_EQ(seen, (std::vector<std::string>{"start:2:0:0", "stop:2:1:0"}));
  const auto stats = gc::get_stats();
  EXPECT_EQ(stats[2].collections, stats_before[2].collections + 1);
  EXPECT_EQ(stats[2].collected, stats_before[2].collected + 1);
  EXPECT_EQ(stats[0].collections, stats_before[0].collections);
}

TEST_F(SeedBehaviourGc, B65_SizesAreShallow) {
  // s000_p10_01 / s000_p08_02 probe: a list's size covers its slots, not the
  // elements (8,448,728 B for a 1M list in CPython, the ints not included).
  auto big = make<List<Int>>();
  for (int i = 0; i < 100000; ++i) big->append(make<Int>(i));
  const std::size_t list_size = refgc::getsizeof(big);
  EXPECT_GE(list_size, 100000 * sizeof(void*));
  EXPECT_LT(list_size, 100000 * (sizeof(void*) + refgc::getsizeof(make<Int>(0))));
  EXPECT_EQ(refgc::getsizeof((*big)[0]), sizeof(Int));
}

}  // namespace
