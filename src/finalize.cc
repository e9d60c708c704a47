// src/finalize.cc: weakref.finalize. Each live finalizer sits in a
// process-wide registry (so it keeps itself alive) and holds a weak reference
// with a callback to its object.
#include "refgc/finalize.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "heap_impl.h"
#include "refgc/heap.h"
#include "refgc/unraisable.h"

namespace refgc {

namespace detail {

struct FinalizerState {
  WeakRef<Object> ref;
  std::function<void()> func;
  Heap* heap = nullptr;  // read only while the finalizer is alive (its heap is then alive)
  // Made while its heap was shutting down (Python's finalize._shutdown set):
  // alive, but it never runs (and is not in the registry).
  bool never_runs = false;
  std::uint64_t order = 0;
  // Its position in the registry (kNoSlot: not in it), under registry_mutex.
  std::size_t slot = kNoSlot;
  bool alive = true;
  bool atexit = true;
  static constexpr std::size_t kNoSlot = ~std::size_t{0};
};

namespace {

// The registry: every live finalizer that may still run, in no particular
// order (`order` gives the creation order). Each one knows its position, so
// leaving it is O(1): the last one takes its place. (Removal by search made
// n finalizers dying one after another take O(n^2): 4.1 s for 100,000,
// against CPython's 0.06 s, whose registry is a dict; review 2026-11-23.)
std::mutex registry_mutex;
std::vector<std::shared_ptr<FinalizerState>>& registry() {
  static auto* r = new std::vector<std::shared_ptr<FinalizerState>>();
  return *r;
}
std::uint64_t next_order = 0;
// Counts registrations: an atexit run selects again when it changed since
// its last selection (Python's finalize._dirty; a single flag was cleared by
// another heap's atexit run, and a finalizer made meanwhile was lost).
std::uint64_t registrations = 0;

void unregister(FinalizerState* s) {
  std::shared_ptr<FinalizerState> gone;  // released after the lock
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (s->slot == FinalizerState::kNoSlot) return;
  auto& r = registry();
  const std::size_t i = s->slot;
  s->slot = FinalizerState::kNoSlot;
  gone = std::move(r[i]);
  if (i + 1 != r.size()) {
    r[i] = std::move(r.back());
    r[i]->slot = i;
  }
  r.pop_back();
}

[[gnu::noinline, gnu::cold]] void report_exception(const FinalizerState* s) noexcept {
  char buf[64];
  std::snprintf(buf, sizeof buf, "<finalize object at %p; dead>", static_cast<const void*>(s));
  write_unraisable(buf);
}

// Marks the finalizer dead, takes its function, drops the registry's hold.
// The caller keeps `s` alive while it runs the function.
std::function<void()> kill(const std::shared_ptr<FinalizerState>& s) {
  if (!s->alive) return nullptr;
  s->alive = false;
  std::function<void()> f = std::move(s->func);
  s->func = nullptr;
  s->ref = WeakRef<Object>();  // its weak-reference object can die now (CPython pops it too)
  unregister(s.get());
  return f;
}

// Runs the function of `s` (dead now); an exception goes to the unraisable
// hook, which names the finalize object as CPython's repr of a dead one does:
// "Exception ignored in: <finalize object at 0x...; dead>" (python3 3.11.7).
void run(std::function<void()>& f, const FinalizerState* s) {
  if (!f) return;
  try {
    f();
  } catch (...) {
    report_exception(s);
  }
}

}  // namespace

void run_atexit_finalizers(Heap& heap) noexcept {
  // Python's finalize._exitfunc: the heap's atexit finalizers, selected once
  // and sorted, run newest first; selected again only if a finalizer was
  // registered meanwhile (by one of them). One that died meanwhile (run by
  // its object's death, or detached) is skipped; one whose atexit flag was
  // cleared after the selection still runs, as in Python. Automatic
  // collection is off meanwhile (Python's _exitfunc calls gc.disable();
  // python3 3.11.7: gc.isenabled() is False inside an atexit finalizer).
  // (A scan for the newest per finalizer took O(n^2): 2.2 s for 40,000 at
  // heap destruction; review 2026-11-23.)
  HeapImpl& impl = heap.impl();
  const bool was_enabled = impl.enabled;
  impl.enabled = false;
  std::vector<std::shared_ptr<FinalizerState>> pending;
  std::uint64_t selected_at = ~std::uint64_t{0};  // no selection yet
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(registry_mutex);
      if (registrations != selected_at) {
        selected_at = registrations;
        pending.clear();
        try {
          for (auto& s : registry())
            if (s->heap == &heap && s->alive && s->atexit && !s->never_runs) pending.push_back(s);
        } catch (const std::bad_alloc&) {
          // No memory for the whole selection: the ones selected so far run.
        }
        std::sort(pending.begin(), pending.end(),
                  [](const auto& x, const auto& y) { return x->order < y->order; });
      }
    }
    if (pending.empty()) break;
    std::shared_ptr<FinalizerState> newest = std::move(pending.back());
    pending.pop_back();
    std::function<void()> f = kill(newest);  // nothing if it died meanwhile
    run(f, newest.get());
  }
  impl.enabled = was_enabled;
}

