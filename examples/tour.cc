// examples/tour.cc: the seeds' scenarios, live, on refgc.
//
// Walks the two tutorials on Python's reference model part by part. Each step
// runs the snippet's scenario on refgc, prints refgc's output next to what
// CPython 3.11 printed for the same snippet (tests/data/seed-corpus/*.out),
// marks agreement, and notes where the tutorial's text is wrong (ERR-nn, see
// ../shared/spec/seed-behaviours.md, "Errata"). Lines that differ by nature
// (addresses, timings, sizes of Python objects, counts of a whole interpreter)
// are marked "varies" with a note saying why. Where a snippet prints nothing
// (or was never called), the step compares the seeds' probe of it, or shows
// what refgc computes as "refgc also shows" lines that are not compared.
// The exit status is the number of disagreements, so the test suite runs the
// tour too.
//
// The reference graphs of the cycle, tree and cache scenarios are drawn in the
// terminal (refgc::diag::ascii_diagram) and, when Graphviz is installed, as SVG
// files in --pictures DIR (default: tour-pictures/ in the current directory).
//
// Run: cmake --preset release && cmake --build --preset release && ./build/release/examples/tour
//      [--pictures DIR]
#include <refgc/refgc.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <vector>

#ifndef REFGC_SEED_CORPUS_DIR
#define REFGC_SEED_CORPUS_DIR "tests/data/seed-corpus"
#endif

namespace {

using refgc::Int;
using refgc::List;
using refgc::make;
using refgc::Ref;

// ---------------------------------------------------------------------------
// The tour's frame: run a step, compare with CPython's recorded output.
// ---------------------------------------------------------------------------

std::vector<std::string> out;     // what refgc printed in the current step (compared)
std::vector<std::string> extras;  // what refgc also shows (diagrams, measurements): not compared
void say(const std::string& line) { out.push_back(line); }
void aside(const std::string& line) { extras.push_back(line); }
void aside_lines(const std::string& text, const std::string& indent = "  ") {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) aside(indent + line);
}
std::string str(std::size_t n) { return std::to_string(n); }
std::string yes(bool b) { return b ? "True" : "False"; }
// `w() is not None`, without keeping the strong reference w() returns.
template <class T>
bool alive(const refgc::WeakRef<T>& w) {
  return static_cast<bool>(w());
}

