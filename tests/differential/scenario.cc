// tests/differential/scenario.cc: the refgc side of a differential scenario.
//
// Every operation mirrors, step by step, the Python function of the same name
// that gen.py writes (op_set, op_get, ...): the same temporaries are held and
// released in the same order, so that objects die at the same moments and
// finalizers and callbacks log in the same order.
#include "scenario.h"

#include <refgc/refgc.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "../../src/testing_hooks.h"

namespace refgc_diff {

namespace {

struct State;

// Python's dict, keyed by ints and nodes: untracked until it holds a node
// (as a key or a value) or a dict, like a CPython dict (refgc/dict.h). A
// Ref key compares by identity: an int key is the one refgc::Int of that
// value (State::atom), so it behaves as Python's int key; a node key is a
// Python object without __eq__ (hashed and compared by identity).
using Key = refgc::Ref<refgc::Object>;
using NodeDict = refgc::Dict<Key, refgc::Object>;

// Python: class Node: __slots__ = ('a', 'b', 'c', 'd', 'i', 'w',
// '__weakref__'). CPython sorts slots by name, so traversal and clearing
// visit a, b, c, d, w.
struct Node : refgc::Object {
  static constexpr const char* refgc_type_name = "Node";
  explicit Node(State* s);
  ~Node() override;
  void trace(refgc::Tracer& t) override { t(f[0], f[1], f[2], d, w); }

  State* st;
  int id;
  std::array<refgc::Ref<Node>, 3> f;
  refgc::Ref<NodeDict> d;
  refgc::WeakRef<Node> w;
};

// Python: class FNode(Node) with __del__.
struct FNode final : Node {
  static constexpr const char* refgc_type_name = "FNode";
  FNode(State* s, int k, int x) : Node(s), kind(k), arg(x) {}
  void finalize() override;

  int kind;
  int arg;
};

struct State final : Runner {
  const Scenario& sc;
  std::vector<refgc::Ref<Node>> H;
  std::vector<refgc::WeakRef<Node>> W;
  std::vector<refgc::Ref<NodeDict>> D;
  // The ints of the dicts' keys and of dseti's and dsetk's values, one
  // object per value, made at its first use (CPython's small ints: refgc's
  // Int is not counted by the collector either).
  std::map<int, refgc::Ref<refgc::Int>> atoms;
  std::vector<refgc::Ref<Node>> saved;
  std::set<int> live;
  std::vector<char> alive;  // by node id: constructed and not destroyed
  std::vector<std::string> events;
  int next_id = 0;
  int next_weak = 0;
  // gcorder names a weak-reference object by its serial (wN, Python's WR.n),
  // or r for the shared callback-less one. Filled by op_wref; an entry of a
  // freed one is overwritten when its address is reused by the next.
  std::unordered_map<const refgc::Object*, int> weak_serial;
  // gcorder names a dict dN by its serial (creations count from 0).
  std::unordered_map<const refgc::Object*, int> dict_serial;
  int next_dict = 0;
  bool quiet = false;                 // teardown: finalizers and callbacks only log
  bool pause_gc_for_weakrefs = true;  // RunOptions::pause_gc_for_weakrefs
  refgc::Heap* heap = nullptr;