void drop_finalizers(Heap& heap) noexcept {
  // From now on no finalizer of this heap runs, including ones created later
  // (Python's class-wide finalize._shutdown).
  heap.impl().finalizers_shut_down = true;
  // All dead first: releasing one's function may drop the last reference to
  // another's object, whose callback must then find it dead.
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    for (auto& s : registry())
      if (s->heap == &heap) s->alive = false;
  }
  // Each one's function and weak reference are released while the heap is
  // held, outside the registry's lock (their release may run user code that
  // makes finalizers), in creation order.
  auto release = [](FinalizerState& s) noexcept {
    s.func = nullptr;
    s.ref = WeakRef<Object>();
  };
  std::vector<std::shared_ptr<FinalizerState>> mine;
  bool taken = false;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto& r = registry();
    try {
      mine.reserve(static_cast<std::size_t>(
          std::count_if(r.begin(), r.end(), [&](const auto& p) { return p->heap == &heap; })));
      taken = true;
    } catch (const std::bad_alloc&) {
      // No room to take them out at once: one at a time, below.
    }
    if (taken) {
      std::size_t kept = 0;
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i]->heap == &heap) {
          r[i]->slot = FinalizerState::kNoSlot;
          mine.push_back(std::move(r[i]));  // room reserved
          continue;
        }
        if (kept != i) r[kept] = std::move(r[i]);
        r[kept]->slot = kept;
        ++kept;
      }
      r.resize(kept);
    }
  }
  if (taken) {
    std::sort(mine.begin(), mine.end(),
              [](const auto& a, const auto& b) { return a->order < b->order; });
    for (auto& s : mine) release(*s);
    return;
  }
  // Out of memory (review 2026-11-23, session 15: the reserve above threw
  // out of this noexcept function and ended the process): the oldest one
  // left, one at a time. Quadratic, on this path only.
  for (;;) {
    std::shared_ptr<FinalizerState> oldest;
    {
      std::lock_guard<std::mutex> lock(registry_mutex);
      for (auto& s : registry())
        if (s->heap == &heap && (!oldest || s->order < oldest->order)) oldest = s;
    }
    if (!oldest) break;
    unregister(oldest.get());
    release(*oldest);
  }
}

namespace testing {
std::size_t registered_finalizers() noexcept {
  std::lock_guard<std::mutex> lock(registry_mutex);
  return registry().size();
}
}  // namespace testing

}  // namespace detail

Finalizer Finalizer::create(const Ref<Object>& obj, std::function<void()> func) {
  // Python accepts any object and fails when calling it, at the object's
  // death, where only the unraisable hook hears of it: refused here instead.
  if (!func) throw std::invalid_argument("refgc::finalize: the function is empty");
  auto state = std::make_shared<detail::FinalizerState>();
  state->func = std::move(func);
  state->heap = &Heap::current();
  state->never_runs = state->heap->impl().finalizers_shut_down;
  detail::register_finalize_exit_hook(*state->heap);
  std::weak_ptr<detail::FinalizerState> weak_state = state;
  state->ref = WeakRef<Object>(obj, [weak_state](const WeakRef<Object>&) {
    if (auto s = weak_state.lock()) {
      // Dead already (run, detached, or dropped with its heap, which may be
      // gone: its object outlived it as an orphan): nothing to do.
      std::function<void()> f = detail::kill(s);
      if (f && !s->never_runs && !s->heap->impl().finalizers_shut_down) detail::run(f, s.get());
    }
  });
  {
    std::lock_guard<std::mutex> lock(detail::registry_mutex);
    state->order = detail::next_order++;
    // One that never runs is not registered: nothing would ever run or drop
    // it, and the registry would keep its weak reference and its function
    // (objects of a heap being destroyed) for good. Its handle owns it.
    // Nor one that already ran: its object died while its weak reference
    // was made (finalize() holds its argument, so only if that changes).
    if (!state->never_runs && state->alive) {
      auto& r = detail::registry();
      r.push_back(state);  // may throw std::bad_alloc: nothing registered
      state->slot = r.size() - 1;
      ++detail::registrations;
    }
  }
  Finalizer f;
  f.state_ = std::move(state);
  return f;
}

bool Finalizer::alive() const noexcept { return state_ && state_->alive; }

bool Finalizer::operator()() {
  if (!alive()) return false;
  std::shared_ptr<detail::FinalizerState> keep = state_;
  std::function<void()> f = detail::kill(keep);
  if (keep->never_runs || keep->heap->impl().finalizers_shut_down)
    return false;  // as Python's after shutdown
  f();             // called directly by the user: exceptions propagate to them
  return true;
}

std::optional<Finalizer::Info> Finalizer::detach() {
  std::optional<Info> info = peek();
  if (!info) return std::nullopt;
  std::shared_ptr<detail::FinalizerState> keep = state_;
  info->func = detail::kill(keep);
  return info;
}

std::optional<Finalizer::Info> Finalizer::peek() const {
  if (!alive()) return std::nullopt;
  Ref<Object> obj = state_->ref();
  if (!obj) return std::nullopt;
  return Info{std::move(obj), state_->func};
}

bool Finalizer::atexit() const noexcept { return alive() && state_->atexit; }
void Finalizer::set_atexit(bool value) noexcept {
  if (alive()) state_->atexit = value;
}

}  // namespace refgc