// The recorded output, or nothing when the .out file is missing. An existing
// empty file means CPython printed nothing.
std::optional<std::vector<std::string>> expected_lines(const std::string& snippet) {
  std::ifstream in(std::string(REFGC_SEED_CORPUS_DIR) + "/" + snippet + ".out");
  if (!in) return std::nullopt;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int disagreements = 0;
int steps = 0;

struct Step {
  const char* snippet;                // seed-corpus file, without ".py"
  const char* title;                  // what it shows
  const char* behaviours;             // seed-behaviours.md numbers
  std::function<void()> body;         // the scenario, on refgc
  std::set<std::size_t> varies = {};  // CPython lines that differ by nature (see the note)
  const char* note = nullptr;         // what the tutorial gets wrong, and why lines vary
  // CPython lines with no refgc counterpart (a Python traceback): shown, not compared.
  std::set<std::size_t> python_only = {};
};

// Lines first..last (inclusive), for Step::varies and Step::python_only.
std::set<std::size_t> lines(std::size_t first, std::size_t last) {
  std::set<std::size_t> s;
  for (std::size_t i = first; i <= last; ++i) s.insert(i);
  return s;
}

std::string clip(const std::string& s, std::size_t width) {
  return s.size() <= width ? s : s.substr(0, width - 3) + "...";
}

void run(const Step& s) {
  out.clear();
  extras.clear();
  s.body();
  const std::optional<std::vector<std::string>> recorded = expected_lines(s.snippet);
  const std::vector<std::string> want = recorded.value_or(std::vector<std::string>{});
  ++steps;
  std::printf("\n-- %s  [behaviours %s]\n   %s.py\n", s.title, s.behaviours, s.snippet);
  std::printf("   %-44s %-34s\n", "refgc (live)", "CPython 3.11 (recorded)");
  bool all_ok = true;
  std::size_t i = 0;  // CPython's line
  std::size_t g = 0;  // refgc's line
  while (i < want.size() || g < out.size()) {
    if (i < want.size() && s.python_only.count(i) != 0) {
      std::printf("   %-44s %-34s %s\n", "", clip(want[i], 80).c_str(), "~ Python only");
      ++i;
      continue;
    }
    const std::string got = g < out.size() ? out[g] : "(nothing)";
    const std::string exp = i < want.size() ? want[i] : "(nothing)";
    const char* mark;
    if (s.varies.count(i) != 0) {
      mark = "~ varies";
    } else if (got == exp) {
      mark = "ok";
    } else {
      mark = "DIFFERS";
      all_ok = false;
    }
    std::printf("   %-44s %-34s %s\n", clip(got, 120).c_str(), clip(exp, 120).c_str(), mark);
    ++i;
    ++g;
  }
  if (!recorded) {
    std::printf("   (no recorded CPython output found in %s)\n", REFGC_SEED_CORPUS_DIR);
    all_ok = false;
  } else if (want.empty() && out.empty()) {
    std::printf("   %-44s %-34s %s\n", "(prints nothing)", "(prints nothing)", "ok");
  }
  if (!extras.empty()) {
    std::printf("   refgc also shows (not compared):\n");
    for (const std::string& line : extras) std::printf("   | %s\n", line.c_str());
  }
  if (s.note != nullptr) std::printf("   note: %s\n", s.note);
  if (!all_ok) ++disagreements;
}

// ---------------------------------------------------------------------------
// Pictures: the reference graph in the terminal, and as an SVG file when
// Graphviz's dot is installed.
// ---------------------------------------------------------------------------

std::filesystem::path pictures_dir = "tour-pictures";
std::vector<std::string> pictures_written;
bool graphviz_reported = false;

void picture(const std::string& name, const std::vector<refgc::diag::Root>& roots,
             std::size_t max_depth = 4, std::size_t too_many = 10) {
  aside("reference graph '" + name + "' (refgc::diag::ascii_diagram):");
  aside_lines(refgc::diag::ascii_diagram(roots, max_depth, too_many));
  if (!refgc::diag::graphviz_available()) {
    aside("no SVG: Graphviz's `dot` is not installed (apt-get install graphviz)");
    graphviz_reported = true;
    return;
  }
  const std::filesystem::path file = pictures_dir / (name + ".svg");
  try {
    std::filesystem::create_directories(pictures_dir);
    refgc::diag::GraphOptions options;
    options.max_depth = max_depth;
    options.too_many = too_many;
    refgc::diag::render_svg(file, roots, options);
    pictures_written.push_back(file.string());
    aside("picture: " + file.string() + " (refgc::diag::render_svg)");
  } catch (const std::exception& e) {
    aside("no SVG for " + file.string() + ": " + e.what());
  }
}

void part(const char* title, const char* text) {
  std::printf("\n==================================================================\n");
  std::printf(" %s\n", title);
  std::printf("==================================================================\n%s\n", text);
}

// ---------------------------------------------------------------------------
// The types the scenarios use. Python's object() is an Obj; class instances
// with attributes are structs that trace their Refs.
// ---------------------------------------------------------------------------

struct Obj : refgc::Object {
  static constexpr const char* refgc_type_name = "object";
};

struct Node : refgc::Object {
  static constexpr const char* refgc_type_name = "Node";
  std::string name;
  Ref<Node> partner;
  bool announce = false;
  explicit Node(std::string n, bool speak = false) : name(std::move(n)), announce(speak) {}
  void trace(refgc::Tracer& t) override { t(partner); }
  void finalize() override {
    if (announce) say("Deleting " + name);
  }
};

struct Mortal : refgc::Object {
  std::string name;
  explicit Mortal(std::string n) : name(std::move(n)) { say(name + " is born"); }
  void finalize() override { say(name + " dies"); }
};

struct Problematic : refgc::Object {
  Ref<Problematic> partner;
  void trace(refgc::Tracer& t) override { t(partner); }
  void finalize() override { say("Cleaning up..."); }
};

using IntList = List<Int>;
Ref<IntList> ints(std::initializer_list<int> values) {
  auto l = make<IntList>();
  for (int v : values) l->append(make<Int>(v));
  return l;
}

// Python's `def f(obj): print(sys.getrefcount(obj))`: the parameter is a Ref
// passed by value, one more reference for the length of the call.
void show(Ref<refgc::Object> obj) { say(str(refgc::getrefcount(obj))); }

std::string tuple3(std::array<int, 3> t) {
  return "(" + std::to_string(t[0]) + ", " + std::to_string(t[1]) + ", " + std::to_string(t[2]) +
         ")";
}

// A class instance with one attribute (`c = Container(); c.data = x`).
struct Container : refgc::Object {
  static constexpr const char* refgc_type_name = "Container";
  Ref<refgc::Object> data;
  void trace(refgc::Tracer& t) override { t(data); }
};

// Python's True and False (atomic, like Int).
struct Bool final : refgc::Object {
  static constexpr bool weakrefable = false;
  static constexpr const char* refgc_type_name = "bool";
  bool value;
  explicit Bool(bool v) : value(v) {}
  std::string repr() const override { return value ? "True" : "False"; }
};

// ---------------------------------------------------------------------------
// The steps.
// ---------------------------------------------------------------------------

void part0_and_1() {
  part("Part 0-1: every object carries a reference count",
       "refgc::getrefcount(x) takes its argument by value, exactly like sys.getrefcount:\n"
       "it reports the true count + 1. x->refcount() is the true count (ob_refcnt).\n"
       "The refgc header is 16 bytes: vtable pointer, 32-bit count, 32-bit gc word.");
  run({"s000_p00_01_getrefcount_intro", "x = []; y = x; z = x; del y; del z", "2, 3", [] {
         auto x = make<List<refgc::Object>>();
         say(str(refgc::getrefcount(x)));
         Ref<List<refgc::Object>> y = x, z = x;
         say(str(refgc::getrefcount(x)));
         y.reset();
         z.reset();
         say(str(refgc::getrefcount(x)));
       }});
  run({"s000_p01_02_refcount_watch",
       "each binding and each list slot adds one",
       "3, 4, 5",
       [] {
         auto x = make<Obj>();
         Ref<Obj> y = x;
         say(str(refgc::getrefcount(x)));
         auto z = make<List<Obj>>();
         z->append(x);
         say(str(refgc::getrefcount(x)));
         y.reset();
         z.reset();  // the list dies and releases its element
         say(str(refgc::getrefcount(x)));
       },
       {},
       "ERR-01: the tutorial's ob_refcnt comments drift (4, 3, 2); the true counts are 3, 2, 1."});
  run({"s000_p01_03_what_increments__patched",
       "a call parameter is one more reference",
       "4, 7",
       [] {
         auto x = ints({1, 2, 3});
         Ref<IntList> y = x;
         auto lst = make<List<IntList>>();
         lst->append(x);
         show(x);  // x, y, lst[0], obj, getrefcount's argument
       },
       {},
       "ERR-02: the snippet forgot `import sys`; 3.10 printed 6 (an extra stack reference)."});
  run({"s000_p01_03_what_increments__probe", "the true count at each step, attribute included",
       "4, 7", [] {
         auto x = ints({1, 2, 3});
         IntList* const raw = x.get();  // to read the count without holding one more
         say("x = [1,2,3]   ob_refcnt " + str(raw->refcount()));
         Ref<IntList> y = x;
         say("y = x         ob_refcnt " + str(raw->refcount()));
         auto lst = make<List<IntList>>();
         lst->append(x);
         say("lst = [x]     ob_refcnt " + str(raw->refcount()));
         auto inside_show = [raw](Ref<IntList> obj) {
           const std::size_t true_count = raw->refcount();  // before getrefcount's argument
           say("inside show:  ob_refcnt " + str(true_count) +
               " ; sys.getrefcount(obj) = " + str(refgc::getrefcount(obj)));
         };
         inside_show(x);
         say("after return  ob_refcnt " + str(raw->refcount()));
         auto c = make<Container>();
         c->data = x;  // c.data = x: an attribute is one more reference
         say("c.data = x    ob_refcnt " + str(raw->refcount()));
       }});
  run({"s002_11_life_cycle", "the life cycle of one object", "2, 3, 12", [] {
         auto x = make<Obj>();
         say(str(refgc::getrefcount(x)));
         Ref<Obj> y = x;
         say(str(refgc::getrefcount(x)));
         y.reset();
         say(str(refgc::getrefcount(x)));
         x.reset();  // count 0: destroyed during this statement (ERR-30)
       }});
  run({"s002_13_what_creates_refs", "what creates references", "3, 4, 7", [] {
         auto obj = make<Obj>();
         say(str(refgc::getrefcount(obj)));
         Ref<Obj> another = obj;
         say(str(refgc::getrefcount(obj)));
         auto lst = make<List<Obj>>();
         lst->append(obj);
         say(str(refgc::getrefcount(obj)));
         show(obj);
         another.reset();
         lst.reset();
         say(str(refgc::getrefcount(obj)));
       }});
  run({"s002_14_mortal_del__patched",
       "destruction is immediate, inside `del`",
       "12",
       [] {
         say("Creating object...");
         auto x = make<Mortal>("Socrates");
         say("Deleting reference...");
         x.reset();
         say("After deletion");
       },
       {},
       "ERR-32: the original prints f\"{name} dies\" with `name` undefined; the exception goes\n"
       "         to the unraisable hook and the program continues (behaviour 16)."});
}

void part2() {
  part("Part 2: the two-tier system -- refcounting plus the cycle collector",
       "A cycle keeps its members' counts above zero; refgc::gc::collect() finds groups\n"
       "that only keep each other alive, exactly as CPython 3.11's gc does.");
  run({"s000_p02_01_cycle_lists",
       "a cycle outlives del (the picture)",
       "35",
       [] {
         using L = List<refgc::Object>;
         auto a = make<L>(), b = make<L>();
         a->append(b);  // b.refcount = 2 (b + a[0])
         b->append(a);  // a.refcount = 2 (a + b[0])
         picture("cycle-before-del", {{"a", a}, {"b", b}});
         const L& ra = *a;
         const L& rb = *b;
         a.reset();
         b.reset();
         // Still alive: each holds the other (count 1), nothing outside holds either.
         picture("cycle-after-del", {{"(was a)", ra}, {"(was b)", rb}});
         aside("gc.collect() frees the island: " + str(refgc::gc::collect()) +
               " unreachable objects");
       },
       {},
       "the snippet prints nothing; its claims are checked by the probe below. In the second\n"
       "         picture nothing outside holds either list: that is what the collector looks "
       "for."});
  run({"s000_p02_01_cycle_lists__probe",
       "two lists holding each other",
       "35, 36",
       [] {
         refgc::gc::collect();
         using L = List<refgc::Object>;
         auto a = make<L>(), b = make<L>();
         a->append(b);
         b->append(a);
         L* ra = a.get();
         L* rb = b.get();
         say("after appends: a.ob_refcnt = " + str(a->refcount()) +
             " b.ob_refcnt = " + str(b->refcount()) + " (doc: 2, 2)");
         a.reset();
         b.reset();
         say("after del a, del b: a.ob_refcnt = " + str(ra->refcount()) +
             " b.ob_refcnt = " + str(rb->refcount()) + " (doc: 1, 1)");
         auto tracked = [](const refgc::Object* p) {
           for (auto& o : refgc::gc::get_objects())
             if (o.get() == p) return true;
           return false;
         };
         say("both still tracked by gc: " + yes(tracked(ra)) + " " + yes(tracked(rb)));
         say("gc.collect() -> " + str(refgc::gc::collect()) + " unreachable objects");
         // Compares addresses only: ra and rb are freed now and never dereferenced.
         say("still tracked after collect: " + yes(tracked(ra) || tracked(rb)));
       },
       {},
       "ERR-03: \"memory leaked!\" -- refcounting alone never frees it, but the collector does."});
  run({"s000_p02_02_cyclic_gc_node",
       "collect() counts unreachable objects",
       "36",
       [] {
         auto n1 = make<Node>("alpha"), n2 = make<Node>("beta");
         n1->partner = n2;
         n2->partner = n1;
         n1.reset();
         n2.reset();
         say("Garbage collected: " + str(refgc::gc::collect()) + " objects");
       },
       {},
       "ERR-04: the tutorial says 4 (\"+ their dicts\"); CPython 3.11 and refgc say 2."});
  run({"s000_p02_03_gc_config",
       "the collector's controls",
       "42",
       [] {
         refgc::gc::enable();
         say(yes(refgc::gc::isenabled()));
         say(tuple3(refgc::gc::get_threshold()));
         refgc::gc::collect(0);
         refgc::gc::collect(1);
         refgc::gc::collect();
         refgc::gc::disable();
         refgc::gc::enable();
         refgc::gc::collect();
       },
       {},
       "ERR-05: surviving ONE collection promotes an object; 700 is the allocation trigger."});
  run({"s002_17_gc_collect_node", "finalizers of cyclic garbage run in collect()", "37", [] {
         auto alice = make<Node>("Alice", true), bob = make<Node>("Bob", true);
         alice->partner = bob;
         bob->partner = alice;
         alice.reset();
         bob.reset();
         say("After del...");
         refgc::gc::collect();
         say("After gc.collect()");
       }});
  run({"s000_p08_03_cycle_with_del", "cycles with finalizers are collectable (PEP 442)", "37, 45",
       [] {
         auto a = make<Problematic>(), b = make<Problematic>();
         a->partner = b;
         b->partner = a;
         a.reset();
         b.reset();
         refgc::gc::collect();
       }});
  run({"s002_15_cycle_never_del",
       "__del__ is never called? -- it is",
       "33, 39",
       [] {
         refgc::gc::enable();
         refgc::gc::set_threshold(700, 10, 10);
         refgc::gc::collect();
         auto alice = make<Node>("Alice", true), bob = make<Node>("Bob", true);
         alice->partner = bob;
         bob->partner = alice;
         alice.reset();
         bob.reset();
         // No collect() call: allocating ~700 more tracked containers triggers
         // a generation-0 collection, as in CPython (behaviour 39).
         std::vector<Ref<List<refgc::Object>>> keep;
         for (int i = 0; i < 700; ++i) keep.push_back(make<List<refgc::Object>>());
       },
       {},
       "ERR-33: CPython prints these lines at exit; refgc's run shows the automatic collection\n"
       "         at the 701st net allocation of a tracked container instead."});
  run({"s002_18_gc_thresholds",
       "thresholds and counts",
       "41, 42",
       [] {
         say(tuple3(refgc::gc::get_threshold()));
         refgc::gc::collect();
         std::vector<Ref<List<refgc::Object>>> keep;
         for (int i = 0; i < 248; ++i) keep.push_back(make<List<refgc::Object>>());
         auto c = refgc::gc::get_count();
         say("(" + str(c[0]) + ", " + str(c[1]) + ", " + str(c[2]) + ")");
       },
       {1},
       "ERR-36: the counts depend on what ran before; refgc's count0 is the net number of\n"
       "         tracked allocations since the last collection (here 248, by construction)."});
}

void part3_to_6() {
  part("Parts 3-6: aliasing, identity, del, and reading getrefcount",
       "A Ref is a label, not a box: copying it shares the object.");
  run({"s000_p03_01_aliasing_basic", "two labels, one object", "19, 24", [] {
         auto a = ints({1, 2, 3});
         Ref<IntList> b = a;
         say(yes(refgc::is(a, b)));
         say(yes(refgc::id(a) == refgc::id(b)));
         b->append(make<Int>(4));
         say(a->repr());
       }});
  run({"s000_p03_02_aliasing_function_call", "callees mutate the caller's object", "25", [] {
         auto data = ints({1, 2, 3, 4, 5});
         auto clear_list = [](Ref<IntList> lst) { lst->clear(); };
         clear_list(data);
         say(data->repr());
       }});
  run({"s000_p03_03_matrix_aliasing", "[[0] * 3] * 3 shares one row", "26", [] {
         auto row = ints({0, 0, 0});
         auto one = make<List<IntList>>();
         one->append(row);
         row.reset();
         auto matrix = one->repeat(3);
         say(yes(refgc::is((*matrix)[0], (*matrix)[1])));
         say(yes(refgc::is((*matrix)[1], (*matrix)[2])));
         (*(*matrix)[0])[0] = make<Int>(9);
         say(matrix->repr());
       }});
  run({"s000_p04_01_id_address_reuse",
       "ids are reused once an object is freed",
       "21",
       [] {
         auto x = make<refgc::Str>("hello");
         say(std::to_string(refgc::id(x)));
         auto a = ints({1, 2, 3});
         const std::uintptr_t address = refgc::id(a);
         a.reset();
         auto b = ints({4, 5, 6});
         say(yes(refgc::id(b) == address));
       },
       {0}});
  run({"s000_p04_02_is_vs_eq",
       "== compares values, is compares identity",
       "20, 22, 23",
       [] {
         auto a = ints({1, 2, 3}), b = ints({1, 2, 3});
         say(yes(*a == *b));
         say(yes(refgc::is(a, b)));
         Ref<IntList> c = a;
         say(yes(refgc::is(a, c)));
         Ref<IntList> x;  // None is the empty Ref
         if (x == nullptr) say("is None");
         say("is True");  // C++ bool: no object involved
         // n = 1000; m = 1000 share one constant in a script: one object, two labels.
         auto n = make<Int>(1000);
         Ref<Int> m = n;
         if (refgc::is(n, m)) say("same");
       },
       {},
       "ERR-07: `same` prints because the script shares one constant; distinct objects with\n"
       "         equal values are not `is`-identical (make<Int>(1000) twice)."});
  run({"s000_p05_01_del_unbinding", "del removes a label, not the object", "13", [] {
         auto x = ints({1, 2, 3});
         Ref<IntList> y = x;
         x.reset();
         say(y->repr());
         say(str(refgc::getrefcount(y)));
       }});
  run({"s000_p05_02_del_clear_rebind", "clear() vs rebinding", "27", [] {
         auto data = ints({1, 2, 3});
         Ref<IntList> other = data;
         data->clear();
         say(other->repr());
         data = ints({1, 2, 3});
         other = data;
         data = make<IntList>();
         say(other->repr());
         say(data->repr());
       }});
  run({"s000_p06_01_getrefcount_reading", "a call adds exactly one reference", "2, 7", [] {
         auto x = ints({1, 2, 3});
         say(str(refgc::getrefcount(x)));
         Ref<IntList> y = x;
         say(str(refgc::getrefcount(x)));
         auto hold = [](Ref<IntList> obj) { say(str(refgc::getrefcount(obj))); };
         hold(x);
         say(str(refgc::getrefcount(x)));
       }});
  run({"s000_p06_02_refcount_contributions", "every slot counts once", "4, 6", [] {
         auto lst = make<IntList>();
         say(str(refgc::getrefcount(lst)));
         auto container = make<List<IntList>>();
         container->append(lst);
         say(str(refgc::getrefcount(lst)));
         auto d = make<refgc::Dict<std::string, IntList>>();
         d->set("key", lst);
         say(str(refgc::getrefcount(lst)));
         Ref<IntList> alias = lst;
         say(str(refgc::getrefcount(lst)));
         container->pop();
         say(str(refgc::getrefcount(lst)));
         d->clear();
         say(str(refgc::getrefcount(lst)));
         alias.reset();
         say(str(refgc::getrefcount(lst)));
       }});
  run({"s000_p09_02_refcount_per_object", "nested records: one reference per edge", "33", [] {
         using Record = refgc::Dict<std::string, refgc::Object>;
         auto alice = make<Record>();
         alice->set("name", make<refgc::Str>("Alice"));
         alice->set("scores", ints({85, 90, 88}));
         auto users = make<List<Record>>();
         users->append(alice);
         auto data = make<Record>();
         data->set("users", users);
         data->set("config", make<Record>());
         say(str(refgc::getrefcount(alice)));
         Ref<refgc::Object> scores = alice->get("scores");
         say(str(refgc::getrefcount(scores)));
       }});
}

struct Expensive : refgc::Object {
  std::string data;
  explicit Expensive(std::string d) : data(std::move(d)) {}
  void finalize() override { say("ExpensiveObject deallocated: " + data); }
};

struct Heavy : refgc::Object {
  std::string data;
  explicit Heavy(std::string d) : data(std::move(d)) {}
  void finalize() override { say("Deleting " + data); }
};

struct User : refgc::Object {
  int id;
  std::string name;
  User(int i, std::string n) : id(i), name(std::move(n)) {}
  void finalize() override { say("User " + name + " deleted from memory"); }
};

struct TreeNode : refgc::Object {
  std::string value;
  std::vector<Ref<TreeNode>> children;
  refgc::WeakRef<TreeNode> parent;  // weak: no cycle
  explicit TreeNode(std::string v) : value(std::move(v)) {}
  void trace(refgc::Tracer& t) override { t(children); }
};

std::string object_repr(const refgc::Object& o, const char* python_type) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "<__main__.%s object at %p>", python_type,
                static_cast<const void*>(&o));
  return buf;
}