  explicit State(const Scenario& s)
      : sc(s),
        H(static_cast<std::size_t>(s.handles)),
        W(static_cast<std::size_t>(s.weakrefs)),
        D(static_cast<std::size_t>(s.dicts)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  // Nodes point back here: they must all be gone before the state is.
  ~State() override { teardown(); }

  // Everything goes; finalizers and callbacks still run (and log) but no
  // longer act, so nothing can be stored back. One full collection then
  // frees every cycle.
  void teardown() {
    quiet = true;
    refgc::gc::unfreeze();
    unsave();
    for (auto& h : H) h = nullptr;
    for (auto& w : W) w = refgc::WeakRef<Node>();
    for (auto& d : D) d = nullptr;
    atoms.clear();
    refgc::gc::collect();
  }

  const std::set<int>& live_ids() const override { return live; }
  std::set<int> reachable_ids() const override;
  std::size_t heap_live_objects() const override { return heap->live_objects(); }
  const std::vector<std::string>& log() const override { return events; }
  std::string check_invariants() const override;

  void emit(std::string line) { events.push_back(std::move(line)); }

  // Python: SAVED.clear() -- list_clear empties the list first, then drops
  // the items last to first.
  void unsave() {
    std::vector<refgc::Ref<Node>> items;
    items.swap(saved);
    while (!items.empty()) items.pop_back();
  }

  void collect_and_log(const char* what, int generation) {
    const std::size_t n = refgc::gc::collect(generation);
    emit(std::string(what) + " " + std::to_string(n));
  }

  void callback(int serial, int kind, int x) {
    emit("cb " + std::to_string(serial));
    if (quiet) return;
    switch (kind) {
      case kCbDropX:
        H[static_cast<std::size_t>(x % sc.handles)] = nullptr;
        break;
      case kCbUnsave:
        unsave();
        break;
      case kCbWDropX:
        W[static_cast<std::size_t>(x % sc.weakrefs)] = refgc::WeakRef<Node>();
        break;
      case kCbCollect:
        collect_and_log("cbcollect", 0);
        break;
      case kCbDictClear:
        if (!D.empty()) {
          refgc::Ref<NodeDict> v = D[static_cast<std::size_t>(x) % D.size()];
          if (v) v->clear();
          v.reset();
        }
        break;
      default:
        break;
    }
  }

  void step(const Op& op);
  const refgc::Ref<refgc::Int>& atom(int x) {
    refgc::Ref<refgc::Int>& a = atoms[x];
    if (!a) a = refgc::make<refgc::Int>(x);
    return a;
  }
  // The dict key of the int x (the same object for the same x).
  Key key(int x) { return Key(atom(x)); }
  void op_wref(int w, int h, bool with_callback, int kind, int x);
  void survivors();
};

Node::Node(State* s) : st(s), id(s->next_id++) {
  st->live.insert(id);
  st->alive.push_back(1);  // ids count up from 0
}

Node::~Node() {
  st->live.erase(id);
  st->alive[static_cast<std::size_t>(id)] = 0;
  // CPython's clear_slots: a, b, c, w in order, each released at once.
  f[0] = nullptr;
  f[1] = nullptr;
  f[2] = nullptr;
  d = nullptr;
  w = refgc::WeakRef<Node>();
}

void FNode::finalize() {
  st->emit("del " + std::to_string(id));
  if (st->quiet) return;
  const auto hx = static_cast<std::size_t>(arg % st->sc.handles);
  switch (kind) {
    case kFinResurrect:
      st->saved.push_back(refgc::Ref<Node>(this));
      break;
    case kFinClearA:
      f[0] = nullptr;
      break;
    case kFinDropX:
      st->H[hx] = nullptr;
      break;
    case kFinLinkX: {
      refgc::Ref<Node> v = st->H[hx];
      f[0] = v;
      v.reset();
      break;
    }
    case kFinStoreX: {
      refgc::Ref<Node> v(this);
      st->H[hx] = v;
      v.reset();
      break;
    }
    case kFinUnsave:
      st->unsave();
      break;
    case kFinSelfCycle: {
      refgc::Ref<Node> v(this);
      f[1] = v;
      v.reset();
      break;
    }
    case kFinCollect:
      st->collect_and_log("fcollect", 0);
      break;
    case kFinAlloc: {
      refgc::Ref<Node> v = refgc::make<Node>(st);
      st->H[hx] = v;
      v.reset();
      break;
    }
    case kFinDictStore:
    case kFinDictClear:
      if (!st->D.empty()) {
        refgc::Ref<NodeDict> v = st->D[static_cast<std::size_t>(arg) % st->D.size()];
        if (v && kind == kFinDictStore) v->set(st->key(0), refgc::Ref<Node>(this));
        if (v && kind == kFinDictClear) v->clear();
        v.reset();
      }
      break;
    case kFinDictSelf: {
      refgc::Ref<NodeDict> v = d;
      if (v) v->set(st->key(1), refgc::Ref<Node>(this));
      v.reset();
      break;
    }
    case kFinDictStoreKey:
      if (!st->D.empty()) {
        refgc::Ref<NodeDict> v = st->D[static_cast<std::size_t>(arg) % st->D.size()];
        if (v) v->set(Key(this), st->atom(0));
        v.reset();
      }
      break;
    case kFinDictSelfKey: {
      refgc::Ref<NodeDict> v = d;
      if (v) v->set(Key(this), st->atom(1));
      v.reset();
      break;
    }
    default:
      break;
  }
}

// Calls on_node(n) and on_dict(e) for the nodes and dicts that d holds, in
// dict_traverse's order: each entry's value, then its key (a key is a node
// or an int: a dict is unhashable in Python).
template <class NodeFn, class DictFn>
void for_each_held(const NodeDict& d, NodeFn on_node, DictFn on_dict) {
  auto visit = [&](const refgc::Object* o) {
    if (const auto* n = dynamic_cast<const Node*>(o)) {
      on_node(n);
    } else if (const auto* e = dynamic_cast<const NodeDict*>(o)) {
      on_dict(e);
    }
  };
  for (const auto& [key, value] : d) {
    visit(value.get());
    visit(key.get());
  }
}

// Calls on_int(i) for every int key and int value of d.
template <class IntFn>
void for_each_int(const NodeDict& d, IntFn on_int) {
  for (const auto& [key, value] : d) {
    if (const auto* i = dynamic_cast<const refgc::Int*>(value.get())) on_int(i);
    if (const auto* i = dynamic_cast<const refgc::Int*>(key.get())) on_int(i);
  }
}

// Everything reachable from H, SAVED and D through strong references (node
// fields, node dicts, dict values and keys): calls on_node(n) for every path to a
// node (it returns whether to go on from n: false when already seen), each
// dict once.
template <class NodeFn>
void walk_strong(const std::vector<refgc::Ref<Node>>& handles,
                 const std::vector<refgc::Ref<Node>>& saved,
                 const std::vector<refgc::Ref<NodeDict>>& dicts, NodeFn on_node) {
  std::vector<const Node*> todo;
  std::vector<const NodeDict*> dict_todo;
  std::set<const NodeDict*> dicts_seen;  // empty without dicts
  auto push = [&todo](const Node* n) { todo.push_back(n); };
  auto push_dict = [&dict_todo](const NodeDict* d) { dict_todo.push_back(d); };
  for (const auto& r : handles)
    if (r) todo.push_back(r.get());
  for (const auto& r : saved)
    if (r) todo.push_back(r.get());
  for (const auto& d : dicts)
    if (d) dict_todo.push_back(d.get());
  while (!todo.empty() || !dict_todo.empty()) {
    if (!dict_todo.empty()) {
      const NodeDict* d = dict_todo.back();
      dict_todo.pop_back();
      if (dicts_seen.insert(d).second) for_each_held(*d, push, push_dict);
      continue;
    }
    const Node* n = todo.back();
    todo.pop_back();
    if (!on_node(n)) continue;
    for (const auto& r : n->f)
      if (r) todo.push_back(r.get());
    if (n->d) dict_todo.push_back(n->d.get());
  }
}

std::set<int> State::reachable_ids() const {
  std::set<int> seen;
  walk_strong(H, saved, D, [&seen](const Node* n) { return seen.insert(n->id).second; });
  return seen;
}

std::string State::check_invariants() const {
  // Sets and maps would dominate the fuzzer's time: everything here is a
  // vector indexed by node id, or a sorted vector of weak-reference objects.
  const std::size_t ids = alive.size();
  std::vector<char> seen(ids, 0);
  std::string freed;
  walk_strong(H, saved, D, [&](const Node* n) {
    const auto id = static_cast<std::size_t>(n->id);
    if (alive[id] == 0) {
      if (freed.empty()) freed = "node " + std::to_string(id) + " is reachable but was freed";
      return false;
    }
    if (seen[id] != 0) return false;
    seen[id] = 1;
    return true;
  });
  if (!freed.empty()) return freed;
  for (std::size_t i = 0; i < W.size(); ++i) {
    if (refgc::Ref<Node> o = W[i]()) {
      if (alive[static_cast<std::size_t>(o->id)] == 0)
        return "W[" + std::to_string(i) + "] points to a freed node";
    }
  }
  const std::size_t frozen = refgc::gc::get_freeze_count();
  const std::vector<refgc::Ref<refgc::Object>> all = refgc::gc::get_objects();
  // The untracked Dicts: a live one is held by D, by a node or by a tracked
  // dict (every live node is tracked), since holding no node and no dict
  // (as a value or a key) it cannot be in a cycle.
  std::vector<const NodeDict*> untracked;
  auto note_untracked = [&untracked](const NodeDict* d) {
    if (d != nullptr && !refgc::gc::is_tracked(*d)) untracked.push_back(d);
  };
  for (const auto& d : D) note_untracked(d.get());
  for (const auto& o : all) {
    if (const auto* n = dynamic_cast<const Node*>(o.get())) {
      note_untracked(n->d.get());
    } else if (const auto* d = dynamic_cast<const NodeDict*>(o.get())) {
      for_each_held(
          *d, [](const Node*) {}, note_untracked);
    }
  }
  std::sort(untracked.begin(), untracked.end());
  untracked.erase(std::unique(untracked.begin(), untracked.end()), untracked.end());
  for (const NodeDict* d : untracked) {
    bool holds_gc = false;
    auto found = [&holds_gc](const auto*) { holds_gc = true; };
    for_each_held(*d, found, found);
    if (holds_gc) return "an untracked dict holds a node or a dict (a value or a key)";
  }
  // With objects frozen (the fuzz target's freeze), an untracked dict that
  // only frozen objects hold is not found above: gc::get_objects() leaves
  // the permanent generation out, and nothing else lists it. The objects
  // found are then a lower bound, and the dicts missed (`hidden`) may count
  // in count0 as the found ones do.
  const std::size_t live_objects = heap->live_objects();
  const std::size_t found = all.size() + frozen + untracked.size() + atoms.size();
  if (frozen == 0 ? live_objects != found : live_objects < found) {
    return "heap has " + std::to_string(live_objects) + " live objects but " +
           std::to_string(all.size()) + " tracked + " + std::to_string(frozen) + " frozen + " +
           std::to_string(untracked.size()) + " untracked dicts + " + std::to_string(atoms.size()) +
           " ints";
  }
  const std::size_t hidden = live_objects - found;
  const std::size_t young = refgc::gc::get_objects(0).size();
  const std::size_t count0 = refgc::gc::get_count()[0];
  if (count0 > young + untracked.size() + hidden) {
    return "count0 " + std::to_string(count0) + " exceeds generation 0's size " +
           std::to_string(young) + " plus " + std::to_string(untracked.size() + hidden) +
           " untracked dicts";
  }
  if (frozen != 0) return "";
  // Exact refcounts: what the tables, the nodes' fields and the dicts hold,
  // plus the reference `all` holds.
  std::vector<const Node*> nodes;
  std::vector<const NodeDict*> dicts;      // the tracked ones
  std::vector<const refgc::Object*> weak;  // the other tracked objects
  for (const auto& o : all) {
    if (const auto* n = dynamic_cast<const Node*>(o.get())) {
      nodes.push_back(n);
    } else if (const auto* d = dynamic_cast<const NodeDict*>(o.get())) {
      dicts.push_back(d);
    } else {
      weak.push_back(o.get());
    }
  }
  if (nodes.size() != live.size()) {
    return "the generations hold " + std::to_string(nodes.size()) + " nodes, " +
           std::to_string(live.size()) + " are alive";
  }
  std::sort(weak.begin(), weak.end());
  std::vector<std::uint32_t> node_refs(ids, 0);
  std::vector<std::uint32_t> weak_refs(weak.size(), 0);
  std::unordered_map<const NodeDict*, std::uint32_t> dict_refs;
  bool untracked_weak = false;
  auto count_weak = [&](const refgc::WeakRef<Node>& w) {
    if (w.empty()) return;
    const auto it = std::lower_bound(weak.begin(), weak.end(), w.object().get());
    if (it == weak.end() || *it != w.object().get()) {
      untracked_weak = true;
    } else {
      ++weak_refs[static_cast<std::size_t>(it - weak.begin())];
    }
  };
  auto count_node = [&node_refs](const Node* n) { ++node_refs[static_cast<std::size_t>(n->id)]; };
  for (const auto& r : H)
    if (r) count_node(r.get());
  for (const auto& r : saved)
    if (r) count_node(r.get());
  for (const auto& d : D)
    if (d) ++dict_refs[d.get()];
  for (const auto& w : W) count_weak(w);
  for (const Node* n : nodes) {
    if (alive[static_cast<std::size_t>(n->id)] == 0) return "a freed node is tracked";
    for (const auto& r : n->f)
      if (r) count_node(r.get());
    if (n->d) ++dict_refs[n->d.get()];
    count_weak(n->w);
  }
  for (const NodeDict* d : dicts)
    for_each_held(*d, count_node, [&dict_refs](const NodeDict* e) { ++dict_refs[e]; });
  if (untracked_weak) return "a weak reference object is not tracked";
  for (const Node* n : nodes) {
    const std::uint32_t want = node_refs[static_cast<std::size_t>(n->id)] + 1;
    if (n->refcount() != want) {
      return "refcount of node " + std::to_string(n->id) + " is " + std::to_string(n->refcount()) +
             ", expected " + std::to_string(want);
    }
  }
  for (std::size_t i = 0; i < weak.size(); ++i) {
    if (weak[i]->refcount() != weak_refs[i] + 1) {
      return "refcount of a weak reference is " + std::to_string(weak[i]->refcount()) +
             ", expected " + std::to_string(weak_refs[i] + 1);
    }
  }
  for (const NodeDict* d : dicts) {
    if (d->refcount() != dict_refs[d] + 1) {
      return "refcount of a tracked dict is " + std::to_string(d->refcount()) + ", expected " +
             std::to_string(dict_refs[d] + 1);
    }
  }
  for (const NodeDict* d : untracked) {
    if (d->refcount() != dict_refs[d]) {
      return "refcount of an untracked dict is " + std::to_string(d->refcount()) + ", expected " +
             std::to_string(dict_refs[d]);
    }
  }
  // The ints: atoms holds each once, and every key or value of a dict
  // (tracked or not) that is it once more.
  std::unordered_map<const refgc::Int*, std::uint32_t> int_refs;
  auto count_int = [&int_refs](const refgc::Int* i) { ++int_refs[i]; };
  for (const NodeDict* d : dicts) for_each_int(*d, count_int);
  for (const NodeDict* d : untracked) for_each_int(*d, count_int);
  for (const auto& [value, i] : atoms) {
    if (i->refcount() != int_refs[i.get()] + 1) {
      return "refcount of the int " + std::to_string(value) + " is " +
             std::to_string(i->refcount()) + ", expected " + std::to_string(int_refs[i.get()] + 1);
    }
  }
  return "";
}

void State::op_wref(int w, int h, bool with_callback, int kind, int x) {
  auto& slot = W[static_cast<std::size_t>(w)];
  refgc::Ref<Node> o = H[static_cast<std::size_t>(h)];
  // The differential scenarios keep one weak reference per object: see
  // README.md ("What is not compared").
  if (!o || (!sc.multiweak && refgc::getweakrefcount(o) != 0)) {
    o.reset();
    slot = refgc::WeakRef<Node>();
    return;
  }
  refgc::WeakRef<Node> r;
  const bool resume = pause_gc_for_weakrefs && refgc::gc::isenabled();
  if (resume) refgc::gc::disable();
  if (with_callback) {
    const int serial = next_weak++;
    r = refgc::WeakRef<Node>(
        o, [this, serial, kind, x](const refgc::WeakRef<Node>&) { callback(serial, kind, x); });
  } else {
    r = refgc::WeakRef<Node>(o);
  }
  if (resume) refgc::gc::enable();
  weak_serial[r.object().get()] = with_callback ? next_weak - 1 : -1;
  o.reset();
  slot = r;
  r = refgc::WeakRef<Node>();
}

void State::survivors() {
  std::string line = "survivors";
  for (int id : live) line += " " + std::to_string(id);
  emit(std::move(line));
}

void State::step(const Op& op) {
  const auto ha = static_cast<std::size_t>(op.a);
  switch (op.code) {
    case OpCode::kNew: {
      refgc::Ref<Node> v = refgc::make<Node>(this);
      H[ha] = v;
      v.reset();
      break;
    }
    case OpCode::kNewF: {
      refgc::Ref<Node> v = refgc::make<FNode>(this, op.b, op.c);
      H[ha] = v;
      v.reset();
      break;
    }
    case OpCode::kSet: {
      refgc::Ref<Node> o = H[ha];
      if (o) {
        refgc::Ref<Node> v = H[static_cast<std::size_t>(op.c)];
        o->f[static_cast<std::size_t>(op.b)] = v;
        v.reset();
      }
      o.reset();
      break;
    }
    case OpCode::kClr: {
      refgc::Ref<Node> o = H[ha];
      if (o) o->f[static_cast<std::size_t>(op.b)] = nullptr;
      o.reset();
      break;
    }
    case OpCode::kGet: {
      refgc::Ref<Node> o = H[ha];
      refgc::Ref<Node> v;
      if (o) v = o->f[static_cast<std::size_t>(op.b)];
      o.reset();
      H[static_cast<std::size_t>(op.c)] = v;
      v.reset();
      break;
    }
    case OpCode::kCp: {
      refgc::Ref<Node> v = H[ha];
      H[static_cast<std::size_t>(op.b)] = v;
      v.reset();
      break;
    }
    case OpCode::kDrop:
      H[ha] = nullptr;
      break;
    case OpCode::kWRef:
      op_wref(op.a, op.b, false, 0, 0);
      break;
    case OpCode::kWRefCb:
      op_wref(op.a, op.b, true, op.c, op.d);
      break;
    case OpCode::kWDrop:
      W[ha] = refgc::WeakRef<Node>();
      break;
    case OpCode::kWChk: {
      refgc::WeakRef<Node> r = W[ha];
      std::string line = "w" + std::to_string(op.a);
      if (r.empty()) {
        line += " none";
      } else if (refgc::Ref<Node> o = r()) {
        line += " alive " + std::to_string(o->id);
      } else {
        line += " dead";
      }
      r = refgc::WeakRef<Node>();
      emit(std::move(line));
      break;
    }
    case OpCode::kWSet: {
      refgc::Ref<Node> o = H[ha];
      if (o) {
        refgc::WeakRef<Node> v = W[static_cast<std::size_t>(op.b)];
        o->w = v;
        v = refgc::WeakRef<Node>();
      }
      o.reset();
      break;
    }
    case OpCode::kWClr: {
      refgc::Ref<Node> o = H[ha];
      if (o) o->w = refgc::WeakRef<Node>();
      o.reset();
      break;
    }
    case OpCode::kWGet: {
      refgc::Ref<Node> o = H[ha];
      refgc::WeakRef<Node> v;
      if (o) v = o->w;
      o.reset();
      W[static_cast<std::size_t>(op.b)] = v;
      v = refgc::WeakRef<Node>();
      break;
    }
    case OpCode::kCollect:
      collect_and_log(("collect " + std::to_string(op.a)).c_str(), op.a);
      break;
    case OpCode::kThresh:
      refgc::gc::set_threshold(op.a, op.b, op.c);
      break;
    case OpCode::kEnable:
      refgc::gc::enable();
      break;
    case OpCode::kDisable:
      refgc::gc::disable();
      break;
    case OpCode::kCount: {
      const auto c = refgc::gc::get_count();
      emit("count " + std::to_string(c[0]) + " " + std::to_string(c[1]) + " " +
           std::to_string(c[2]));
      break;
    }
    case OpCode::kUnsave:
      unsave();
      break;
    case OpCode::kSurvivors:
      survivors();
      break;
    case OpCode::kGcOrder: {
      std::string line = "gen " + std::to_string(op.a) + ":";
      for (const auto& o : refgc::gc::get_objects(op.a)) {
        if (const auto* n = dynamic_cast<const Node*>(o.get())) {
          line += " " + std::to_string(n->id);
        } else if (dynamic_cast<const refgc::detail::WeakRefObject*>(o.get()) != nullptr) {
          const auto it = weak_serial.find(o.get());
          line +=
              it == weak_serial.end() || it->second < 0 ? " r" : " w" + std::to_string(it->second);
        } else if (dynamic_cast<const NodeDict*>(o.get()) != nullptr) {
          const auto it = dict_serial.find(o.get());
          line += " d" + (it == dict_serial.end() ? std::string("?") : std::to_string(it->second));
        }
      }
      emit(std::move(line));
      break;
    }
    case OpCode::kFreeze:
      refgc::gc::freeze();
      break;
    case OpCode::kUnfreeze:
      refgc::gc::unfreeze();
      break;
    case OpCode::kIsFin: {
      refgc::Ref<Node> o = H[ha];
      std::string line = "isfin " + std::to_string(op.a);
      line += !o ? " none" : refgc::gc::is_finalized(o) ? " 1" : " 0";
      o.reset();
      emit(std::move(line));
      break;
    }
    // Dicts: the Python functions op_dnew ... op_dtrk.
    case OpCode::kDNew: {
      refgc::Ref<NodeDict> v = refgc::make<NodeDict>();
      dict_serial[v.get()] = next_dict++;
      D[ha] = v;
      v.reset();
      break;
    }
    case OpCode::kDSet: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d) {
        refgc::Ref<Node> v = H[static_cast<std::size_t>(op.c)];
        d->set(key(op.b), v);
        v.reset();
      }
      d.reset();
      break;
    }
    case OpCode::kDSetD: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d) {
        refgc::Ref<NodeDict> v = D[static_cast<std::size_t>(op.c)];
        d->set(key(op.b), v);
        v.reset();
      }
      d.reset();
      break;
    }
    case OpCode::kDSetI: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d) d->set(key(op.b), atom(op.c));
      d.reset();
      break;
    }
    case OpCode::kDDel: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d && d->contains(key(op.b))) d->erase(key(op.b));
      d.reset();
      break;
    }
    case OpCode::kDClr: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d) d->clear();
      d.reset();
      break;
    }
    case OpCode::kDDrop:
      D[ha] = nullptr;
      break;
    case OpCode::kDGet: {
      refgc::Ref<NodeDict> d = D[ha];
      refgc::Ref<Node> v;
      if (d) v = refgc::ref_cast<Node>(d->get(key(op.b)));
      d.reset();
      H[static_cast<std::size_t>(op.c)] = v;
      v.reset();
      break;
    }
    case OpCode::kDPut: {
      refgc::Ref<Node> o = H[ha];
      if (o) {
        refgc::Ref<NodeDict> v = D[static_cast<std::size_t>(op.b)];
        o->d = v;
        v.reset();
      }
      o.reset();
      break;
    }
    case OpCode::kDTake: {
      refgc::Ref<Node> o = H[ha];
      refgc::Ref<NodeDict> v;
      if (o) v = o->d;
      o.reset();
      D[static_cast<std::size_t>(op.b)] = v;
      v.reset();
      break;
    }
    case OpCode::kDTrk: {
      refgc::Ref<NodeDict> d = D[ha];
      std::string line = "dtrk " + std::to_string(op.a);
      line += !d ? " none" : refgc::gc::is_tracked(d) ? " 1" : " 0";
      d.reset();
      emit(std::move(line));
      break;
    }
    // Node keys: the Python functions op_dsetk, op_dsetkh, op_ddelk, op_dgetk.
    case OpCode::kDSetK: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d) {
        refgc::Ref<Node> k = H[static_cast<std::size_t>(op.b)];
        if (k) d->set(Key(k), atom(op.c));
        k.reset();
      }
      d.reset();
      break;
    }
    case OpCode::kDSetKH: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d) {
        refgc::Ref<Node> k = H[static_cast<std::size_t>(op.b)];
        if (k) {
          refgc::Ref<Node> v = H[static_cast<std::size_t>(op.c)];
          d->set(Key(k), v);
          v.reset();
        }
        k.reset();
      }
      d.reset();
      break;
    }
    case OpCode::kDDelK: {
      refgc::Ref<NodeDict> d = D[ha];
      if (d) {
        refgc::Ref<Node> k = H[static_cast<std::size_t>(op.b)];
        if (k && d->contains(Key(k))) d->erase(Key(k));
        k.reset();
      }
      d.reset();
      break;
    }
    case OpCode::kDGetK: {
      refgc::Ref<NodeDict> d = D[ha];
      refgc::Ref<Node> v;
      if (d) {
        refgc::Ref<Node> k = H[static_cast<std::size_t>(op.b)];
        if (k) v = refgc::ref_cast<Node>(d->get(Key(k)));
        k.reset();
      }
      d.reset();
      H[static_cast<std::size_t>(op.c)] = v;
      v.reset();
      break;
    }
  }
}

