// refgc/detail/weak_container.h: what WeakValueDictionary, WeakKeyDictionary
// and WeakSet share. Internal.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "refgc/object.h"

namespace refgc::detail {

// A weak container's state lives in a counted block: its entries' removal
// callbacks hold it weakly (WeakStateRef), so a container destroyed while a
// callback is pending is simply skipped, and a callback that runs holds the
// state (lock()) until it returns. A moved-from container reads as empty and
// makes a new state when written to.
//
// This is std::shared_ptr / std::weak_ptr without the atomics: a container,
// its weak references and their callbacks are only used by the thread holding
// the heap, like every refgc object. The weak handle is one pointer, so a
// removal callback capturing it and a small key is stored inside its weak
// reference with no allocation (weak_ref.h), and copying or locking it costs
// no locked instruction.
template <class State>
class WeakStateBlock {
 public:
  WeakStateBlock() { ::new (static_cast<void*>(storage_)) State(); }
  State& state() noexcept { return *std::launder(reinterpret_cast<State*>(storage_)); }
  bool alive() const noexcept { return strong_ != 0; }
  void add_strong() noexcept { ++strong_; }
  void add_weak() noexcept { ++weak_; }
  // The last strong holder destroys the state (which may run callbacks that
  // drop weak holders: the block is held meanwhile), the last holder of any
  // kind frees the block.
  void release_strong() noexcept {
    if (--strong_ != 0) return;
    ++weak_;
    state().~State();
    release_weak();
  }
  void release_weak() noexcept {
    if (--weak_ == 0 && strong_ == 0) delete this;
  }

 private:
  alignas(State) unsigned char storage_[sizeof(State)];
  std::size_t strong_ = 1;
  std::size_t weak_ = 0;
};

// A strong hold on a container's state while a removal callback uses it.
template <class State>
class WeakStatePin {
 public:
  explicit WeakStatePin(WeakStateBlock<State>* b) noexcept : b_(b) {
    if (b_ != nullptr) b_->add_strong();
  }
  WeakStatePin(const WeakStatePin&) = delete;
  WeakStatePin& operator=(const WeakStatePin&) = delete;
  ~WeakStatePin() {
    if (b_ != nullptr) b_->release_strong();
  }
  explicit operator bool() const noexcept { return b_ != nullptr; }
  State* operator->() const noexcept { return &b_->state(); }

 private:
  WeakStateBlock<State>* b_;
};

// What a removal callback holds: the state, weakly.
template <class State>
class WeakStateRef {
 public:
  explicit WeakStateRef(WeakStateBlock<State>* b) noexcept : b_(b) { b_->add_weak(); }
  WeakStateRef(const WeakStateRef& o) noexcept : b_(o.b_) {
    if (b_ != nullptr) b_->add_weak();
  }
  WeakStateRef(WeakStateRef&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  WeakStateRef& operator=(const WeakStateRef&) = delete;
  ~WeakStateRef() {
    if (b_ != nullptr) b_->release_weak();
  }
  // Empty once the container is gone.
  WeakStatePin<State> lock() const noexcept {
    return WeakStatePin<State>(b_ != nullptr && b_->alive() ? b_ : nullptr);
  }

 private:
  WeakStateBlock<State>* b_;
};

template <class State>
class WeakContainerState {
 public:
  WeakContainerState() : b_(new WeakStateBlock<State>()) {}
  WeakContainerState(WeakContainerState&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  WeakContainerState& operator=(WeakContainerState&& o) noexcept {
    if (this != &o) {
      WeakStateBlock<State>* old = std::exchange(b_, std::exchange(o.b_, nullptr));
      if (old != nullptr) old->release_strong();
    }
    return *this;
  }
  ~WeakContainerState() {
    if (b_ != nullptr) b_->release_strong();
  }

  // Every operation goes through st() or mut(): debug builds check the
  // thread here.
  const State& st() const noexcept {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    static const State empty;
    return b_ != nullptr ? b_->state() : empty;
  }
  State& mut() {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    if (b_ == nullptr) b_ = new WeakStateBlock<State>();
    return b_->state();
  }
  WeakStateRef<State> weak() {
    mut();
    return WeakStateRef<State>(b_);
  }

 private:
  WeakStateBlock<State>* b_;
};

// Iterates over a snapshot taken when the loop started. `Live` turns a
// snapshot element into the value to visit (strong references) and returns
// false for an element whose referent has died since: it is skipped.
template <class Element, class Value, class Live>
class SnapshotIterator {
 public:
  using Snapshot = std::vector<Element>;
  SnapshotIterator() = default;
  SnapshotIterator(std::shared_ptr<Snapshot> snap, std::size_t i) : snap_(std::move(snap)), i_(i) {
    settle();
  }
  const Value& operator*() const { return current_; }
  const Value* operator->() const { return &current_; }
  SnapshotIterator& operator++() {
    ++i_;
    settle();
    return *this;
  }
  bool operator==(const SnapshotIterator& o) const { return i_ == o.i_; }
  static SnapshotIterator end() { return SnapshotIterator(nullptr, kEnd); }

 private:
  static constexpr std::size_t kEnd = static_cast<std::size_t>(-1);
  void settle() {
    current_ = Value{};
    if (!snap_) return;
    for (; i_ < snap_->size(); ++i_)
      if (Live{}((*snap_)[i_], current_)) return;
    i_ = kEnd;
  }
  std::shared_ptr<Snapshot> snap_;
  std::size_t i_ = kEnd;
  Value current_{};
};

}  // namespace refgc::detail
