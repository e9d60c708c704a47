// refgc/diag.h: see what is alive, and why (Python's objgraph and the seeds'
// find_leaks helpers, for refgc heaps).
//
//   refgc::diag::print_most_common_types(std::cout, 5);   // census by type
//   refgc::diag::growth();                                  // what grew since last time
//   auto chain = refgc::diag::find_backref_chain(leaked);   // who keeps it alive
//   refgc::diag::render_svg("leak.svg", {{"leaked", leaked}}, {.direction =
//                           refgc::diag::Direction::referrers});
//   std::cout << refgc::diag::ascii_diagram({{"a", a}, {"b", b}});
//   refgc::diag::LeakCheck scope;  ...  auto report = scope.check();
//
// Every function works on the heap the calling thread holds and sees what the
// collector sees: tracked objects (containers, and every type that overrides
// trace()). Untracked atoms (Int, Str) appear as the targets of references,
// never as referrers or in a census, as in Python's gc.get_objects(). The
// census (most_common_types, count, growth) counts what gc::get_objects()
// lists, as objgraph counts over gc.get_objects(): objects moved to the
// permanent generation by gc::freeze() are left out. The other functions see
// frozen objects too (they hold references, and may leak).
//
// "Held from outside": an object's refcount minus the references that tracked
// objects hold to it (what the collector computes in its first phase). A
// positive value means some Ref outside the heap -- on the stack, in a global,
// in unmanaged memory -- keeps it alive. These are the roots of every "why is
// it still alive?" question.
//
// Cost: each call walks the whole heap once (tracing every tracked object);
// see bench/ for figures against CPython's gc.get_referrers and a census over
// gc.get_objects(). None of these functions allocates managed objects or runs
// a collection, except growth() and print_growth() (which collect first, as
// objgraph's growth() does) and LeakCheck::check() (which runs one, on
// purpose).
//
// User code they run -- repr(), the GraphOptions callbacks (filter, highlight,
// extra_info), a find_backref_chain predicate -- may allocate, drop
// references, call gc::collect() or move objects between generations
// (gc::freeze(), gc::unfreeze()): meanwhile every object of the heap is held
// (as objgraph's lists hold them in Python) and no collection runs
// (gc::collect() returns 0, as when called during a collection); objects that
// lost their last reference meanwhile die when the call returns.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include "refgc/ref.h"

namespace refgc::detail {
template <class T>
const Object& checked_object(const Ref<T>& r) {
  if (!r) throw std::invalid_argument("refgc::diag: the Ref is empty");
  return static_cast<const Object&>(*r.get());
}
}  // namespace refgc::detail

