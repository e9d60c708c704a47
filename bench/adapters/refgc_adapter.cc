// bench/adapters/refgc_adapter.cc: refgc as a benchmark System.
//
// The node is the spec's "object with two reference fields": an Object
// subclass with two Refs that it traces (so it is tracked by the collector,
// and allocating it may trigger an automatic collection, as in CPython).
//
// Weak references: refgc::WeakRef with a plain lambda callback and
// refgc::WeakValueDictionary<std::size_t, Node>, as the API documents them.
//
// Diagnostics for W8: refgc::gc::get_referrers, refgc::diag::most_common_types
// and refgc::diag::find_backref_chain.
//
// Two systems: "refgc" runs as it does by default (automatic collection on,
// thresholds 700/10/10); "refgc-nogc" calls refgc::gc::disable() first.
#include <malloc.h>

#include <string>
#include <utility>
#include <vector>

#include "../harness/workloads.h"
#include "refgc/refgc.h"

namespace bench {
namespace {

struct RefgcNode final : refgc::Object {
  static constexpr const char* refgc_type_name = "Node";
  refgc::Ref<RefgcNode> a, b;
  void trace(refgc::Tracer& t) override { t(a, b); }
};

template <bool kAutoGc>
struct RefgcSystem {
  static constexpr const char* kName = kAutoGc ? "refgc" : "refgc-nogc";
  static constexpr bool kRefCounted = true;
  static constexpr bool kCountsGarbage = true;
  using Handle = refgc::Ref<RefgcNode>;
  template <class T>
  using Vector = std::vector<T>;

  static void init() {
    if (!kAutoGc) refgc::gc::disable();
  }
  static Handle make() { return refgc::make<RefgcNode>(); }
  static void set_a(const Handle& n, Handle v) { n->a = std::move(v); }
  static void set_b(const Handle& n, Handle v) { n->b = std::move(v); }
  static std::size_t requested_bytes() { return sizeof(RefgcNode); }
  static std::size_t allocator_bytes() { return refgc::Heap::current().reserved_bytes(); }

  static std::size_t collect() { return refgc::gc::collect(2); }
  static void collect_young() { refgc::gc::collect(0); }
  static void disable_auto() { refgc::gc::disable(); }
  static void enable_auto() {
    if (kAutoGc) refgc::gc::enable();
  }

  using List = refgc::Ref<refgc::List<RefgcNode>>;
  static List make_list() { return refgc::make<refgc::List<RefgcNode>>(); }
  static void list_append(List& l, Handle h) { l->append(std::move(h)); }

  using Nest = refgc::Ref<refgc::List<>>;
  static Nest nest(Nest inner) {
    Nest outer = refgc::make<refgc::List<>>();
    if (inner) outer->append(std::move(inner));
    return outer;
  }

  // Weak references (W6, W7 one-weakref), used as a refgc user writes them.
  using Weak = refgc::WeakRef<RefgcNode>;
  static Weak weak_ref(const Handle& h) { return Weak(h); }
  template <class F>
  static Weak weak_ref(const Handle& h, F f) {
    return Weak(h, [f](const Weak&) { f(); });
  }
  static bool weak_alive(const Weak& w) { return w.alive(); }
  using WeakDict = refgc::WeakValueDictionary<std::size_t, RefgcNode>;
  static void dict_set(WeakDict& d, std::size_t key, const Handle& v) { d.set(key, v); }
  static std::size_t dict_size(const WeakDict& d) { return d.size(); }
  // Everything refgc holds from malloc: the pool's chunks, the weak side
  // table (HeapImpl::weaklists), callback storage, the generation vectors.
  // glibc's mmap threshold moves, so a 256 KiB chunk may be in either
  // counter: count both.
  static std::size_t footprint_bytes() {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
  }

  // Diagnostics (W8), called as a refgc user calls them; the results are
  // reduced to one number so the workload can check them.
  static std::size_t referrer_count(const Handle& h) { return refgc::gc::get_referrers(h).size(); }
  static std::size_t census_count() {
    for (const refgc::diag::TypeCount& row : refgc::diag::most_common_types(0))
      if (row.type == RefgcNode::refgc_type_name) return row.count;
    return 0;
  }
  static std::size_t backref_chain_length(const Handle& h) {
    return refgc::diag::find_backref_chain(h).size();
  }

  // How many automatic collections ran: explains a default-vs-disabled gap.
  static std::string note() {
    const auto stats = refgc::gc::get_stats();
    std::string s = "collections gen0/1/2: ";
    for (int g = 0; g < 3; ++g) {
      if (g) s += "/";
      s += std::to_string(stats[static_cast<std::size_t>(g)].collections);
    }
    return s;
  }
};

}  // namespace

void register_refgc(std::vector<Entry>& out) {
  add_workloads<RefgcSystem<true>>(out);
  add_workloads<RefgcSystem<false>>(out);
}

}  // namespace bench
