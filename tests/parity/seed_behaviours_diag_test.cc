// Seed behaviours 66 and 68 (shared/spec/seed-behaviours.md, section H):
// objgraph-style tooling and the seeds' find_leaks helper, on refgc heaps.
// Each test runs on a heap of its own so that the census is exact.
#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

using refgc::Dict;
using refgc::List;
using refgc::make;
using refgc::Object;
using refgc::Ref;
namespace diag = refgc::diag;
namespace gc = refgc::gc;

struct Node : Object {
  static constexpr const char* refgc_type_name = "Node";
  Ref<Object> next;
  void trace(refgc::Tracer& t) override { t(next); }
};

// A Python module: a named object whose __dict__ holds the globals.
struct Module : Object {
  static constexpr const char* refgc_type_name = "module";
  Ref<Dict<std::string, Object>> dict = make<Dict<std::string, Object>>();
  void trace(refgc::Tracer& t) override { t(dict); }
};

class SeedBehaviourDiag : public ::testing::Test {
 protected:
  refgc::Heap heap_;
  refgc::Heap::Lock lock_{heap_};
};

TEST_F(SeedBehaviourDiag, B66_GrowthShowsFiftyNewNodesAsNode50Plus50) {
  // objgraph probe: show_growth() after creating 50 Nodes prints "Node 50 +50".
  (void)diag::growth();  // the baseline
  std::vector<Ref<Node>> nodes;
  for (int i = 0; i < 50; ++i) nodes.push_back(make<Node>());
  std::ostringstream out;
  diag::print_growth(out);
  EXPECT_EQ(out.str(), "Node       50       +50\n");  // objgraph: "%-*s%9d %+9d"
}

TEST_F(SeedBehaviourDiag, B66_CountByTypeNameFindsTheFiftyNodes) {
  std::vector<Ref<Node>> nodes;
  for (int i = 0; i < 50; ++i) nodes.push_back(make<Node>());
  EXPECT_EQ(diag::count("Node"), 50u);
  nodes.resize(20);
  EXPECT_EQ(diag::count("Node"), 20u);
}

TEST_F(SeedBehaviourDiag, B66_MostCommonTypesPutsTheLeakingTypeFirst) {
  auto module = make<Module>();
  for (int i = 0; i < 50; ++i) module->dict->set("n" + std::to_string(i), make<Node>());
  auto rows = diag::most_common_types(3);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (diag::TypeCount{"Node", 50}));
  EXPECT_EQ(rows[1].count, 1u);
  EXPECT_EQ(rows[2].count, 1u);
}

TEST_F(SeedBehaviourDiag, B66_BackrefChainGoesFromTheModuleThroughItsDictToTheNode) {
  // objgraph: find_backref_chain(node, inspect.ismodule) -> [module, dict, node].
  auto module = make<Module>();
  auto node = make<Node>();
  module->dict->set("leaked", node);
  auto is_module = [](const Object& o) { return diag::type_name(o) == "module"; };
  auto chain = diag::find_backref_chain(node, is_module);
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_TRUE(refgc::is(chain[0], module));
  EXPECT_TRUE(refgc::is(chain[1], module->dict));
  EXPECT_TRUE(refgc::is(chain[2], node));
  // Without a predicate: the nearest object held from outside, the module.
  // (The chain above holds references too: drop it first.)
  const auto dict = chain[1].get();
  chain.clear();
  const auto nearest = diag::find_backref_chain(node);
  ASSERT_EQ(nearest.size(), 3u);
  EXPECT_TRUE(refgc::is(nearest[0], module));
  EXPECT_EQ(nearest[1].get(), dict);
}

TEST_F(SeedBehaviourDiag, B66_TheBackrefGraphIsExportedAsDot) {
  // objgraph.show_backrefs([node]) writes a DOT graph: node <- dict <- module.
  auto module = make<Module>();
  auto node = make<Node>();
  module->dict->set("leaked", node);
  const std::string dot = diag::to_dot({{"node", node}}, {.direction = diag::Direction::referrers});
  EXPECT_NE(dot.find("o0 [label=\"Node"), std::string::npos) << dot;
  EXPECT_NE(dot.find("o1 [label=\"Dict\\n{'leaked': <Node>}"), std::string::npos) << dot;
  EXPECT_NE(dot.find("o2 [label=\"module"), std::string::npos) << dot;
  // objgraph labels the edge out of a dict with the key that holds the
  // target; refgc writes it as a subscript.
  EXPECT_NE(dot.find("o1 -> o0 [label=\"['leaked']\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("o2 -> o1;"), std::string::npos);
  // Rendered by the real dot, the picture has the three objects and two edges.
  ASSERT_TRUE(diag::graphviz_available()) << "scripts/deps.sh installs graphviz";
  const auto file = std::filesystem::temp_directory_path() / "refgc_b66_backrefs.svg";
  diag::render_svg(file, {{"node", node}}, {.direction = diag::Direction::referrers});
  std::ifstream f(file);
  const std::string svg((std::istreambuf_iterator<char>(f)), {});
  std::filesystem::remove(file);
  for (const char* title : {"<title>o0</title>", "<title>o1</title>", "<title>o2</title>",
                            "<title>o1&#45;&gt;o0</title>", "<title>o2&#45;&gt;o1</title>"})
    EXPECT_NE(svg.find(title), std::string::npos) << title;
}

TEST_F(SeedBehaviourDiag, B68_FindLeaksCollectsThenPrintsTheTypeHistogram) {
  // s000_p08_04 (patched): gc.collect() x3, then Counter over gc.get_objects(),
  // most_common(20), printed as f" {count:>8,} {type_name}".
  auto module = make<Module>();
  for (int i = 0; i < 2363; ++i) module->dict->set("f" + std::to_string(i), make<Node>());
  auto lists = make<List<Node>>();
  for (int i = 0; i < 3; ++i) {  // garbage cycles: gone after the collections
    auto n = make<Node>();
    n->next = n;
  }
  gc::collect();
  gc::collect();
  gc::collect();
  std::ostringstream out;
  diag::print_most_common_types(out, 20);
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), "    2,363 Node\n");
  EXPECT_NE(text.find("        1 module\n"), std::string::npos) << text;
  EXPECT_NE(text.find("        1 List\n"), std::string::npos) << text;
  EXPECT_NE(text.find("        1 Dict\n"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
}

}  // namespace
