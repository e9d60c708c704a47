// bench/adapters/boehm_adapter.cc: the Boehm-Demers-Weiser collector
// (Debian's libgc-dev) as a benchmark System. Built only when CMake finds
// <gc/gc.h> and libgc.
//
// A node is GC_MALLOC(16): two raw pointers, no count, no destructor. Handles
// are raw pointers; "dropping" one is forgetting it. Containers that hold
// handles use gc_allocator so that the collector scans them. This file does
// not define GC_THREADS and the benchmark never starts a thread in a Boehm
// process, so Boehm marks with one thread (no parallel marker threads), like
// refgc's and CPython's collectors.
#include <gc/gc.h>
#include <gc/gc_allocator.h>

#include <new>
#include <string>
#include <utility>
#include <vector>

#include "../harness/workloads.h"

namespace bench {
namespace {

struct BoehmNode {
  BoehmNode* a;
  BoehmNode* b;
};
static_assert(sizeof(BoehmNode) == 16);

struct BoehmList {
  std::vector<BoehmNode*, gc_allocator<BoehmNode*>> items;
};

struct BoehmSystem {
  static constexpr const char* kName = "boehm";
  static constexpr bool kCountsGarbage = false;  // GC_gcollect() returns nothing
  static constexpr bool kNoHandleCopy = true;    // W1 is meaningless for raw pointers
  using Handle = BoehmNode*;
  template <class T>
  using Vector = std::vector<T, gc_allocator<T>>;

  static void init() { GC_INIT(); }
  static Handle make() { return static_cast<BoehmNode*>(GC_MALLOC(sizeof(BoehmNode))); }
  static void set_a(const Handle& n, Handle v) { n->a = v; }
  static void set_b(const Handle& n, Handle v) { n->b = v; }
  static std::size_t requested_bytes() { return sizeof(BoehmNode); }
  // Bytes handed out (granule rounding included) since the process started.
  static std::size_t allocator_bytes() { return GC_get_total_bytes(); }

  // Like gc.collect(): runs even while automatic collection is disabled.
  static std::size_t collect() {
    const bool disabled = GC_is_disabled() != 0;
    if (disabled) GC_enable();
    GC_gcollect();
    if (disabled) GC_disable();
    return 0;
  }
  static void disable_auto() { GC_disable(); }
  static void enable_auto() { GC_enable(); }

  using List = BoehmList*;
  static List make_list() { return new (GC_MALLOC(sizeof(BoehmList))) BoehmList(); }
  static void list_append(List& l, Handle h) { l->items.push_back(h); }

  static std::string note() { return "heap MiB: " + std::to_string(GC_get_heap_size() >> 20); }
};

}  // namespace

void register_boehm(std::vector<Entry>& out) { add_workloads<BoehmSystem>(out); }

}  // namespace bench
