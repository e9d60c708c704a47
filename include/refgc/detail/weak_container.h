// refgc/detail/weak_container.h: what WeakValueDictionary, WeakKeyDictionary
// and WeakSet share. Internal.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "refgc/object.h"

namespace refgc::detail {

// A weak container's state lives in a shared_ptr: its entries' removal
// callbacks hold it weakly, so a container destroyed while a callback is
// pending is simply skipped. A moved-from container reads as empty and makes a
// new state when written to.
template <class State>
class WeakContainerState {
 public:
  WeakContainerState() : state_(std::make_shared<State>()) {}
  WeakContainerState(WeakContainerState&&) noexcept = default;
  WeakContainerState& operator=(WeakContainerState&&) noexcept = default;

  // Every operation goes through st() or mut(): debug builds check the
  // thread here.
  const State& st() const noexcept {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    static const State empty;
    return state_ ? *state_ : empty;
  }
  State& mut() {
    REFGC_DEBUG_REQUIRE_HEAP("uses a weak container");
    if (!state_) state_ = std::make_shared<State>();
    return *state_;
  }
  std::weak_ptr<State> weak() {
    mut();
    return state_;
  }

 private:
  std::shared_ptr<State> state_;
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