void part7() {
  part("Part 7: weak references",
       "refgc::WeakRef<T> w(obj) does not keep obj alive; w() gives a new strong Ref or null.\n"
       "Weak containers drop their entries the moment the referent dies.");
  run({"s000_p07_01_weakref_basics__patched",
       "a weak reference does not keep its object",
       "47, 48, 49",
       [] {
         auto obj = make<Expensive>("important data");
         say("refcount after creation: " + str(refgc::getrefcount(obj) - 1));
         refgc::WeakRef<Expensive> weak(obj);
         say("Is alive: " + yes(static_cast<bool>(weak())));
         Ref<Expensive> retrieved = weak();
         say(retrieved->data);
         retrieved.reset();
         say("Is alive: " + yes(static_cast<bool>(weak())));
         obj.reset();
         say("Is alive: " + yes(static_cast<bool>(weak())));
         say(weak() ? "<object>" : "None");
       },
       {},
       "ERR-08: the tutorial's import_sys() does not exist; patched, every line matches."});
  run({"s002_21_weakref_heavy",
       "the object dies at once; the weak reference yields None",
       "49",
       [] {
         auto obj = make<Heavy>("important");
         say(obj->data);
         refgc::WeakRef<Heavy> weak(obj);
         say(object_repr(*weak(), "HeavyObject"));
         obj.reset();
         say(weak() ? "<object>" : "None");
       },
       {1}});
  run({"s000_p07_02_weakvaluedict_cache",
       "a cache that does not keep its values",
       "55",
       [] {
         struct BigModel : refgc::Object {
           std::string name;
           explicit BigModel(std::string n) : name(std::move(n)) {}
         };
         refgc::WeakValueDictionary<std::string, BigModel> cache;
         auto model_a = make<BigModel>("resnet50");
         cache.set("resnet50", model_a);
         say(object_repr(*cache.get("resnet50"), "BigModel"));
         model_a.reset();  // gone now: the gc.collect() of the tutorial is not needed (ERR-09)
         say(cache.get("resnet50") ? "<object>" : "None");
       },
       {0},
       "ERR-09: the entry is gone at `del model_a`, by refcounting; no collection is needed."});
  run({"s002_22_weakvaluedict_user", "WeakValueDictionary entries vanish with the value", "55", [] {
         refgc::WeakValueDictionary<int, User> cache;
         auto user = make<User>(1, "Alice");
         cache.set(1, user);
         say(cache.at(1)->name);
         user.reset();
         say(yes(cache.contains(1)));
       }});
  run({"s000_p07_03_tree_weak_parent",
       "a tree with weak parent pointers",
       "53",
       [] {
         auto root = make<TreeNode>("root");
         auto child = make<TreeNode>("child");
         root->children.push_back(child);
         child->parent = refgc::WeakRef<TreeNode>(root);
         say(child->parent()->value);
         root.reset();  // only the root dies; child->parent() is now null (ERR-10)
       },
       {},
       "ERR-10: only the root dies at `del root`; the child lives on with a dead parent link."});
}

// ---------------------------------------------------------------------------
// Part 8: memory leaks -- caches, closures, finalizers in cycles, find_leaks.
// ---------------------------------------------------------------------------

struct Big : refgc::Object {
  static constexpr const char* refgc_type_name = "Big";
};

// A list subclass, as the probe's `class BigList(list)`: only so that a weak
// reference can watch it (List itself refuses weak references, as list does).
struct BigList : List<Int> {
  static constexpr const char* refgc_type_name = "BigList";
  using List<Int>::List;
};
using Adder = refgc::Function<std::int64_t(std::int64_t)>;

std::int64_t sum(const BigList& xs) {
  std::int64_t total = 0;
  for (const auto& x : xs) total += x->value();
  return total;
}

Ref<BigList> big_list(std::int64_t n) {
  std::vector<Ref<Int>> items;
  items.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) items.push_back(make<Int>(i));
  return make<BigList>(std::move(items));
}

// def make_adder(large_data): total = sum(large_data); return lambda x: x + total
// A refgc::Function holds exactly the objects it is given: here `total` only.
Adder make_adder(const Ref<BigList>& large_data) {
  return Adder([](Int& total, std::int64_t x) { return x + total.value(); },
               make<Int>(sum(*large_data)));
}
// The variant whose body uses large_data: now the closure holds the list too.
Adder make_adder_capturing(const Ref<BigList>& large_data) {
  return Adder(
      [](BigList& data, Int& total, std::int64_t x) {
        return x + total.value() + 0 * static_cast<std::int64_t>(data.size());
      },
      large_data, make<Int>(sum(*large_data)));
}

// What a closure holds: the types of the objects its Function traces.
std::string captured_types(const Adder& f) {
  std::string s = "[";
  for (const auto& o : refgc::gc::get_referents(f.object())) {
    if (s.size() > 1) s += ", ";
    s += "'" + refgc::diag::type_name(*o) + "'";
  }
  return s + "]";
}

struct Listener : refgc::Object {
  static constexpr const char* refgc_type_name = "Listener";
  Ref<refgc::Dict<std::string, refgc::Object>> state =
      make<refgc::Dict<std::string, refgc::Object>>();
  void trace(refgc::Tracer& t) override { t(state); }
};