// --- the text format --------------------------------------------------------

struct Spec {
  const char* name;
  OpCode code;
  int arity;
};
constexpr Spec kSpecs[] = {
    {"new", OpCode::kNew, 1},
    {"newf", OpCode::kNewF, 3},
    {"set", OpCode::kSet, 3},
    {"clr", OpCode::kClr, 2},
    {"get", OpCode::kGet, 3},
    {"cp", OpCode::kCp, 2},
    {"drop", OpCode::kDrop, 1},
    {"wref", OpCode::kWRef, 2},
    {"wrefcb", OpCode::kWRefCb, 4},
    {"wdrop", OpCode::kWDrop, 1},
    {"wchk", OpCode::kWChk, 1},
    {"wset", OpCode::kWSet, 2},
    {"wclr", OpCode::kWClr, 1},
    {"wget", OpCode::kWGet, 2},
    {"collect", OpCode::kCollect, 1},
    {"thresh", OpCode::kThresh, 3},
    {"enable", OpCode::kEnable, 0},
    {"disable", OpCode::kDisable, 0},
    {"count", OpCode::kCount, 0},
    {"unsave", OpCode::kUnsave, 0},
    {"survivors", OpCode::kSurvivors, 0},
    {"gcorder", OpCode::kGcOrder, 1},
    {"freeze", OpCode::kFreeze, 0},
    {"unfreeze", OpCode::kUnfreeze, 0},
    {"isfin", OpCode::kIsFin, 1},
    {"dnew", OpCode::kDNew, 1},
    {"dset", OpCode::kDSet, 3},
    {"dseti", OpCode::kDSetI, 3},
    {"ddel", OpCode::kDDel, 2},
    {"dclr", OpCode::kDClr, 1},
    {"ddrop", OpCode::kDDrop, 1},
    {"dget", OpCode::kDGet, 3},
    {"dput", OpCode::kDPut, 2},
    {"dtake", OpCode::kDTake, 2},
    {"dtrk", OpCode::kDTrk, 1},
    {"dsetd", OpCode::kDSetD, 3},
    {"dsetk", OpCode::kDSetK, 3},
    {"ddelk", OpCode::kDDelK, 2},
    {"dgetk", OpCode::kDGetK, 3},
    {"dsetkh", OpCode::kDSetKH, 3},
};

