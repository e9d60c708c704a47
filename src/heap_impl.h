// src/heap_impl.h: the state behind a Heap (CPython's per-interpreter gc
// state plus the object pools). Private to the library.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "pool.h"
#include "refgc/gc.h"
#include "refgc/heap.h"
#include "refgc/object.h"

namespace refgc::detail {

// One generation: its objects in CPython's list order. Removal leaves a null
// tombstone so that order is kept; tombstones are squeezed out when they
// outnumber the live entries (and at the end of each collection).
//
// Invariant: for every non-null objs[i], the object's state names this
// generation and its index is i.
struct Generation {
  std::vector<Object*> objs;
  std::size_t tombstones = 0;
  int threshold = 0;
  std::size_t count = 0;

  std::size_t size() const noexcept { return objs.size() - tombstones; }
};

class Collector;
class WeakRefObject;

struct HeapImpl {
  explicit HeapImpl(Heap& heap) : self(heap) {}
  ~HeapImpl();

  Heap& self;
  Pool pool;

  // --- the collector's state (CPython's GCState) ---
  std::array<Generation, 3> gens{};        // thresholds set in the ctor body
  Generation permanent;                    // gc.freeze()
  bool enabled = true;
  bool collecting = false;
  int debug = 0;
  std::size_t long_lived_total = 0;
  std::size_t long_lived_pending = 0;
  std::array<gc::GenerationStats, 3> stats{};
  std::vector<Ref<Object>> garbage;
  std::vector<gc::Callback> callbacks;
  // The collection in progress (or null).
  Collector* active = nullptr;
  // Set while compaction is unsafe (a collection is walking the vectors).
  int compaction_blocked = 0;

  // --- weak references: referent -> its weak-reference objects, in CPython's
  // list order (the shared callback-less one first, then newest first) ---
  std::unordered_map<const Object*, std::vector<WeakRefObject*>> weaklists;

  // --- threads ---
  std::mutex mutex;
  std::atomic<std::thread::id> owner{};
  int lock_depth = 0;

  // --- tracking ---
  void track(Object* o, std::uint32_t gen_state);
  void untrack(Object* o) noexcept;
  // Fast paths for the common case: a new object joins generation 0, and an
  // object of generation 0 dies there.
  void track_gen0(Object* o) {
    Generation& g = gens[0];
    if (REFGC_LIKELY(g.objs.size() < g.objs.capacity() && g.objs.size() < kMaxIndex)) {
      ObjectAccess::set_slot(o, kGen0, static_cast<std::uint32_t>(g.objs.size()));
      g.objs.push_back(o);
      return;
    }
    track(o, kGen0);
  }
  void untrack_fast(Object* o) noexcept {
    if (ObjectAccess::state(o) == kGen0) {
      Generation& g = gens[0];
      const std::uint32_t index = ObjectAccess::index(o);
      REFGC_CHECK(index < g.objs.size() && g.objs[index] == o, o,
                  "corrupt generation list (object not at its index)");
      // The newest object dying first (the usual churn) just shrinks the list.
      if (index + 1 == g.objs.size()) {
        g.objs.pop_back();
      } else {
        g.objs[index] = nullptr;
        ++g.tombstones;
        maybe_compact(g);
      }
      ObjectAccess::set_slot(o, kUntracked, 0);
      return;
    }
    untrack(o);
  }
  Generation& generation_of_state(std::uint32_t state) noexcept;
  void compact(Generation& g) noexcept;
  void maybe_compact(Generation& g) noexcept;

  // --- scheduling (CPython's gc_alloc / gc_collect_generations) ---
  void on_gc_alloc() {
    Generation& g0 = gens[0];
    ++g0.count;
    if (REFGC_UNLIKELY(g0.count > static_cast<std::size_t>(g0.threshold))) maybe_collect();
  }
  void maybe_collect();
  void on_gc_free() noexcept {
    if (gens[0].count > 0) --gens[0].count;
  }
  void collect_generations();
  std::size_t collect_with_callbacks(int generation) noexcept;

  void debug_line(std::string_view line);
  void check_owner(const char* what) const noexcept;
};

// The heap this thread holds; acquires the default heap on first use.
HeapImpl& acquire_current_slow();
inline HeapImpl& current_impl() {
  Heap* h = tls.heap;
  if (REFGC_LIKELY(h != nullptr)) return h->impl();
  return acquire_current_slow();
}

}  // namespace refgc::detail