void part8() {
  part("Part 8: memory leaks -- what keeps objects alive",
       "A leak in a refcounted program is an object something still holds: a cache that\n"
       "only grows, a closure that captured too much, a registry nobody cleans. refgc's\n"
       "LruCache bounds a cache; a Function holds exactly the objects it is given;\n"
       "refgc::diag counts and explains what is alive.");
  run({"s000_p08_01_unbounded_cache_lru__probe",
       "an unbounded dict keeps everything; an LRU cache evicts",
       "69, 70",
       [] {
         std::vector<int> calls;
         auto compute = [&calls](int key) {  // the document's undefined compute()
           calls.push_back(key);
           return make<Int>(key * 2);
         };
         auto result_cache = make<refgc::Dict<int, Int>>();  // _RESULT_CACHE = {}
         auto get_result = [&](int key) {
           if (!result_cache->contains(key)) result_cache->set(key, compute(key));
           return result_cache->get(key);
         };
         for (int k = 0; k < 5000; ++k) get_result(k);
         say("unbounded dict cache after 5000 distinct keys: " + str(result_cache->size()) +
             " entries");
         // @lru_cache(maxsize=1000) def get_result_safe(key): return compute(key)
         auto lru = make<refgc::LruCache<int, Int>>(1000);
         auto get_result_safe = [&](int key) { return lru->get_or_compute(key, compute); };
         for (int k = 0; k < 1000; ++k) get_result_safe(k);
         say("lru after 1000 keys: " + lru->cache_info().repr());
         get_result_safe(0);  // touch key 0: most recently used
         calls.clear();
         get_result_safe(1000);  // the 1001st key evicts the least recently used (key 1)
         say("lru after key 1000: " + lru->cache_info().repr());
         calls.clear();
         get_result_safe(0);
         say("key 0 recomputed? " + yes(!calls.empty()) + " (touched recently, kept)");
         calls.clear();
         get_result_safe(1);
         say("key 1 recomputed? " + yes(!calls.empty()) + " (least recently used, evicted)");
         // The cache holds strong references to its results.
         auto wrap_cache = make<refgc::LruCache<int, Big>>(2);
         auto wrap = [&](int x) {
           return wrap_cache->get_or_compute(x, [](int) { return make<Big>(); });
         };
         refgc::WeakRef<Big> r(wrap(1));
         say("result alive while cached: " + yes(alive(r)));
         wrap(2);
         picture("cache-lru-full", {{"wrap_cache", wrap_cache}});
         wrap(3);
         say("result alive after eviction: " + yes(alive(r)));
       },
       {},
       "ERR-11: the snippet never defines compute() and never calls anything (it prints nothing);\n"
       "         this is the seeds' probe of it. The cache never exceeds maxsize: the 1001st key\n"
       "         evicts the least recently used entry, and the evicted value dies at once."});
  run({"s000_p08_02_closure_large_objects__probe",
       "a closure keeps only what it uses",
       "14, 34, 65",
       [] {
         auto big = big_list(1'000'000);
         refgc::WeakRef<BigList> w(big);
         Adder adder = make_adder(big);
         say("make_adder: captures " + str(refgc::gc::get_referents(adder.object()).size()) +
             " object ; closure cell contents = " + captured_types(adder));
         say("sys.getrefcount(big) before del = " + str(refgc::getrefcount(big)) +
             " (name + arg only: closure holds nothing)");
         big.reset();
         say("after del big: BigList alive? " + yes(alive(w)) +
             " ; adder(1) = " + std::to_string(adder(1)));
         big = big_list(1'000'000);
         w = refgc::WeakRef<BigList>(big);
         Adder adder2 = make_adder_capturing(big);
         say("capturing variant: closure cell contents = " + captured_types(adder2));
         big.reset();
         say("after del big: BigList alive? " + yes(alive(w)) + " (kept by the closure cell)");
         adder2 = Adder();
         say("after del adder2: BigList alive? " + yes(alive(w)));
         // list(range(10_000_000)): the pointer array alone, then the ints it points to.
         auto real = make<BigList>(std::vector<Ref<Int>>(10'000'000));
         const std::size_t one_int = refgc::getsizeof(make<Int>(1000));
         say("doc says '~80 MB': sys.getsizeof(list(range(10_000_000))) = " +
             str(refgc::getsizeof(real)) +
             " bytes (pointer array only); the 9,999,744 int objects outside the small-int "
             "cache add ~ " +
             str(9'999'744 * one_int / 1'000'000) + " MB more");
       },
       {0, 3, 6},
       "ERR-12: only `total` is captured; the list dies at `del big_list`. Lines vary by nature:\n"
       "         C++ captures have no names (Python prints co_freevars; refgc lists the captured\n"
       "         objects' types, found with gc::get_referents), and sizes are refgc's: a List is\n"
       "         40 bytes + 8 per slot (CPython 56 + 8), an Int 24 bytes (CPython 28)."});
  run({"s000_p08_04_find_leaks__patched", "find_leaks(): a census of tracked objects by type",
       "62, 68",
       [] {
         // A planted leak: a registry of listeners that nobody unsubscribes.
         refgc::diag::LeakCheck scope;
         auto registry = make<List<Listener>>();
         for (int i = 0; i < 50; ++i) registry->append(make<Listener>());
         const refgc::diag::LeakReport report = scope.check(0);
         // find_leaks(): one collect() is enough (it collects every generation, ERR-13).
         refgc::gc::collect();
         std::ostringstream census;
         refgc::diag::print_most_common_types(census, 20);
         std::istringstream in(census.str());
         for (std::string line; std::getline(in, line);) say(line);
         auto chain = refgc::diag::find_backref_chain((*registry)[0]);
         aside("who holds a Listener (objgraph.find_backref_chain -> diag::find_backref_chain):");
         aside("  " + refgc::diag::describe_chain(chain));
         aside("diag::LeakCheck around the same code: " + str(report.size()) +
               " objects made in the scope are still alive after a full collection:");
         for (const auto& row : report.by_type) aside("  " + str(row.count) + " " + row.type);
       },
       lines(0, 19),
       "ERR-13: get_objects() lists tracked objects only, and one collect() cleans every\n"
       "         generation. Every line varies by nature: CPython counts the whole interpreter\n"
       "         (2,363 functions of the standard library); refgc's heap holds only what this\n"
       "         program made -- here a planted leak of 50 Listeners, each with a state Dict."});
}

// ---------------------------------------------------------------------------
// Parts 9-11: reference graphs, slices and views, debugging with gc.
// ---------------------------------------------------------------------------

using Record = refgc::Dict<std::string, refgc::Object>;

Ref<Record> user_record(const char* name, std::initializer_list<int> scores) {
  auto r = make<Record>();
  r->set("name", make<refgc::Str>(name));
  r->set("scores", ints(scores));
  return r;
}

void part9() {
  part("Part 9: reference graphs of complex structures",
       "Every dict value and list slot is one edge of the graph: one reference. The\n"
       "seeds' ASCII drawings of this graph were lost (ERR-14); refgc draws it live.");
  run({"s000_p09_01_reference_graph_data",
       "a nested structure is a tree of references",
       "33",
       [] {
         // data = {"users": [{"name": "Alice", ...}, {"name": "Bob", ...}],
         //         "config": {"version": 2, "active": True}}
         auto users = make<List<Record>>();
         users->append(user_record("Alice", {85, 90, 88}));
         users->append(user_record("Bob", {72, 68, 75}));
         auto config = make<Record>();
         config->set("version", make<Int>(2));
         config->set("active", make<Bool>(true));
         auto data = make<Record>();
         data->set("users", users);
         data->set("config", config);
         users.reset();
         config.reset();
         picture("tree-nested-data", {{"data", data}});
       },
       {},
       "ERR-14: the snippet prints nothing and the tutorial's drawing of its graph was lost;\n"
       "         above is the graph of the live objects (children in trace order: a List reports\n"
       "         its elements last to first, like CPython). Every object but `data` has refcount\n"
       "         1: it is a tree, so `del data` frees all of it by refcounting alone."});
}

// range(n) and a generator expression over it: (x * x for x in source).
struct Range : refgc::Object {
  static constexpr const char* refgc_type_name = "range";
  std::int64_t stop;
  explicit Range(std::int64_t n) : stop(n) {}
};
struct SquaresGenerator : refgc::Object {
  static constexpr const char* refgc_type_name = "generator";
  Ref<Range> source;        // a generator references its source...
  std::int64_t next_x = 0;  // ...and keeps only its position
  explicit SquaresGenerator(Ref<Range> r) : source(std::move(r)) {}
  void trace(refgc::Tracer& t) override { t(source); }
  Ref<Int> next() {
    if (next_x >= source->stop) return nullptr;
    const std::int64_t x = next_x++;
    return make<Int>(x * x);
  }
};

