// examples/tour.cc: the seeds' scenarios, live, on refgc.
//
// Walks the two tutorials on Python's reference model part by part. Each step
// runs the snippet's scenario on refgc, prints refgc's output next to what
// CPython 3.11 printed for the same snippet (tests/data/seed-corpus/*.out),
// marks agreement, and notes where the tutorial's text is wrong (ERR-nn, see
// docs/seed-coverage.md). The exit status is the number of disagreements, so
// the test suite runs the tour too.
//
// Run: cmake --preset release && cmake --build --preset release && ./build/release/examples/tour
#include <refgc/refgc.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
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

std::vector<std::string> out;  // what refgc printed in the current step
void say(const std::string& line) { out.push_back(line); }
std::string str(std::size_t n) { return std::to_string(n); }
std::string yes(bool b) { return b ? "True" : "False"; }

std::vector<std::string> expected_lines(const std::string& snippet) {
  std::ifstream in(std::string(REFGC_SEED_CORPUS_DIR) + "/" + snippet + ".out");
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
  std::set<std::size_t> varies = {};  // lines that differ by nature (addresses)
  const char* note = nullptr;         // what the tutorial gets wrong, if anything
};

void run(const Step& s) {
  out.clear();
  s.body();
  const std::vector<std::string> want = expected_lines(s.snippet);
  ++steps;
  std::printf("\n-- %s  [behaviours %s]\n   %s.py\n", s.title, s.behaviours, s.snippet);
  std::printf("   %-44s %-34s\n", "refgc (live)", "CPython 3.11 (recorded)");
  const std::size_t n = std::max(out.size(), want.size());
  bool all_ok = true;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string got = i < out.size() ? out[i] : "(nothing)";
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
    std::printf("   %-44s %-34s %s\n", got.c_str(), exp.c_str(), mark);
  }
  if (want.empty()) {
    std::printf("   (no recorded CPython output found in %s)\n", REFGC_SEED_CORPUS_DIR);
    all_ok = false;
  }
  if (s.note != nullptr) std::printf("   note: %s\n", s.note);
  if (!all_ok) ++disagreements;
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
       "\"__del__ is never called\" -- it is",
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

}  // namespace

int main() {
  std::printf("refgc tour: the seeds' scenarios, live, next to CPython 3.11's recorded output\n");
  refgc::gc::disable();  // each step turns automatic collection on where it matters
  part0_and_1();
  part2();
  refgc::gc::disable();
  part3_to_6();
  part7();
  std::printf("\n==================================================================\n");
  std::printf(" %d steps, %d agree with CPython 3.11, %d differ\n", steps, steps - disagreements,
              disagreements);
  std::printf(
      " Diagnostics, reference-graph pictures and caches join the tour with their\n"
      " issues (see README.md, Status).\n");
  return disagreements;
}
