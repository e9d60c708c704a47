// refgc/weak_set.h: WeakSet<T>, a set of weak references to objects (Python's
// weakref.WeakSet).
//
//   refgc::WeakSet<Node> live;
//   live.add(node);               // does not keep `node` alive
//   node.reset();                 // the member disappears now
//   live.size();                  // 0
//
// Members are compared by identity. contains() of an empty Ref is false;
// add() of an object that cannot be weakly referenced throws
// std::invalid_argument. Iteration walks a snapshot and skips members that
// died meanwhile, giving a strong Ref to each member while it is visited.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "refgc/weak_ref.h"

namespace refgc {

template <class T>
class WeakSet {
  struct State {
    std::unordered_map<const Object*, WeakRef<T>> data;
  };

 public:
  WeakSet() : state_(std::make_shared<State>()) {}
  WeakSet(WeakSet&&) noexcept = default;
  WeakSet& operator=(WeakSet&&) noexcept = default;

  void add(const Ref<T>& obj) {
    mut();
    if (!obj) throw std::invalid_argument("WeakSet::add: empty Ref");
    const Object* id = static_cast<const Object*>(obj.get());
    if (st().data.count(id) != 0) return;
    std::weak_ptr<State> weak = state_;
    WeakRef<T> w(obj, [weak, id](const WeakRef<T>&) {
      if (auto s = weak.lock()) s->data.erase(id);
    });
    st().data.emplace(id, std::move(w));
  }
  bool contains(const Ref<T>& obj) const {
    return obj && st().data.count(static_cast<const Object*>(obj.get())) != 0;
  }
  // remove(): throws std::out_of_range (KeyError) if absent; discard() does not.
  void remove(const Ref<T>& obj) {
    if (!contains(obj)) throw std::out_of_range("WeakSet::remove: not a member");
    discard(obj);
  }
  void discard(const Ref<T>& obj) {
    if (!obj) return;
    auto it = st().data.find(static_cast<const Object*>(obj.get()));
    if (it == st().data.end()) return;
    WeakRef<T> dead = std::move(it->second);
    st().data.erase(it);
  }
  std::size_t size() const noexcept { return st().data.size(); }
  bool empty() const noexcept { return st().data.empty(); }
  void clear() noexcept {
    std::unordered_map<const Object*, WeakRef<T>> dead;
    dead.swap(st().data);
  }

  class iterator {
   public:
    using Snapshot = std::vector<WeakRef<T>>;
    iterator() = default;
    iterator(std::shared_ptr<Snapshot> snap, std::size_t i) : snap_(std::move(snap)), i_(i) {
      settle();
    }
    const Ref<T>& operator*() const { return current_; }
    iterator& operator++() {
      ++i_;
      settle();
      return *this;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    void settle() {
      current_ = nullptr;
      if (!snap_) return;
      for (; i_ < snap_->size(); ++i_) {
        if ((current_ = (*snap_)[i_]())) return;
      }
      i_ = static_cast<std::size_t>(-1);  // == end()
    }
    std::shared_ptr<Snapshot> snap_;
    std::size_t i_ = 0;
    Ref<T> current_;
  };
  iterator begin() const {
    auto snap = std::make_shared<typename iterator::Snapshot>();
    snap->reserve(st().data.size());
    for (const auto& [id, w] : st().data) snap->push_back(w);
    return iterator(std::move(snap), 0);
  }
  iterator end() const { return iterator(nullptr, static_cast<std::size_t>(-1)); }

 private:
  // A moved-from container is empty and usable: st() reads through an empty
  // state, mut() makes a new one.
  const State& st() const noexcept {
    static const State empty;
    return state_ ? *state_ : empty;
  }
  State& st() noexcept { return mut(); }
  State& mut() {
    if (!state_) state_ = std::make_shared<State>();
    return *state_;
  }
  std::shared_ptr<State> state_;  // callbacks hold it weakly
};

}  // namespace refgc