const Spec& spec_of(OpCode code) {
  for (const Spec& s : kSpecs)
    if (s.code == code) return s;
  return kSpecs[0];
}

// Which argument positions are field names (a, b, c) rather than numbers.
bool is_field_arg(OpCode code, int index) {
  return (code == OpCode::kSet || code == OpCode::kClr || code == OpCode::kGet) && index == 1;
}

// Range checks: kind of each argument.
enum class Arg { kHandle, kWeak, kField, kFinKind, kCbKind, kAny, kGen, kThreshold, kDict, kAtom };
Arg arg_kind(OpCode code, int i) {
  switch (code) {
    case OpCode::kNew:
    case OpCode::kDrop:
    case OpCode::kCp:
    case OpCode::kWClr:
    case OpCode::kIsFin:
      return Arg::kHandle;
    case OpCode::kNewF:
      return i == 0 ? Arg::kHandle : i == 1 ? Arg::kFinKind : Arg::kAny;
    case OpCode::kSet:
    case OpCode::kGet:
    case OpCode::kClr:
      return i == 1 ? Arg::kField : Arg::kHandle;
    case OpCode::kWRef:
      return i == 0 ? Arg::kWeak : Arg::kHandle;
    case OpCode::kWRefCb:
      return i == 0 ? Arg::kWeak : i == 1 ? Arg::kHandle : i == 2 ? Arg::kCbKind : Arg::kAny;
    case OpCode::kWDrop:
    case OpCode::kWChk:
      return Arg::kWeak;
    case OpCode::kWSet:
    case OpCode::kWGet:
      return i == 0 ? Arg::kHandle : Arg::kWeak;
    case OpCode::kCollect:
    case OpCode::kGcOrder:
      return Arg::kGen;
    case OpCode::kThresh:
      return Arg::kThreshold;
    case OpCode::kDNew:
    case OpCode::kDClr:
    case OpCode::kDDrop:
    case OpCode::kDTrk:
    case OpCode::kDDel:  // (the key: any)
      return i == 0 ? Arg::kDict : Arg::kAny;
    case OpCode::kDSet:
    case OpCode::kDGet:
      return i == 0 ? Arg::kDict : i == 1 ? Arg::kAny : Arg::kHandle;
    case OpCode::kDSetI:
      return i == 0 ? Arg::kDict : i == 1 ? Arg::kAny : Arg::kAtom;
    case OpCode::kDSetD:
      return i == 1 ? Arg::kAny : Arg::kDict;
    case OpCode::kDPut:
    case OpCode::kDTake:
      return i == 0 ? Arg::kHandle : Arg::kDict;
    case OpCode::kDSetK:
      return i == 0 ? Arg::kDict : i == 1 ? Arg::kHandle : Arg::kAtom;
    case OpCode::kDDelK:
    case OpCode::kDGetK:
    case OpCode::kDSetKH:
      return i == 0 ? Arg::kDict : Arg::kHandle;
    default:
      return Arg::kAny;
  }
}