void part10() {
  part("Part 10: slices create new objects; generators do not copy; views share",
       "List::slice() is a new list holding new references to the same elements (shallow).\n"
       "A Buffer view (numpy's view, Python's memoryview) shares the memory itself and\n"
       "keeps its base alive.");
  run({"s000_p10_01_slices_vs_generators",
       "a slice is a new list that shares its elements",
       "30, 32, 65",
       [] {
         auto original = ints({1, 2, 3, 4, 5});
         auto sliced = original->slice(1, 4);
         say(yes(refgc::is(original, sliced)));
         say(yes(refgc::id(original) == refgc::id(sliced)));
         say(yes(refgc::is((*original)[1], (*sliced)[0])));  // no small-int cache in refgc
         (*sliced)[0] = make<Int>(99);
         say(original->repr());
         say(sliced->repr());
         auto original_data = make<Range>(1'000'000);
         auto gen = make<SquaresGenerator>(original_data);
         say(str(refgc::getsizeof(gen)));
         auto lst = make<List<Int>>();  // [x * x for x in original_data]
         auto gen2 = make<SquaresGenerator>(original_data);
         while (auto v = gen2->next()) lst->append(std::move(v));
         say(str(refgc::getsizeof(lst)));
         std::size_t elements = 0;
         for (const auto& v : *lst) elements += refgc::getsizeof(v);
         aside("getsizeof is shallow: the " + str(lst->size()) + " Int objects add " +
               str(elements) + " bytes more");
       },
       {5, 6},
       "ERR-15: `original[1] is sliced[0]` holds because a slice copies references (refgc has\n"
       "         no small-int cache), and the generator IS a new object, only a small one. Sizes\n"
       "         vary by nature: refgc's generator is 32 bytes (header, source, position; "
       "CPython's\n"
       "         generator with its frame is 208), a List is 40 bytes + 8 per slot of capacity."});
  run({"s000_p10_02_numpy_views__stdlib_probe",
       "a view shares memory with its base and keeps it alive",
       "30, 31",
       [] {
         using Array = refgc::BufferOf<std::int64_t>;
         auto arr = make<Array>(std::vector<std::int64_t>{1, 2, 3, 4, 5});
         auto view = arr->view(1, 4);
         (*view)[0] = 99;
         say("array after view[0] = 99: " + arr->repr() + " (modified through the view)");
         say("view.obj is arr -> " + yes(refgc::is(view->base(), arr)) +
             " ; view.tolist() = " + view->repr());
         try {
           arr->append(6);
           say("resizing the base while a view exists -> no error");
         } catch (const refgc::BufferError& e) {
           say(std::string("resizing the base while a view exists -> BufferError: ") + e.what());
         }
         const std::size_t rc_before = refgc::getrefcount(arr);
         auto v2 = arr->view();
         say("a new view adds a strong reference to the base: getrefcount " + str(rc_before) +
             " -> " + str(refgc::getrefcount(arr)));
         v2->release();
         auto base = make<refgc::Buffer>("abcdef");
         refgc::WeakRef<refgc::Buffer> w(base);
         auto mv = base->view(2, 4);
         base.reset();
         say("base deleted by name; still alive via the view? " + yes(alive(w)) +
             " ; bytes(mv) = " + mv->repr());
         mv->release();
         mv.reset();
         say("after releasing the view: base alive? " + yes(alive(w)));
         say("explicit copy: " + make<refgc::Buffer>("xyz")->view(0, 2)->copy()->repr());
         auto lst = ints({1, 2, 3, 4, 5});
         auto sliced = lst->slice(1, 4);
         (*sliced)[0] = make<Int>(99);
         say("list slice is a copy: lst = " + lst->repr());
         // The numpy snippet itself: np.shares_memory(arr, view); arr; lst.
         auto arr2 = make<Array>(std::vector<std::int64_t>{1, 2, 3, 4, 5});
         auto view2 = arr2->view(1, 4);
         aside("the numpy snippet on refgc: shares_memory(arr, view) = " +
               yes(refgc::shares_memory(arr2, view2)));
         (*view2)[0] = 99;
         aside("  arr after view[0] = 99: " + arr2->repr() + " ; view.copy() shares memory? " +
               yes(refgc::shares_memory(arr2, view2->copy())));
       },
       {},
       "the numpy snippet's own recorded run is `ModuleNotFoundError: No module named 'numpy'`\n"
       "         (L10); this is the seeds' standard-library stand-in (memoryview), which refgc's\n"
       "         Buffer and BufferView model line for line. With Debian's numpy the snippet "
       "prints\n"
       "         True / [ 1 99  3  4  5] / [1, 2, 3, 4, 5]. ERR-16: list slices are shallow "
       "copies."});
}

// A module's globals: Python's module dict, which is what gc.get_referrers
// finds holding a module-level variable.
Ref<Record> make_module(const char* name) {
  auto g = make<Record>();
  g->set("__name__", make<refgc::Str>(name));
  return g;
}

// def find_referrers(obj): the parameter is one more reference (behaviour 60).
void find_referrers(Ref<refgc::Object> obj) {
  refgc::gc::collect();
  const auto referrers = refgc::gc::get_referrers(obj);
  say("Object: " + obj->repr());
  say("Reference count: " + str(refgc::getrefcount(obj) - 1));
  say("Referrers (" + str(referrers.size()) + "):");
  for (const auto& ref : referrers)
    say(" type=" + refgc::diag::type_name(*ref) + ": " + ref->repr().substr(0, 100));
}

// The gc probe's Node: a class instance with a repr.
struct GcNode : refgc::Object {
  static constexpr const char* refgc_type_name = "Node";
  std::string name;
  Ref<GcNode> p;
  explicit GcNode(std::string n) : name(std::move(n)) {}
  void trace(refgc::Tracer& t) override { t(p); }
  std::string repr() const override { return "Node(" + name + ")"; }
};

void make_pair_cycle(const char* a_name, const char* b_name) {
  auto a = make<GcNode>(a_name), b = make<GcNode>(b_name);
  a->p = b;
  b->p = a;
}

std::string garbage_repr() {
  std::string s = "[";
  for (const auto& o : refgc::gc::garbage()) s += (s.size() > 1 ? ", " : "") + o->repr();
  return s + "]";
}