namespace refgc::diag {

// ---------------------------------------------------------------------------
// Type names and the census

// The readable name of an object's type: the name the type gave itself
// (`static constexpr const char* refgc_type_name = "Node";`), else the
// demangled C++ name without the `refgc::` prefix ("Outer::Inner"). The
// built-in types name themselves "List", "Dict", "Int", "Str", ...
// The name is inherited: a subclass that should be counted apart declares its
// own (without one it is counted under its base's name by the census;
// live_count() goes by the exact type).
std::string type_name(const Object& obj);

struct TypeCount {
  std::string type;
  std::size_t count = 0;
  friend bool operator==(const TypeCount&, const TypeCount&) = default;
};

// Tracked objects counted by type, most common first (ties by name), at most
// `limit` rows (0: all). objgraph.most_common_types.
std::vector<TypeCount> most_common_types(std::size_t limit = 10);

// The same census printed one row per line in the seeds' find_leaks format,
// `f" {count:>8,} {type_name}"`: "    2,363 function". Unlike find_leaks it
// does not collect first; call gc::collect() before it to count only what is
// reachable.
void print_most_common_types(std::ostream& out, std::size_t limit = 10);

// Tracked objects whose type name is `type_name` (objgraph.count).
std::size_t count(std::string_view type_name);

// Live objects whose dynamic type is exactly `type` (a subclass counts for
// itself, not for its base: the seeds' per-class TrackedObject registry),
// tracked or not: instances of a type with no trace() count too, and so do
// frozen objects (gc::freeze()). The registry, a weak set, counts every live
// instance; the census above counts tracked objects only. It walks every slot
// of the heap's pool: its cost follows the heap, not the type.
std::size_t live_count(const std::type_info& type);
template <class T>
std::size_t live_count() {
  return live_count(typeid(T));
}

// Plugins (docs/guide/plugins.md): the live objects whose code comes from the
// loaded executable or shared object (a dlopen()ed plugin) that contains
// `address`, any address inside it (what dlsym() returned for it): those
// whose vtable lies in its memory, as it does for the types it defines (and
// for a refgc::Function made from one of its lambdas). Like live_count() it
// walks every slot of the heap the thread holds, tracked or not; an object
// whose count reached 0 is not listed. Cyclic garbage of the plugin's types
// is listed until a collection frees it: a host calls gc::collect(), then
// this, before dlclose(), and keeps the plugin loaded while the list is not
// empty (unloaded, their destructors, trace() and finalize() would be gone).
// Not seen: plugin code held by objects of the host's types otherwise (a
// std::function, a WeakRef's callback), and gc::callbacks() or the
// unraisable hook set by the plugin. std::invalid_argument when no loaded
// object contains `address`; std::logic_error where the platform cannot say
// (it needs dl_iterate_phdr()).
std::vector<Ref<Object>> objects_from_library(const void* address);

struct TypeGrowth {
  std::string type;
  std::size_t count = 0;  // tracked objects of this type now
  std::size_t delta = 0;  // how far above its previous peak
  friend bool operator==(const TypeGrowth&, const TypeGrowth&) = default;
};

// objgraph.show_growth: the types whose count is above the highest count seen
// by any earlier call on this heap (on the first call, above zero), with the
// delta, largest delta first (ties by name), at most `limit` rows (0: all).
// Each call raises the peaks it reports. Like objgraph's growth(), it runs a
// full collection first (gc::collect(2)), so cyclic garbage is not counted as
// growth; its finalizers run then. (Called during a collection, the collect
// does nothing and returns 0, as gc::collect() does there.)
std::vector<TypeGrowth> growth(std::size_t limit = 10);
// The same, printed as objgraph does: "Node       50       +50". (Both
// printers write plain decimal text, whatever formatting the stream has set,
// and leave that formatting as it was.)
void print_growth(std::ostream& out, std::size_t limit = 10);
// Forgets the peaks: the next growth() reports every type from zero.
void reset_growth();

// ---------------------------------------------------------------------------
// Why is it alive

// Refcount minus the references tracked objects hold: how many references
// come from outside the heap (stack, globals, unmanaged memory). Walks the
// heap. A handle you pass in by value counts; pass by const& as below.
std::size_t external_refcount(const Object& obj);
template <class T>
std::size_t external_refcount(const Ref<T>& obj) {
  return external_refcount(detail::checked_object(obj));
}

using Predicate = std::function<bool(const Object&)>;

// The shortest chain of referrers [root, ..., obj]: each element holds a
// reference to the next, and the root satisfies `predicate`. Breadth-first
// over referrers, so among several paths the shortest is returned (ties: the
// referrer found first in the heap's order). objgraph.find_backref_chain.
//
// With no predicate the root is the nearest object held from outside the heap
// (external_refcount > 0), not counting `obj` itself, which the caller holds.
// With a predicate, `obj` itself is tested first (a chain of one).
// Returns {obj} when no root is found within `max_depth` steps. The chain
// holds references: while you keep it, its objects are held from outside.
std::vector<Ref<Object>> find_backref_chain(const Object& obj, const Predicate& predicate = {},
                                            std::size_t max_depth = 20);
template <class T>
std::vector<Ref<Object>> find_backref_chain(const Ref<T>& obj, const Predicate& predicate = {},
                                            std::size_t max_depth = 20) {
  return find_backref_chain(detail::checked_object(obj), predicate, max_depth);
}

// A chain as one line, each link with its type and address and, when the
// link before names the reference (Object::reference_name: a field given to
// Tracer::field(), a List's position, a Dict's key), what holds it:
//   "EventBus@0x55d0... .listeners -> List@0x... [2] -> Listener@0x...
//    .session -> Session@0x..."
// A field prints as ".name", a position or key as "[2]" or "['a']", any
// other name in parentheses; an unnamed reference is a bare " -> ". Names
// come from user code (reference_name(), a key's repr()): one that throws is
// left out, and each is cut to 40 characters; control characters in one are
// shown as the text \n, \t, \r or \xNN, as ascii_diagram shows them, so
// that the chain stays on one line.
std::string describe_chain(const std::vector<Ref<Object>>& chain);

// ---------------------------------------------------------------------------
// Pictures

// A root of a picture: an object, optionally with the name of the variable or
// field that holds it ("a", "registry"). Holds no reference (the picture is
// drawn while the caller's handles keep the objects alive), so drawing does
// not change the refcounts it shows.
struct Root {
  template <class T>
  Root(const Ref<T>& r)  // NOLINT(google-explicit-constructor): {a, b} lists
      : object(&detail::checked_object(r)) {}
  template <class T>
  Root(std::string label_, const Ref<T>& r)
      : label(std::move(label_)), object(&detail::checked_object(r)) {}
  Root(std::string label_, const Object& o) : label(std::move(label_)), object(&o) {}
  std::string label;
  const Object* object;
};

enum class Direction {
  references,  // what the roots refer to (objgraph.show_refs)
  referrers,   // what refers to the roots (objgraph.show_backrefs)
};

struct GraphOptions {
  Direction direction = Direction::references;
  // Steps away from the roots that are drawn (roots are depth 0).
  std::size_t max_depth = 3;
  // Objects for which this returns false are neither drawn nor followed
  // (roots are always drawn).
  Predicate filter{};
  // At most this many edges are drawn out of one object (into it, in the
  // referrers direction: its first referrers); the rest become one "N more
  // references" ("N more referrers") node (objgraph's too_many). 0: no limit.
  std::size_t too_many = 10;
  // Mark objects held from outside the heap (external_refcount > 0).
  bool mark_external = true;
  // Objects drawn in a highlight colour.
  Predicate highlight{};
  // An extra line in each object's label.
  std::function<std::string(const Object&)> extra_info{};
};

// The reference graph around `roots` as a Graphviz DOT digraph. Each object is
// a box labelled with its type, a short value (its repr, cut to 40
// characters), its refcount and, when held from outside the heap, how many
// references come from outside (a thick red border). Named roots get a label
// node pointing at them, like the seeds' "a -> [1, 2, 3]" pictures.
// An edge is labelled with the field, position or key that holds the
// reference when the holder names it (Object::reference_name), as objgraph
// labels an edge with the attribute or dictionary key (holders of at most
// 256 references: naming is a scan of a container's elements). Edges to an
// object the holder refers to several times (a List [a, b, a]) are left
// unlabelled: reference_name() gives one name per object.
void write_dot(std::ostream& out, const std::vector<Root>& roots, const GraphOptions& options = {});
std::string to_dot(const std::vector<Root>& roots, const GraphOptions& options = {});

// Graphviz's `dot`, when it is installed: renders the same picture to a file.
// `dot` is the first regular, executable file of that name on PATH (as the
// shell finds it: a directory named dot is passed over). Throws
// GraphvizNotFound (naming the Debian package to install) when there is
// none, std::system_error (a std::runtime_error, with the errno) if it
// cannot be started or the temporary directory cannot be made,
// std::runtime_error if dot fails or writes no file, or if the DOT text
// cannot be written to its temporary input. The input and dot's output are
// files of a directory made for the call next to `file` (mkdtemp: `file` +
// ".tmp-XXXXXX", mode 0700; removed with them afterwards), so no other file
// is written through or replaced, and renders to one path from several
// threads at once do not share them. dot's output replaces `file` (renamed
// over it: a symbolic link there is replaced, not written through, and the
// new file has the default permissions) only once dot succeeded: after a
// failure a file already at the path is left as it was.
class GraphvizNotFound : public std::runtime_error {
 public:
  GraphvizNotFound();
};
bool graphviz_available();
void render_svg(const std::filesystem::path& file, const std::vector<Root>& roots,
                const GraphOptions& options = {});
void render_png(const std::filesystem::path& file, const std::vector<Root>& roots,
                const GraphOptions& options = {});
// Runs `dot -T<format>` over DOT text and writes `file`.
void render_dot(std::string_view dot, const std::filesystem::path& file, std::string_view format);

// The seeds' box-and-label drawing of a small graph, for the terminal: each
// named root ("label ──> #1"), then every object within max_depth steps of a
// root (by its shortest path) once, with its type, short value, refcount and
// outside holders; an object met again is shown as "#n (see above)", which is
// how cycles appear. An object's references are drawn where it is first
// shown, even when the tree meets it there on a longer path.
//
//   a ──> #1
//   b ──> #1
//   #1 List [1, 2, 3, 4]  (refcount 2, 2 from outside)
//    ├─[3]─> #2 Int 4  (refcount 1)
//    ...                          (a List traces its elements last to first,
//    └─[0]─> #5 Int 1  (refcount 1)   as CPython's list does)
// An arrow carries the reference's name when its holder gives one
// (Object::reference_name: a field given to Tracer::field() as ".parent", a
// position as "[3]", a key as "['a']"; see describe_chain), for holders of
// at most 256 references, except the arrows to an object its holder refers
// to several times (one name per object would label them alike); otherwise
// it is a bare "──>".
// At most `too_many` references are drawn out of one object (0: all); the rest
// are summarised as "... N more". Each object stays on one line: control
// characters in a repr, a type name, a label or a reference's name are shown
// as the text \n, \t, \r or \xNN, as Python's repr() shows them.
std::string ascii_diagram(const std::vector<Root>& roots, std::size_t max_depth = 4,
                          std::size_t too_many = 10);

// ---------------------------------------------------------------------------
// Leak checks

struct Leak {
  std::string type;
  const Object* address = nullptr;  // for reading only: may be gone after the report
  std::string value;                // short repr
  std::string chain;                // describe_chain(find_backref_chain(obj)), if computed
};

struct LeakReport {
  std::vector<Leak> leaks;         // in the heap's order (roughly creation order)
  std::vector<TypeCount> by_type;  // leaked objects per type, most common first
  bool empty() const noexcept { return leaks.empty(); }
  std::size_t size() const noexcept { return leaks.size(); }
  // A readable multi-line report: the count by type, each leak that has a
  // chain with it (one line for the leak, one for its chain: control
  // characters in a repr() are shown as \n, \t, \r or \xNN), and how many
  // more have none (past check()'s max_chains).
  std::string str() const;
};
std::ostream& operator<<(std::ostream& out, const LeakReport& report);

// A scope that remembers which tracked objects exist when it starts (and the
// untracked Dicts, which Dict::set may track later). check()
// runs a full collection and reports the tracked objects created since then
// that are still alive, with their types and (for the first `max_chains`) the
// backref chain that keeps each alive. Objects that existed before the scope
// are never reported, even if one died and a new object took its address.
//
// Called during a collection (from a finalizer, a weak-reference callback or
// a gc callback), check() cannot collect (gc::collect() returns 0 there):
// cyclic garbage created in the scope is then reported as leaked too, with
// no holder found.
//
// With a handler, the destructor runs check() (unless check() was called)
// and calls the handler when something leaked; see refgc/diag_gtest.h for the
// one-line GoogleTest form. Scopes nest. Use it on the thread holding the heap.
class LeakCheck {
 public:
  using Handler = std::function<void(const LeakReport&)>;
  LeakCheck();
  explicit LeakCheck(Handler on_leak, std::size_t max_chains = 10);
  ~LeakCheck();
  LeakCheck(const LeakCheck&) = delete;
  LeakCheck& operator=(const LeakCheck&) = delete;

  LeakReport check(std::size_t max_chains = 10);

  // Internal: the heap tells the scope an object it knew has died.
  void forget_(const Object* o) noexcept { before_.erase(o); }

 private:
  Handler on_leak_;
  std::size_t max_chains_ = 10;
  bool checked_ = false;
  Heap* heap_ = nullptr;
  std::unordered_set<const Object*> before_;
};

}  // namespace refgc::diag
