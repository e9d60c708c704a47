// src/gc_api.cc: the gc:: functions (Python's gc module) on the current heap.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "collect.h"
#include "heap_impl.h"
#include "installed_callable.h"
#include "refgc/gc.h"
#include "refgc/tracer.h"
#include "refgc/unraisable.h"

namespace refgc {

namespace detail {

namespace {

// The sink installed (none: write_to_stderr), called itself, not a copy
// (src/installed_callable.h), as gc's debug output goes to the one
// sys.stderr object. Never destroyed: collections may print at exit.
InstalledCallable<gc::DebugSink>& installed_sink() {
  static auto* sink = new InstalledCallable<gc::DebugSink>();
  return *sink;
}

// The default sink (an empty stored one stands for it).
void write_to_stderr(std::string_view line) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

void append_live(std::vector<Ref<Object>>& out, const Generation& g) {
  for (Object* o : g.objs)
    if (o != nullptr) out.push_back(Ref<Object>(o));
}

class CollectTracer final : public Tracer {
 public:
  explicit CollectTracer(std::vector<Ref<Object>>& referents) : referents_(referents) {}

 private:
  bool visit(Object* r) override {
    referents_.push_back(Ref<Object>(r));
    return false;
  }
  std::vector<Ref<Object>>& referents_;  // (not Tracer's out_, the collector's room)
};

}  // namespace

// The sink is user code, called from inside collections: an exception from
// it (or from copying it) goes to the unraisable hook, and the line is lost.
void HeapImpl::debug_line(std::string_view line) noexcept {
  try {
    installed_sink().call(write_to_stderr, line);
  } catch (...) {
    write_unraisable("<gc debug sink>");
  }
}

}  // namespace detail

namespace gc {

std::size_t collect(int generation) {
  if (generation < 0 || generation > 2) throw std::invalid_argument("invalid generation");
  detail::HeapImpl& heap = detail::heap_for("calls gc::collect");
  if (heap.collecting) return 0;
  if (heap.can_skip_collection(generation)) {  // runs no user code
    heap.collect_nothing(generation);
    return 0;
  }
  return heap.collect_marked(generation);
}

void enable() { detail::heap_for("calls gc::enable").enabled = true; }
void disable() { detail::heap_for("calls gc::disable").enabled = false; }
bool isenabled() { return detail::heap_for("calls gc::isenabled").enabled; }

std::array<int, 3> get_threshold() {
  auto& g = detail::heap_for("calls gc::get_threshold").gens;
  return {g[0].threshold, g[1].threshold, g[2].threshold};
}

namespace {
void check_threshold(int t) {
  if (t < 0) throw std::invalid_argument("gc threshold must not be negative");
}
}  // namespace

void set_threshold(int threshold0) {
  check_threshold(threshold0);
  detail::heap_for("calls gc::set_threshold").gens[0].threshold = threshold0;
}
void set_threshold(int threshold0, int threshold1) {
  check_threshold(threshold0);
  check_threshold(threshold1);
  auto& g = detail::heap_for("calls gc::set_threshold").gens;
  g[0].threshold = threshold0;
  g[1].threshold = threshold1;
}
void set_threshold(int threshold0, int threshold1, int threshold2) {
  check_threshold(threshold0);
  check_threshold(threshold1);
  check_threshold(threshold2);
  auto& g = detail::heap_for("calls gc::set_threshold").gens;
  g[0].threshold = threshold0;
  g[1].threshold = threshold1;
  g[2].threshold = threshold2;
}

std::array<std::size_t, 3> get_count() {
  auto& g = detail::heap_for("calls gc::get_count").gens;
  return {g[0].count, g[1].count, g[2].count};
}

std::vector<Ref<Object>> get_objects() {
  detail::HeapImpl& heap = detail::heap_for("calls gc::get_objects");
  detail::refuse_while_counting(heap, "calls gc::get_objects");
  std::vector<Ref<Object>> out;
  out.reserve(heap.gens[0].size() + heap.gens[1].size() + heap.gens[2].size());
  heap.for_each_tracked(/*with_permanent=*/false,
                        [&](Object* o) { out.push_back(Ref<Object>(o)); });  // reserved
  return out;
}

std::vector<Ref<Object>> get_objects(int generation) {
  // CPython 3.11 stores gc.get_objects's default, None, as -1: an explicit
  // -1 lists every generation too.
  if (generation == -1) return get_objects();
  if (generation >= 3)
    throw std::invalid_argument(
        "generation parameter must be less than the number of available generations (3)");
  if (generation < 0) throw std::invalid_argument("generation parameter cannot be negative");
  detail::HeapImpl& heap = detail::heap_for("calls gc::get_objects");
  detail::refuse_while_counting(heap, "calls gc::get_objects");
  std::vector<Ref<Object>> out;
  out.reserve(heap.gens[generation].size());
  if (generation == 2) {
    std::vector<Object*> list;
    heap.gather_unlisted(detail::kGen2, list);
    for (Object* o : list)
      if (o != nullptr) out.push_back(Ref<Object>(o));  // reserved
  } else {
    detail::append_live(out, heap.gens[generation]);
  }
  return out;
}

std::vector<Ref<Object>> get_referrers(std::initializer_list<const Object*> objs) {
  detail::HeapImpl& heap = detail::heap_for("calls gc::get_referrers");
  detail::refuse_while_counting(heap, "calls gc::get_referrers");
  std::vector<Ref<Object>> out;
  auto refers = [&](Object* o) {
    detail::FindTracer tracer(objs.begin(), objs.size());
    o->trace(tracer);
    return tracer.found;
  };
  for (int g = 0; g < 2; ++g)
    for (std::size_t i = 0; i < heap.gens[g].objs.size(); ++i) {
      Object* o = heap.gens[g].objs[i];
      if (o != nullptr && refers(o)) out.push_back(Ref<Object>(o));
    }
  if (heap.gens[2].unlisted == 0) return out;
  // Generation 2 in heap-walk order (no list to build for a scan that
  // usually finds a few), the finds then put in its list order.
  std::vector<Object*> found;
  heap.walk_unlisted([&](Object* o) {
    if (detail::ObjectAccess::state(o) == detail::kGen2 && refers(o)) found.push_back(o);
  });
  std::sort(found.begin(), found.end(), [](const Object* a, const Object* b) {
    return detail::ObjectAccess::index(a) < detail::ObjectAccess::index(b);
  });
  for (Object* o : found) out.push_back(Ref<Object>(o));
  return out;
}

std::vector<Ref<Object>> get_referents(std::initializer_list<const Object*> objs) {
  detail::heap_for("calls gc::get_referents");
  std::vector<Ref<Object>> out;
  detail::CollectTracer tracer(out);
  for (const Object* o : objs) {
    if (o == nullptr || !(detail::ObjectAccess::gc(o) & detail::kIsGc)) continue;
    const_cast<Object*>(o)->trace(tracer);
  }
  return out;
}

bool is_tracked(const Object& obj) noexcept {
  REFGC_DEBUG_REQUIRE_HEAP("calls gc::is_tracked");
  const std::uint32_t s = detail::ObjectAccess::state(&obj);
  return s != detail::kUntracked && s != detail::kFreed;
}

bool is_finalized(const Object& obj) noexcept {
  REFGC_DEBUG_REQUIRE_HEAP("calls gc::is_finalized");
  return (detail::ObjectAccess::gc(&obj) & detail::kFinalized) != 0;
}

std::array<GenerationStats, 3> get_stats() { return detail::heap_for("calls gc::get_stats").stats; }

void freeze() {
  detail::HeapImpl& heap = detail::heap_for("calls gc::freeze");
  detail::refuse_while_counting(heap, "calls gc::freeze");
  // CPython appends generations 0, 1 and 2 to the permanent generation's
  // list, in that order: they take the next virtual slots.
  detail::Generation& p = heap.permanent;
  std::size_t total = 0;
  for (auto& g : heap.gens) total += g.size();
  // Slots past the header's 25-bit index (heap.slot_limit, lowered by the
  // tests) would be cut: renumber without the gaps first, else refuse.
  if (p.next_slot + total > heap.slot_limit) heap.renumber_unlisted(detail::kPermanent);
  if (p.next_slot + total > heap.slot_limit)
    throw std::length_error("refgc: gc::freeze: more than 2^25 objects to freeze");
  // Generation 2's list first: its allocation may throw, and nothing has
  // changed yet then (review 2026-11-24: generations 0 and 1 had already
  // joined the permanent generation, still in their lists).
  std::vector<Object*> old;
  if (heap.gens[2].unlisted != 0) heap.gather_unlisted(detail::kGen2, old);
  for (int g = 0; g < 2; ++g)
    for (Object* o : heap.gens[g].objs)
      if (o != nullptr) heap.join_unlisted(o, detail::kPermanent, p.next_slot++);
  for (Object* o : old)
    if (o != nullptr) heap.join_unlisted(o, detail::kPermanent, p.next_slot++);
  p.unlisted += total;
  for (auto& g : heap.gens) {
    g.clear_list();
    g.unlisted = 0;
    g.restart_slots();
    g.count = 0;
  }
}

void unfreeze() {
  detail::HeapImpl& heap = detail::heap_for("calls gc::unfreeze");
  detail::refuse_while_counting(heap, "calls gc::unfreeze");
  detail::Generation& g2 = heap.gens[2];
  detail::Generation& p = heap.permanent;
  if (p.unlisted == 0) {
    p.restart_slots();
    return;
  }
  // CPython appends the permanent generation's list to generation 2's.
  // Called by a finalizer or a weak-reference callback during a collection
  // whose survivors join generation 2, it leaves the slots that collection
  // may still give (Collector::slots_still_needed_in), and does not renumber
  // the generation under it (the collection holds slot numbers). Review
  // 2026-11-23 (session 16): the unfreeze took those slots, and the objects
  // the collection moved there later wrapped around the 25-bit index.
  const std::size_t needed =
      heap.active != nullptr ? heap.active->slots_still_needed_in(detail::kGen2) : 0;
  if (needed == 0 && g2.next_slot + p.unlisted > heap.slot_limit)
    heap.renumber_unlisted(detail::kGen2);
  if (g2.next_slot + p.unlisted + needed > heap.slot_limit)
    throw std::length_error("refgc: gc::unfreeze: more than 2^25 objects in generation 2");
  std::vector<Object*> list;
  heap.gather_unlisted(detail::kPermanent, list);
  for (Object* o : list)
    if (o != nullptr) heap.join_unlisted(o, detail::kGen2, g2.next_slot++);
  g2.unlisted += p.unlisted;
  p.unlisted = 0;
  p.restart_slots();
}

std::size_t get_freeze_count() {
  return detail::heap_for("calls gc::get_freeze_count").permanent.size();
}

std::vector<Ref<Object>>& garbage() { return detail::heap_for("calls gc::garbage").garbage; }
std::vector<Callback>& callbacks() { return detail::heap_for("calls gc::callbacks").callbacks; }

void set_debug(int flags) { detail::heap_for("calls gc::set_debug").debug = flags; }
int get_debug() { return detail::heap_for("calls gc::get_debug").debug; }

DebugSink set_debug_sink(DebugSink sink) {
  DebugSink old = detail::installed_sink().exchange(std::move(sink));
  // The default is stored empty; the caller gets it as a callable sink, so
  // that a sink that passes lines on to the previous one works from the
  // start (review 2026-11-23: it threw std::bad_function_call).
  if (!old) return detail::write_to_stderr;
  return old;
}

}  // namespace gc
}  // namespace refgc