bool in_range(Arg kind, int v, const Scenario& s) {
  switch (kind) {
    case Arg::kHandle:
      return v >= 0 && v < s.handles;
    case Arg::kWeak:
      return v >= 0 && v < s.weakrefs;
    case Arg::kField:
      return v >= 0 && v < 3;
    case Arg::kFinKind:
      return v >= 0 && v < kFinKindsAll;
    case Arg::kCbKind:
      return v >= 0 && v < kCbKindsAll;
    case Arg::kGen:
      return v >= 0 && v <= 2;
    case Arg::kThreshold:
      return v >= 0 && v <= 1000000;
    case Arg::kAny:
      return v >= 0 && v <= 1000000;
    case Arg::kDict:
      return v >= 0 && v < s.dicts;
    case Arg::kAtom:
      return v >= 0 && v < kDictAtoms;
  }
  return false;
}

bool to_int(std::string_view word, int& out) {
  const char* end = word.data() + word.size();
  auto [p, ec] = std::from_chars(word.data(), end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

bool parse(std::string_view text, Scenario& out, std::string& error) {
  Scenario s;
  std::istringstream in{std::string(text)};
  std::string line;
  int lineno = 0;
  auto fail = [&](const std::string& what) {
    error = "line " + std::to_string(lineno) + ": " + what + ": '" + line + "'";
    return false;
  };
  while (std::getline(in, line)) {
    ++lineno;
    std::string_view body(line);
    if (const auto hash = body.find('#'); hash != std::string_view::npos)
      body = body.substr(0, hash);
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < body.size()) {
      while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t' || body[pos] == '\r'))
        ++pos;
      std::size_t end = pos;
      while (end < body.size() && body[end] != ' ' && body[end] != '\t' && body[end] != '\r') ++end;
      if (end > pos) words.push_back(body.substr(pos, end - pos));
      pos = end;
    }
    if (words.empty()) continue;
    const std::string_view head = words[0];
    if (head == "handles" || head == "weakrefs" || head == "dicts") {
      int v = 0;
      if (words.size() != 2 || !to_int(words[1], v) || v < (head == "dicts" ? 0 : 1) ||
          v > kMaxTable)
        return fail("bad table size");
      if (!s.ops.empty()) return fail("table sizes must come before the operations");
      (head == "handles" ? s.handles : head == "weakrefs" ? s.weakrefs : s.dicts) = v;
      continue;
    }
    if (head == "multiweak" || head == "longlived") {
      if (words.size() != 1) return fail(std::string(head) + " takes no argument");
      (head == "multiweak" ? s.multiweak : s.longlived) = true;
      continue;
    }
    const Spec* spec = nullptr;
    for (const Spec& sp : kSpecs)
      if (head == sp.name) spec = &sp;
    if (spec == nullptr) return fail("unknown operation");
    if (static_cast<int>(words.size()) != spec->arity + 1) return fail("wrong number of arguments");
    Op op;
    op.code = spec->code;
    int* args[4] = {&op.a, &op.b, &op.c, &op.d};
    for (int i = 0; i < spec->arity; ++i) {
      const std::string_view w = words[static_cast<std::size_t>(i) + 1];
      int v = 0;
      if (is_field_arg(op.code, i)) {
        if (w.size() != 1 || w[0] < 'a' || w[0] > 'c') return fail("field must be a, b or c");
        v = w[0] - 'a';
      } else if (!to_int(w, v)) {
        return fail("not a number");
      }
      if (!in_range(arg_kind(op.code, i), v, s)) return fail("argument out of range");
      *args[i] = v;
    }
    s.ops.push_back(op);
  }
  out = std::move(s);
  return true;
}

std::string format_op(const Op& op) {
  const Spec& spec = spec_of(op.code);
  std::string line = spec.name;
  const int args[4] = {op.a, op.b, op.c, op.d};
  for (int i = 0; i < spec.arity; ++i) {
    line += ' ';
    if (is_field_arg(op.code, i)) {
      line += static_cast<char>('a' + args[i]);
    } else {
      line += std::to_string(args[i]);
    }
  }
  return line;
}

std::string format(const Scenario& s) {
  std::string text =
      "handles " + std::to_string(s.handles) + "\nweakrefs " + std::to_string(s.weakrefs) + "\n";
  if (s.dicts != 0) text += "dicts " + std::to_string(s.dicts) + "\n";
  if (s.multiweak) text += "multiweak\n";
  if (s.longlived) text += "longlived\n";
  for (const Op& op : s.ops) text += format_op(op) + "\n";
  return text;
}

RunResult run(const Scenario& s, const RunOptions& options) {
  RunResult result;
  refgc::Heap heap;
  {
    refgc::Heap::Lock lock(heap);
    State st(s);
    st.heap = &heap;
    st.pause_gc_for_weakrefs = options.pause_gc_for_weakrefs;
    for (std::size_t i = 0; i < s.ops.size(); ++i) {
      st.step(s.ops[i]);
      if (s.longlived) {
        const auto ll = refgc::detail::testing::long_lived(heap);
        std::string line =
            "ll " + std::to_string(ll.total) + " " + std::to_string(ll.pending) + " st";
        for (const refgc::gc::GenerationStats& g : refgc::gc::get_stats()) {
          line += " " + std::to_string(g.collections) + " " + std::to_string(g.collected) + " " +
                  std::to_string(g.uncollectable);
        }
        st.emit(std::move(line));
      }
      if (options.after_step) options.after_step(st, i);
    }
    result.log = st.events;
    if (options.teardown) {
      st.teardown();
      result.leaked_nodes = st.live.size();
      result.leaked_objects = heap.live_objects();
      if (options.after_step) options.after_step(st, s.ops.size());
    }
  }
  return result;
}

}  // namespace refgc_diff
