// src/finalize.cc: weakref.finalize. Each live finalizer sits in a
// process-wide registry (so it keeps itself alive) and holds a weak reference
// with a callback to its object.
#include "refgc/finalize.h"

#include <algorithm>
#include <cstdint>
#include <mutex>
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
  bool alive = true;
  bool atexit = true;
};

namespace {

std::mutex registry_mutex;
std::vector<std::shared_ptr<FinalizerState>>& registry() {
  static auto* r = new std::vector<std::shared_ptr<FinalizerState>>();
  return *r;
}
std::uint64_t next_order = 0;

void unregister(const FinalizerState* s) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto& r = registry();
  r.erase(std::remove_if(r.begin(), r.end(), [&](const auto& p) { return p.get() == s; }), r.end());
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

void run(std::function<void()>& f) {
  if (!f) return;
  try {
    f();
  } catch (...) {
    write_unraisable("<finalize callback>");
  }
}

}  // namespace

void run_atexit_finalizers(Heap& heap) noexcept {
  // New finalizers created meanwhile are picked up: loop until none is left.
  for (;;) {
    std::shared_ptr<FinalizerState> newest;
    {
      std::lock_guard<std::mutex> lock(registry_mutex);
      for (auto& s : registry())
        if (s->heap == &heap && s->alive && s->atexit && !s->never_runs &&
            (!newest || s->order > newest->order))
          newest = s;
    }
    if (!newest) return;
    std::function<void()> f = kill(newest);
    run(f);
  }
}

void drop_finalizers(Heap& heap) noexcept {
  // From now on no finalizer of this heap runs, including ones created later
  // (Python's class-wide finalize._shutdown).
  heap.impl().finalizers_shut_down = true;
  std::vector<std::shared_ptr<FinalizerState>> mine;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto& r = registry();
    for (auto& s : r)
      if (s->heap == &heap) mine.push_back(s);
    r.erase(std::remove_if(r.begin(), r.end(), [&](const auto& p) { return p->heap == &heap; }),
            r.end());
  }
  // All dead first: releasing one's function may drop the last reference to
  // another's object, whose callback must then find it dead.
  for (auto& s : mine) s->alive = false;
  for (auto& s : mine) {
    s->func = nullptr;
    s->ref = WeakRef<Object>();  // its weak reference dies while the heap is held
  }
}

}  // namespace detail

Finalizer Finalizer::create(const Ref<Object>& obj, std::function<void()> func) {
  auto state = std::make_shared<detail::FinalizerState>();
  state->func = std::move(func);
  state->heap = &Heap::current();
  state->never_runs = state->heap->impl().finalizers_shut_down;
  std::weak_ptr<detail::FinalizerState> weak_state = state;
  state->ref = WeakRef<Object>(obj, [weak_state](const WeakRef<Object>&) {
    if (auto s = weak_state.lock()) {
      // Dead already (run, detached, or dropped with its heap, which may be
      // gone: its object outlived it as an orphan): nothing to do.
      std::function<void()> f = detail::kill(s);
      if (f && !s->never_runs && !s->heap->impl().finalizers_shut_down) detail::run(f);
    }
  });
  {
    std::lock_guard<std::mutex> lock(detail::registry_mutex);
    state->order = detail::next_order++;
    // One that never runs is not registered: nothing would ever run or drop
    // it, and the registry would keep its weak reference and its function
    // (objects of a heap being destroyed) for good. Its handle owns it.
    if (!state->never_runs) detail::registry().push_back(state);
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