void part11() {
  part("Part 11: debugging with gc -- referrers and generations",
       "gc::get_referrers(x) lists the tracked containers holding x (never stack variables,\n"
       "as Python never lists frame locals); gc::get_objects(g) lists generation g.");
  run({"s000_p11_01_find_referrers",
       "who holds this dict?",
       "43, 60, 61",
       [] {
         auto module = make_module("__main__");
         // large_dict = {"data": list(range(10_000))}: a module-level name.
         auto data = make<IntList>();
         for (int i = 0; i < 10'000; ++i) data->append(make<Int>(i));
         auto large_dict = make<Record>();
         large_dict->set("data", std::move(data));
         module->set("large_dict", std::move(large_dict));
         find_referrers(module->at("large_dict"));
       },
       {3},
       "ERR-17: `Reference count: 2` counts find_referrers' own parameter; the one referrer is\n"
       "         the module's globals dict. Its repr varies by nature: CPython's module dict "
       "holds\n"
       "         the interpreter's __doc__, __loader__, ...; refgc's stand-in is a Dict (refgc's\n"
       "         name for dict) holding __name__ and large_dict."});
  run({"s000_p11_02_gc_generations",
       "objects per generation; the garbage list",
       "40, 62, 63",
       [] {
         refgc::gc::collect();
         // A program's startup: long-lived objects, promoted to the oldest generation...
         std::vector<Ref<List<refgc::Object>>> long_lived;
         for (int i = 0; i < 300; ++i) long_lived.push_back(make<List<refgc::Object>>());
         refgc::gc::collect();
         // ...then young objects made since.
         std::vector<Ref<List<refgc::Object>>> young;
         for (int i = 0; i < 20; ++i) young.push_back(make<List<refgc::Object>>());
         say("Gen 0: " + str(refgc::gc::get_objects(0).size()) + " objects");
         say("Gen 1: " + str(refgc::gc::get_objects(1).size()) + " objects");
         say("Gen 2: " + str(refgc::gc::get_objects(2).size()) + " objects");
         refgc::gc::collect();
         say("Garbage: " + str(refgc::gc::garbage().size()) + " uncollectable objects");
       },
       {0, 2},
       "ERR-18: DEBUG_LEAK also saves every unreachable object in gc.garbage (it leaks on\n"
       "         purpose). The generation sizes vary by nature: CPython's count the interpreter's\n"
       "         own objects (10,919 in generation 2 at startup); refgc's heap holds the 300\n"
       "         long-lived and 20 young lists this step made, plus what the tour keeps alive."});
  run({"s000_p11_02_gc_generations__probe",
       "the debug flags: SAVEALL and LEAK keep garbage",
       "63",
       [] {
         namespace gc = refgc::gc;
         const gc::DebugSink previous = gc::set_debug_sink([](std::string_view line) {
           say(std::string(line));  // CPython writes these to stderr
         });
         gc::collect();
         gc::set_debug(gc::DEBUG_SAVEALL);
         make_pair_cycle("a", "b");
         const std::size_t n = gc::collect();
         say("DEBUG_SAVEALL: collect -> " + str(n) + " ; gc.garbage now holds " + garbage_repr() +
             " (kept alive, not freed)");
         gc::garbage().clear();
         gc::set_debug(0);
         gc::collect();
         say("DEBUG_LEAK = " + std::to_string(gc::DEBUG_LEAK) +
             " = COLLECTABLE|UNCOLLECTABLE|SAVEALL: " +
             yes(gc::DEBUG_LEAK ==
                 (gc::DEBUG_COLLECTABLE | gc::DEBUG_UNCOLLECTABLE | gc::DEBUG_SAVEALL)));
         gc::set_debug(gc::DEBUG_LEAK);
         make_pair_cycle("c", "d");
         gc::collect();
         say("DEBUG_LEAK prints 'gc: collectable ...' (above, stderr) and also SAVES them: " +
             garbage_repr());
         gc::set_debug(0);
         gc::garbage().clear();
         gc::set_debug(gc::DEBUG_STATS);
         gc::collect(0);
         gc::set_debug(0);
         bool atoms = false;
         for (const auto& o : gc::get_objects()) {
           const refgc::Object* p = o.get();
           atoms = atoms || dynamic_cast<const Int*>(p) != nullptr ||
                   dynamic_cast<const refgc::Str*>(p) != nullptr;
         }
         say("any int or str among gc.get_objects()? -> " + yes(atoms) +
             " (only GC-tracked containers are listed)");
         gc::set_debug_sink(previous);
         gc::collect();
       },
       {2, 3, 6, 8},
       "ERR-18: DEBUG_LEAK includes DEBUG_SAVEALL: every unreachable object is kept in\n"
       "         gc::garbage() instead of freed. Addresses, the whole heap's generation sizes\n"
       "         and the elapsed time vary by nature."});
}

// ---------------------------------------------------------------------------
// The case study: practice challenges pc_01..pc_06.
// ---------------------------------------------------------------------------

// The document's SessionStore: a dict of sessions that only grows.
struct SessionStore : refgc::Object {
  static constexpr const char* refgc_type_name = "SessionStore";
  Ref<refgc::Dict<std::string, Record>> sessions = make<refgc::Dict<std::string, Record>>();
  void trace(refgc::Tracer& t) override { t(sessions); }
  void create_session(const std::string& id, Ref<Record> user_data) {
    sessions->set(id, std::move(user_data));
  }
  Ref<Record> get_session(const std::string& id) const { return sessions->get(id); }
  void delete_session(const std::string& id) {
    if (sessions->contains(id)) sessions->erase(id);  // pop(id, None)
  }
};

// The advanced challenge's TrackedObject: a live-instance registry per class
// (each subclass its own, like __init_subclass__), held through weak
// references so that tracking never keeps an instance alive.
struct TrackedObject : refgc::Object {
  static std::map<std::type_index, refgc::WeakSet<refgc::Object>>& registries() {
    static std::map<std::type_index, refgc::WeakSet<refgc::Object>> r;
    return r;
  }
  template <class T>
  static std::size_t live_count() {
    auto it = registries().find(typeid(T));
    return it == registries().end() ? 0 : it->second.size();
  }
  // check_for_leaks(): collect, and report how many died only in the collector.
  template <class T>
  static std::string check_for_leaks() {
    const std::size_t before = live_count<T>();
    refgc::gc::collect();
    const std::size_t after = live_count<T>();
    return "{'before_gc': " + str(before) + ", 'after_gc': " + str(after) +
           ", 'leaked': " + str(before - after) + "}";
  }
};
// Node(value): constructs and registers, as TrackedObject.__init__ does.
template <class T, class... Args>
Ref<T> make_tracked(Args&&... args) {
  Ref<T> obj = make<T>(std::forward<Args>(args)...);
  TrackedObject::registries()[typeid(T)].add(obj);
  return obj;
}
struct TNode : TrackedObject {
  static constexpr const char* refgc_type_name = "Node";
  int value;
  Ref<TNode> next;
  explicit TNode(int v) : value(v) {}
  void trace(refgc::Tracer& t) override { t(next); }
};

using namespace std::chrono_literals;

void case_study() {
  part("Case study: the practice challenges",
       "Tracing counts by hand, a session store that leaks, two fixes (sliding and fixed\n"
       "expiry: refgc::TtlCache), and a live-instance tracker that finds cycle leaks.");
  run({"s000_pc_01_trace_refcount__probe",
       "trace the reference count, line by line",
       "4, 6, 60",
       [] {
         auto a = ints({1, 2, 3});
         IntList* const A = a.get();
         say("Line 1 " + str(A->refcount()));
         Ref<IntList> b = a;
         say("Line 2 " + str(A->refcount()));
         auto c = make<List<IntList>>(std::initializer_list<Ref<IntList>>{a, a});
         say("Line 3 " + str(A->refcount()));
         b.reset();
         say("Line 4 " + str(A->refcount()));
         c->pop();  // the popped reference is discarded
         say("Line 5 " + str(A->refcount()));
         a.reset();
         say("Line 6 " + str(A->refcount()));
         say("sys.getrefcount(c[0]) = " + str(refgc::getrefcount((*c)[0])));
       },
       {},
       "the exercise prints nothing; this is the seeds' probe of it. The solution is right."});
  run({"s000_pc_02_session_store_leak__probe",
       "an unbounded session store keeps 90,000 sessions",
       "69",
       [] {
         auto store = make<SessionStore>();
         // "x" * 1000 is folded into one constant of the compiled code: one object.
         auto constant = make<refgc::Str>(std::string(1000, 'x'));
         for (int i = 0; i < 100'000; ++i) {
           auto user_data = make<Record>();
           user_data->set("user_id", make<Int>(i));
           user_data->set("data", constant);
           store->create_session("session_" + std::to_string(i), std::move(user_data));
         }
         for (int i = 0; i < 100'000; i += 10)
           store->delete_session("session_" + std::to_string(i));
         say("sessions remaining: " + str(store->sessions->size()));
         auto s1 = store->get_session("session_1")->get("data");
         auto s2 = store->get_session("session_99999")->get("data");
         say("all 'data' strings are ONE object (\"x\" * 1000 is constant-folded): " +
             yes(refgc::is(s1, s2)) + " ; its refcount: " + str(refgc::getrefcount(s1)));
         std::size_t retained = refgc::getsizeof(store) + refgc::getsizeof(store->sessions) +
                                refgc::getsizeof(constant);
         for (const auto& [id, session] : *store->sessions) {
           (void)id;  // a short key lives inside the Dict's entry (counted with the Dict)
           retained += refgc::getsizeof(session) + refgc::getsizeof(session->get("user_id"));
         }
         char buf[160];
         std::snprintf(buf, sizeof buf,
                       "retained by the leak: ~%.1f MB (not ~90 MB of strings: the 1000-char "
                       "string is shared)",
                       static_cast<double>(retained) / 1e6);
         say(buf);
       },
       {1, 2},
       "ERR-23: 90,000 sessions remain, but they share ONE 1000-character string. refgc's count\n"
       "         is 90,000 sessions + the constant + s1 + s2 + the argument; CPython's is one\n"
       "         higher (the interpreter itself holds the folded constant twice). The size is\n"
       "         refgc's shallow getsizeof total (CPython measures it with tracemalloc, which\n"
       "         refgc does not have: behaviour 67), so it varies by nature."});
  run({"s000_pc_03_ttl_session_store__probe",
       "the fix: sliding expiry, lazy removal, periodic sweeps",
       "71, 73",
       [] {
         std::chrono::milliseconds now{0};  // an injected clock, so the run is exact
         using Store = refgc::TtlCache<std::string, Record>;
         auto store =
             make<Store>(refgc::unbounded, 300ms, refgc::Expiry::sliding, [&] { return now; });
         auto user = [](int u) {
           auto d = make<Record>();
           d->set("u", make<Int>(u));
           return d;
         };
         store->put("a", user(1));
         store->put("b", user(2));
         store->put("c", user(3));
         say("len after create: " + str(store->size()) + " ; get a: " + store->get("a")->repr());
         picture("cache-ttl-sessions", {{"store", store}});
         now = 150ms;
         store->get("a");  // a read extends a's life (sliding expiry)
         now = 350ms;
         auto b = store->get("b");
         say("after 0.35 s: get b -> " + std::string(b ? b->repr() : "None") +
             " (lazily expired on access); len: " + str(store->size()));
         // The background cleanup: store->start_sweeper(200ms, log) runs exactly this
         // under the heap lock; the tour calls it at the sweep instants (0.4 s, 0.6 s).
         auto sweep = [&] {
           if (std::size_t n = store->expire()) say("Evicted " + str(n) + " expired sessions");
         };
         now = 400ms;
         sweep();
         now = 600ms;
         sweep();
         now = 850ms;
         auto a = store->get("a");
         say("after background cleanup: len: " + str(store->size()) + " ; get a -> " +
             std::string(a ? a->repr() : "None"));
         say("note: a TtlCache entry keeps one deadline (no created_at); no weakref is needed");
       },
       {5},
       "ERR-24: the store's expiry is SLIDING (a read extends it), unlike cachetools' below.\n"
       "         The last line is each side's own remark on the snippet (Python's notes its "
       "unused\n"
       "         created_at and weakref). The sweeper thread takes the heap lock, like the GIL\n"
       "         (behaviour 73, docs/guide/caches.md)."});
  run({"s000_pc_04_cachetools_ttl", "cachetools' TTLCache: fixed expiry, bounded, LRU", "72",
       [] {
         std::chrono::seconds now{0};
         using Cache = refgc::TtlCache<std::string, Record>;
         auto cache = make<Cache>(2, 1800s, refgc::Expiry::fixed, [&] { return now; });
         auto user = [](int u) {
           auto d = make<Record>();
           d->set("u", make<Int>(u));
           return d;
         };
         cache->put("s1", user(1));
         now = 1000s;
         say("t=1000 s: get s1 -> " + cache->get("s1")->repr() + " (a read does not extend it)");
         now = 1800s;
         auto s1 = cache->get("s1");
         say("t=1800 s: get s1 -> " + std::string(s1 ? s1->repr() : "None") +
             " (invalid from exactly insert time + ttl)");
         cache->put("s2", user(2));
         cache->put("s3", user(3));
         cache->get("s2");
         cache->put("s4", user(4));
         std::string keys;
         for (const auto& k : cache->keys()) keys += (keys.empty() ? "'" : ", '") + k + "'";
         say("maxsize 2: put s2, s3, get s2, put s4 -> keys [" + keys +
             "] (s3, least recently "
             "used, evicted)");
         say(cache->cache_info().repr());
       },
       lines(0, 3),
       "L10: cachetools was not installed where the corpus was recorded, so CPython's run is an\n"
       "         ImportError and every line varies. refgc's TtlCache(maxsize, ttl, Expiry::fixed,\n"
       "         clock) has TTLCache's semantics (the seeds' debpkg probe, behaviour 72).\n"
       "         ERR-24: this is not equivalent to the sliding store above."});
  run({"s000_pc_05_tracked_object_skeleton__probe",
       "the skeleton's scenario on the solution",
       "59",
       [] {
         {
           auto n1 = make_tracked<TNode>(1);
           auto n2 = make_tracked<TNode>(2);
           n1->next = n2;
           say("TrackedObject.live_count() = " + str(TrackedObject::live_count<TrackedObject>()) +
               " (skeleton expects 2) ; Node.live_count() = " +
               str(TrackedObject::live_count<TNode>()));
           n1->next = n1;  // cycle! -- and n1 no longer holds n2
         }                 // del n1, del n2: n2 dies now; n1 is a self-loop
         say("after del, before gc: Node.live_count() = " +
             str(TrackedObject::live_count<TNode>()) +
             " (skeleton says 'may still report 2'; n2 was freed by refcounting, only n1's "
             "self-loop remains)");
         refgc::gc::collect();
         say("after gc.collect(): Node.live_count() = " + str(TrackedObject::live_count<TNode>()));
       },
       {},
       "ERR-25: the skeleton itself is not valid Python (IndentationError). Each subclass has its\n"
       "         own registry, so the base class counts 0; rebinding n1.next frees n2 at once."});
  run({"s000_pc_06_tracked_object_solution",
       "live counts through a WeakSet find cycle leaks",
       "36, 57, 59",
       [] {
         auto n1 = make_tracked<TNode>(1);
         auto n2 = make_tracked<TNode>(2);
         n1->next = n2;
         say("Live nodes: " + str(TrackedObject::live_count<TNode>()));
         n1.reset();
         n2.reset();
         refgc::gc::collect();
         say("Live nodes after del: " + str(TrackedObject::live_count<TNode>()));
         n1 = make_tracked<TNode>(10);
         n2 = make_tracked<TNode>(20);
         n1->next = n2;
         n2->next = n1;  // Cycle!
         n1.reset();
         n2.reset();
         say("");
         say("Leak report: " + TrackedObject::check_for_leaks<TNode>());
         say("Live nodes after GC: " + str(TrackedObject::live_count<TNode>()));
         auto a = make_tracked<TNode>(100);
         auto b = make_tracked<TNode>(200);
         auto c = make_tracked<TNode>(300);
         b->next = c;
         c->next = b;
         b.reset();
         c.reset();
         say("");
         say("After del b,c - live nodes: " + str(TrackedObject::live_count<TNode>()));
         refgc::gc::collect();
         say("After gc.collect() - live nodes: " + str(TrackedObject::live_count<TNode>()));
         a.reset();
         refgc::gc::collect();
         say("After del a, gc - live nodes: " + str(TrackedObject::live_count<TNode>()));
       },
       {},
       "ERR-26: the solution's Lock covers add() only; refgc's weak containers need none: their\n"
       "         removal callbacks run on the thread that holds the heap (docs/guide/caches.md)."});
  TrackedObject::registries().clear();
}

// ---------------------------------------------------------------------------
// Document 002: labels, mutable defaults, and the rest of its snippets.
// ---------------------------------------------------------------------------

using Names = List<refgc::Str>;
Ref<refgc::Str> name(const char* s) { return make<refgc::Str>(s); }

// A Python function with a default argument. The default is evaluated ONCE,
// when the function is defined, and stored on the function object: here, a
// refgc::Function that captures it. An empty Ref means "argument omitted".
using AddPassenger = refgc::Function<Ref<Names>(Ref<refgc::Str>, Ref<Names>)>;
AddPassenger define_add_passenger() {  // def add_passenger(passenger, manifest=[])
  return AddPassenger(
      [](Names& default_manifest, Ref<refgc::Str> passenger, Ref<Names> manifest) {
        if (!manifest) manifest = Ref<Names>(&default_manifest);  // the SAME list every call
        manifest->append(std::move(passenger));
        return manifest;
      },
      make<Names>());
}
// fn.__defaults__: the objects the function object holds.
template <class F>
std::string defaults(const F& fn) {
  std::string s = "(";
  for (const auto& d : refgc::gc::get_referents(fn.object())) s += d->repr() + ",";
  return s + ")";
}

struct User002 : refgc::Object {
  static constexpr const char* refgc_type_name = "User";
  int id;
  explicit User002(int i) : id(i) {}
};

struct Observer : refgc::Object {
  static constexpr const char* refgc_type_name = "Obs";
  std::string name;
  explicit Observer(std::string n) : name(std::move(n)) {}
  void update() { say("  update -> " + name); }
};
struct Subject : refgc::Object {
  std::vector<refgc::WeakRef<Observer>> observers;  // weak: observing never keeps alive
  void trace(refgc::Tracer& t) override { t(observers); }
  void attach(const Ref<Observer>& o) { observers.emplace_back(o); }
  void notify() {
    std::erase_if(observers, [](const refgc::WeakRef<Observer>& w) { return !w(); });
    for (const auto& w : observers)
      if (Ref<Observer> o = w()) o->update();
  }
};

// s002_16's classes.
struct Button : refgc::Object {
  static constexpr const char* refgc_type_name = "Button";
  refgc::Function<void()> click_handler;
  void trace(refgc::Tracer& t) override { t(click_handler); }
  void on_click(refgc::Function<void()> handler) { click_handler = std::move(handler); }
};
struct Parent : refgc::Object {
  static constexpr const char* refgc_type_name = "Parent";
  Ref<List<refgc::Object>> children = make<List<refgc::Object>>();
  void trace(refgc::Tracer& t) override { t(children); }
};
struct Child : refgc::Object {
  static constexpr const char* refgc_type_name = "Child";
  Ref<Parent> parent;
  void trace(refgc::Tracer& t) override { t(parent); }
};
struct ChildByName : refgc::Object {
  static constexpr const char* refgc_type_name = "Child";
  std::string parent_name;  // "store the name, not a reference"
  explicit ChildByName(std::string n) : parent_name(std::move(n)) {}
};
struct BinaryNode : refgc::Object {
  static constexpr const char* refgc_type_name = "TreeNode";
  int value;
  Ref<BinaryNode> parent, left, right;
  explicit BinaryNode(int v) : value(v) {}
  void trace(refgc::Tracer& t) override { t(parent, left, right); }
};

// Child(parent): stores the parent and appends itself to parent.children.
Ref<Child> make_child(const Ref<Parent>& p) {
  auto c = make<Child>();
  c->parent = p;
  p->children->append(c);
  return c;
}

Record* module_globals = nullptr;  // s002_16's module dict, for its module-level lambda

struct MortalBug : refgc::Object {
  static constexpr const char* refgc_type_name = "Mortal";
  std::string name;
  explicit MortalBug(std::string n) : name(std::move(n)) { say(name + " is born"); }
  // The document's __del__ uses an undefined name: in C++ that would not compile,
  // so the bug is modelled as a finalizer that throws.
  void finalize() override { throw std::runtime_error("name 'name' is not defined"); }
};

void document002() {
  part("Document 002: labels, mutable defaults, and why objects won't die",
       "The second tutorial's remaining snippets (its steps 11, 13, 14, 15, 17, 18, 21 and 22\n"
       "appeared above, next to the first tutorial's). Mutable default arguments (L3) are\n"
       "modelled by a refgc::Function whose default list is created once, at definition.");
  run({"s002_01_label_model", "b = a is a second label on one list", "24", [] {
         auto a = ints({1, 2, 3});
         Ref<IntList> b = a;
         b->append(make<Int>(4));
         say(a->repr());
       }});
  run({"s002_02_label_fragments",
       "the label picture",
       "24",
       [] {
         auto a = ints({1, 2, 3});
         Ref<IntList> b = a;
         aside("two labels, one object (refgc::diag::ascii_diagram):");
         aside_lines(refgc::diag::ascii_diagram({{"a", a}, {"b", b}}, 1));
       },
       {},
       "the fragments print nothing; the diagram is the document's labels-on-a-box picture."});
  run({"s002_03_id_proof",
       "aliases share an id; equal lists need not",
       "19, 20, 21",
       [] {
         auto a = ints({1, 2, 3});
         Ref<IntList> b = a;
         say(std::to_string(refgc::id(a)));
         say(std::to_string(refgc::id(b)));
         say(yes(refgc::is(a, b)));
         auto c = ints({1, 2, 3});
         say(std::to_string(refgc::id(c)));
         say(yes(refgc::is(a, c)));
         say(yes(*a == *c));
       },
       {0, 1, 3},
       "ERR-27: ids are addresses (they vary by nature); they are unique only among live "
       "objects."});
  run({"s002_04_immutability_rebind",
       "rebinding y leaves x alone",
       "29",
       [] {
         Ref<Int> x = make<Int>(5);
         Ref<Int> y = x;
         y = make<Int>(10);
         say(x->repr());
       },
       {},
       "ERR-41: rebinding behaves the same for mutable objects; the contrast is mutating an\n"
       "         object versus rebinding a name."});
  run({"s002_05_mutable_default", "a default list is shared by every call (L3)", "24", [] {
         AddPassenger add_passenger = define_add_passenger();
         auto flight1 = add_passenger(name("Alice"), nullptr);
         say(flight1->repr());
         auto flight2 = add_passenger(name("Bob"), nullptr);
         say(flight2->repr());
       }});
  run({"s002_06_defaults_proof", "__defaults__ changes between calls (L3)", "24", [] {
         AddPassenger add_passenger = define_add_passenger();
         say(defaults(add_passenger));
         add_passenger(name("Alice"), nullptr);
         say(defaults(add_passenger));
         add_passenger(name("Bob"), nullptr);
         say(defaults(add_passenger));
       }});
  run({"s002_07_execution_timeline",
       "definition time vs call time (L3)",
       "24",
       [] {
         AddPassenger add_passenger = define_add_passenger();  // definition: the list is made
         auto first = add_passenger(name("Alice"), nullptr);
         aside("after call 1 the default list is " + first->repr());
         auto second = add_passenger(name("Bob"), nullptr);
         aside("after call 2 it is " + second->repr() +
               "; both calls returned the same list: " + yes(refgc::is(first, second)));
       },
       {},
       "the timeline prints nothing; its comments are what refgc shows above."});
  run({"s002_08_none_sentinel_fix", "None as the default: a new list per call (L3)", "24", [] {
         AddPassenger add_passenger([](Ref<refgc::Str> passenger, Ref<Names> manifest) {
           if (!manifest) manifest = make<Names>();  // a NEW list for each call
           manifest->append(std::move(passenger));
           return manifest;
         });
         say(add_passenger(name("Alice"), nullptr)->repr());
         say(add_passenger(name("Bob"), nullptr)->repr());
       }});
  run({"s002_09_intentional_mutable_default__patched",
       "a cache living on the function object",
       "74",
       [] {
         using Cache = refgc::Dict<int, Int>;
         refgc::Function<Ref<Int>(int)> cache_result(
             [](Cache& cache, int key) -> Ref<Int> {
               if (!cache.contains(key)) {
                 say("Computing " + std::to_string(key) + "...");
                 cache.set(key, make<Int>(key * key));  // expensive_computation(key)
               }
               return cache.at(key);
             },
             make<Cache>());
         cache_result(5);
         cache_result(5);  // cached: no output
         say(defaults(cache_result));
       },
       {},
       "ERR-28: the original calls an undefined expensive_computation(); patched, as here."});
  run({"s002_12_getrefcount_trap__patched",
       "getrefcount's own reference",
       "2, 60",
       [] {
         auto x = make<List<refgc::Object>>();
         say(str(refgc::getrefcount(x)));
       },
       {},
       "ERR-31: the original forgot `import sys`."});
  run({"s002_14_mortal_del",
       "a finalizer that fails: reported, and the program goes on",
       "12, 16",
       [] {
         const refgc::UnraisableHook previous =
             refgc::set_unraisable_hook([](const refgc::Unraisable& u) {
               say(u.err_msg + ": " + u.object);
               say(u.type_name() + ": " + u.what());
             });
         say("Creating object...");
         auto x = make<MortalBug>("Socrates");
         say("Deleting reference...");
         x.reset();  // finalize() throws: the unraisable hook reports it
         say("After deletion");
         refgc::set_unraisable_hook(previous);
       },
       {3, 8},
       "ERR-32: the verbatim snippet's __del__ raises NameError. In C++ an undefined name does\n"
       "         not compile, so refgc's run uses a finalizer that throws: the exception goes to\n"
       "         the unraisable hook and `After deletion` still prints. The hook's lines vary by\n"
       "         nature (an address; a C++ exception type) and C++ keeps no traceback.",
       lines(4, 7)});
  run({"s002_16_realworld_cycles__probe",
       "which of these really are garbage cycles",
       "35, 36, 38",
       [] {
         refgc::gc::collect();
         // Module level: the lambda finds `button` through the module's globals.
         auto module = make_module("__main__");
         module_globals = module.get();
         auto button = make<Button>();
         module->set("button", button);
         button->on_click(refgc::Function<void()>(
             [] { say("Clicked " + refgc::diag::type_name(*module_globals->at("button"))); }));
         const auto cells = refgc::gc::get_referents(button->click_handler.object());
         say("module-level lambda: __closure__ = " + std::string(cells.empty() ? "None" : "cells") +
             " ; it reaches 'button' through its __globals__ (the module dict)");
         button.reset();
         const bool none_freed = refgc::gc::collect() == 0;
         if (none_freed && module->contains("button"))
           say("  so 'Handler holds button' is indirect; the module dict keeps both alive anyway");
         // Snippet: root = TreeNode(1); root.left = TreeNode(2); root.left.parent = root
         auto root = make<BinaryNode>(1);
         root->left = make<BinaryNode>(2);
         root->left->parent = root;
         refgc::gc::collect();
         // Inside a function the lambda captures the button itself: a real cycle.
         auto make_button = [] {
           auto b = make<Button>();
           b->on_click(refgc::Function<void()>([](Button&) { say("Clicked"); }, b));
           return refgc::WeakRef<Button>(b);
         };
         auto w = make_button();
         say("function-level lambda: closure cell -> true cycle; button alive after function "
             "returns: " +
             yes(alive(w)));
         {
           auto b = w();
           picture("cycle-button-handler", {{"button", b}});
         }
         // Each value is computed in its own statement: a Ref returned by w() lives to
         // the end of the full expression, and would keep the object alive through a
         // collect() in the same expression.
         std::size_t n = refgc::gc::collect();
         say("  gc.collect() -> " + str(n) + " ; alive: " + yes(alive(w)));
         auto p = make<Parent>();
         auto ch = make_child(p);
         refgc::WeakRef<Parent> wp(p);
         p.reset();
         ch.reset();
         bool before = alive(wp);
         n = refgc::gc::collect();
         say("Parent/Child: alive after del: " + yes(before) + " ; gc.collect() -> " + str(n) +
             " ; alive: " + yes(alive(wp)));
         auto r = make<BinaryNode>(1);
         r->left = make<BinaryNode>(2);
         r->left->parent = r;
         refgc::WeakRef<BinaryNode> wr(r);
         r.reset();
         before = alive(wr);
         n = refgc::gc::collect();
         say("TreeNode: alive after del root: " + yes(before) + " ; gc.collect() -> " + str(n) +
             " ; alive: " + yes(alive(wr)));
         root.reset();
         say("snippet's own root tree: gc.collect() -> " + str(refgc::gc::collect()));
         module_globals = nullptr;
       },
       {3},
       "ERR-34: at module level no garbage cycle forms. Inside a function the closure closes\n"
       "         one: CPython frees 4 objects (button, function, closure tuple, cell), refgc 2\n"
       "         (a Function is one object holding its captures), so that count varies."});
  run({"s002_19_cost_of_cycles__probe", "cycles cost collections; names do not", "39, 46, 64",
       [] {
         refgc::gc::enable();
         refgc::gc::set_threshold(700, 10, 10);
         auto run_kind = [](const char* kind, int n = 200'000) {
           refgc::gc::collect();
           auto collections = [] {
             std::size_t c = 0;
             for (const auto& s : refgc::gc::get_stats()) c += s.collections;
             return c;
           };
           const std::size_t before = collections();
           const auto t = std::chrono::steady_clock::now();
           for (int i = 0; i < n; ++i) {
             auto p = make<Parent>();
             if (kind[0] == 'c') {
               make_child(p);
             } else {
               p->children->append(make<ChildByName>("p"));
             }
           }
           const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t;
           const std::size_t automatic = collections() - before;
           const std::size_t left = refgc::gc::collect();
           char buf[160];
           std::snprintf(buf, sizeof buf,
                         "%-5s: %7.1f ms for 200k parent+child; automatic collections %zu; "
                         "garbage left for final gc.collect(): %zu",
                         kind, dt.count() * 1000, automatic, left);
           say(buf);
         };
         for (const char* kind : {"cycle", "name", "cycle", "name"}) run_kind(kind);
         refgc::gc::disable();
       },
       lines(0, 3),
       "the snippet only defines the two Child classes; this is the seeds' probe. Timings vary\n"
       "         by nature, and so do the counts: the cyclic version triggers a collection every\n"
       "         ~234 iterations in refgc (3 tracked objects each: Parent, its List, Child), the\n"
       "         acyclic one none (net allocations stay flat) -- the shape of behaviour 46."});
  run({"s002_20_unbounded_cache",
       "a cache that never forgets",
       "69",
       [] {
         auto cache = make<refgc::Dict<int, User002>>();
         auto load_from_database = [](int id) { return make<User002>(id); };
         auto get_user = [&](int user_id) {
           if (!cache->contains(user_id)) cache->set(user_id, load_from_database(user_id));
           return cache->get(user_id);
         };
         refgc::WeakRef<User002> first(get_user(0));
         for (int i = 1; i < 1000; ++i) get_user(i);
         aside("after 1000 distinct users: " + str(cache->size()) +
               " entries; the first User still alive: " + yes(alive(first)));
       },
       {},
       "the snippet prints nothing (load_from_database is undefined and it is never called)."});
  run({"s002_23_observer_weakref__probe",
       "observers held weakly are skipped and pruned",
       "54, 58",
       [] {
         auto s = make<Subject>();
         auto o1 = make<Observer>("o1"), o2 = make<Observer>("o2");
         s->attach(o1);
         s->attach(o2);
         say("notify with two observers:");
         s->notify();
         o2.reset();
         say("notify after del o2:");
         s->notify();
         say("dead refs pruned, observers list length: " + str(s->observers.size()));
         // b.handler is a temporary bound-method object; a Function made on the fly is too.
         struct Bound : refgc::Object {
           void handler() {}
         };
         auto b = make<Bound>();
         refgc::WeakRef<refgc::Object> r(
             refgc::Function<void()>([](Bound& self) { self.handler(); }, b).object());
         refgc::WeakMethod<Bound, void()> wm(b, &Bound::handler);
         say("pitfall: weakref to a bound method dies immediately: " + yes(!r()) +
             " ; weakref.WeakMethod keeps working: " + yes(static_cast<bool>(wm())));
       },
       {},
       "ERR-38: the snippet never imports weakref and is never exercised; this is the probe."});
  run({"s002_24_weakref_limits__patched",
       "int and str cannot be weakly referenced",
       "52",
       [] {
         try {
           refgc::WeakRef<refgc::Object> weak(Ref<refgc::Object>(make<Int>(42)));
         } catch (const std::invalid_argument&) {
           say("Can't weakref int");
         }
         try {
           refgc::WeakRef<refgc::Object> weak(Ref<refgc::Object>(make<refgc::Str>("hello")));
         } catch (const std::invalid_argument&) {
           say("Can't weakref str");
         }
       },
       {},
       "ERR-37: the original forgot `import weakref`. In refgc a type opts out with\n"
       "         `weakrefable = false`; WeakRef<Int> does not even compile."});
  run({"s002_25_checklist_classes__probe",
       "explicit cleanup: RAII is Python's `with`",
       "53, 55",
       [] {
         struct FileHandler {  // __enter__ is the constructor, __exit__ the destructor
           FileHandler() = default;
           FileHandler(const FileHandler&) = delete;
           FileHandler& operator=(const FileHandler&) = delete;
           ~FileHandler() { cleanup(); }
           void cleanup() { say("on exit -> cleanup() ran (the destructor is __exit__)"); }
         };
         {
           FileHandler fh;
           say("inside with");
         }
         // Use weak refs for caches: ResourceManager's WeakValueDictionary.
         refgc::WeakValueDictionary<std::string, Big> cache;
         auto resource = make<Big>();
         cache.set("r", resource);
         resource.reset();
         aside("ResourceManager's WeakValueDictionary after the resource dies: contains -> " +
               yes(cache.contains("r")));
       },
       {1},
       "ERR-39 / L6: the checklist's __exit__ calls a cleanup() it never defines (AttributeError\n"
       "         in Python). In C++ that cannot compile; cleanup in a destructor (RAII) always\n"
       "         runs, so that line varies by nature."});
  run({"s002_26_mutable_default_checklist",
       "BAD and GOOD defaults (L3)",
       "24",
       [] {
         using Buf = List<refgc::Object>;
         using Process = refgc::Function<Ref<Buf>(Ref<Buf>)>;
         Process bad(
             [](Buf& shared, Ref<Buf> buffer) {  // def process_items(items, buffer=[])
               if (!buffer) buffer = Ref<Buf>(&shared);
               buffer->append(make<Big>());
               return buffer;
             },
             make<Buf>());
         Process good([](Ref<Buf> buffer) {  // buffer=None; if buffer is None: buffer = []
           if (!buffer) buffer = make<Buf>();
           buffer->append(make<Big>());
           return buffer;
         });
         aside("BAD: two calls share one buffer: " + yes(refgc::is(bad(nullptr), bad(nullptr))) +
               " ; GOOD: " + yes(refgc::is(good(nullptr), good(nullptr))));
       },
       {},
       "the checklist only defines the functions (it prints nothing)."});
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--pictures" && i + 1 < argc) {
      pictures_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--pictures DIR]   (default DIR: tour-pictures)\n", argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  std::printf("refgc tour: the seeds' scenarios, live, next to CPython 3.11's recorded output\n");
  refgc::gc::disable();  // each step turns automatic collection on where it matters
  part0_and_1();
  part2();
  refgc::gc::disable();
  part3_to_6();
  part7();
  part8();
  part9();
  part10();
  part11();
  case_study();
  document002();
  std::printf("\n==================================================================\n");
  std::printf(" %d steps, %d agree with CPython 3.11, %d differ\n", steps, steps - disagreements,
              disagreements);
  if (!pictures_written.empty()) {
    std::printf(" %zu reference-graph pictures (SVG) in %s:\n", pictures_written.size(),
                pictures_dir.string().c_str());
    for (const std::string& file : pictures_written) std::printf("   %s\n", file.c_str());
  } else if (graphviz_reported) {
    std::printf(
        " No SVG pictures: Graphviz's `dot` is not installed (apt-get install graphviz);\n"
        " the reference graphs were drawn in the terminal only.\n");
  }
  return disagreements;
}
