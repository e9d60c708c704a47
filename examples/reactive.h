// examples/reactive.h: a small reactive-signals library on refgc (the data
// layer of a GUI toolkit, as in SolidJS, MobX or Qt property bindings),
// written from the public headers only. examples/reactive.cc drives and
// checks it; docs/guide/reactive.md explains its design.
//
//   auto first = reactive::signal<std::string>("Ada");
//   auto greeting = reactive::computed<std::string>(
//       [](reactive::Signal<std::string>& f) { return "Hello, " + f.get(); }, first);
//   auto scope = refgc::make<reactive::Scope>();
//   scope->run([&] {
//     reactive::effect([](reactive::Computed<std::string>& g) { std::puts(g.get().c_str()); },
//                      greeting);                 // "Hello, Ada"
//   });
//   first->set("Grace");                          // "Hello, Grace"
//   scope->dispose();                             // the effect is gone
//
// The pieces:
//   * Signal<T>: a value with subscribers. set() marks them and runs the
//     effects that depend on it (once the outermost batch() ends).
//   * Computed<T>: a value derived by a function, evaluated lazily (when
//     read and stale). Each evaluation records what it read, its sources:
//     dependencies are dynamic, edges are added and removed by every
//     evaluation. A value equal to the previous one stops the propagation.
//   * Effect: a function run once at creation and again whenever something
//     it read changed. Owned by a Scope, disposed with it.
//   * batch(f): the writes inside f run the effects once, at its end.
//
// Memory: a node holds its sources strongly (it needs them to recompute).
// How a source holds its subscribers is chosen when it is made
// (UseEdges): Edges::strong (a std::vector of Refs: every subscription is a
// cycle, which the collector frees once the whole sub-graph is unreachable)
// or Edges::weak (a refgc::WeakSet: no cycles, a computed nobody holds dies
// by refcount and leaves its sources' sets through the set's weak
// callback; an effect must then be owned by a Scope, or nothing holds it).
// A signal's or computed's value that holds objects (a Ref, a vector of
// them) is traced: the node owns what its value refers to.
//
// Propagation is push-pull and glitch-free: a write marks direct
// subscribers dirty and their descendants "check" (an explicit stack, not
// recursion), and a stale node is brought up to date by walking its sources
// on an explicit stack (refresh()), so a diamond recomputes its bottom once
// and a 100,000-node chain needs no deep C++ stack. The only recursion is a
// computed's function reading another stale computed; it is bounded: past
// kMaxDepth nested evaluations the read throws NeedsEvaluation, the nearest
// refresh() loop evaluates that node first and restarts the aborted
// evaluation (computeds must be pure; an effect is never restarted).
#pragma once

#include <refgc/refgc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace reactive {

using refgc::Ref;

// How a node holds its subscribers (what depends on it).
enum class Edges { strong, weak };

struct Node;
struct Scope;

struct Stats {
  std::size_t evaluations = 0;  // computed evaluations that completed
  std::size_t effect_runs = 0;
  std::size_t restarts = 0;  // evaluations aborted to bound the recursion
  std::size_t edges_added = 0;
  std::size_t edges_removed = 0;
  long nodes_alive = 0;
};

// Nested evaluations allowed on the C++ stack (a computed reading a stale
// computed that reads a stale computed...). Deeper reads restart.
inline constexpr int kMaxDepth = 32;

// What an evaluation read so far.
struct Tracking {
  std::uint64_t id;
  std::vector<Ref<Node>> read;
  void add(Node& n);
};

// The runtime's state: one per thread (a thread holds one refgc heap at a
// time, and the nodes live in it).
struct Runtime {
  Edges edges = Edges::weak;     // for the nodes made from now on
  Tracking* tracking = nullptr;  // the evaluation in progress
  int depth = 0;                 // nested evaluations on the C++ stack
  int batch_depth = 0;
  bool flushing = false;
  Scope* owner = nullptr;        // where effect() puts new effects
  std::vector<Ref<Node>> queue;  // effects to run
  std::uint64_t stamp = 0;       // marks for de-duplication
  Stats stats;
};
inline thread_local Runtime rt;

// Thrown by a read past kMaxDepth: not a std::exception, so that a
// computed's `catch (const std::exception&)` lets it through.
struct NeedsEvaluation {
  Ref<Node> node;
};

inline void refresh(Node& root);
inline void flush();

struct Node : refgc::Object {
  enum class State : unsigned char { clean, check, dirty };

  Node() { ++rt.stats.nodes_alive; }
  ~Node() override { --rt.stats.nodes_alive; }

  void trace(refgc::Tracer& t) override {
    t.field("sources", sources);
    t.field("subscribers", subscribers);
    t(weak_subscribers);  // its weak-reference objects, never a subscriber
  }

  // Recomputes the value (or runs the effect); whether the value changed.
  virtual bool run() { return false; }
  virtual bool is_effect() const noexcept { return false; }
  // No more runs, no more sources.
  virtual void dispose() {
    const Ref<Node> self(this);
    disposed = true;
    state = State::clean;
    for (const auto& s : sources) s->unsubscribe(*this);
    const auto gone = std::move(sources);  // may free them (weak edges): after the loop
    sources.clear();
  }

  std::size_t subscriber_count() const {
    return edges == Edges::strong ? subscribers.size() : weak_subscribers.size();
  }
  std::size_t source_count() const noexcept { return sources.size(); }

  // Brings the node up to date if needed, and records the read in the
  // evaluation in progress.
  void read() {
    if (evaluating) throw std::logic_error("reactive: a computed depends on itself");
    if (state != State::clean) {
      if (on_stack) throw std::logic_error("reactive: a computed depends on itself");
      if (rt.depth >= kMaxDepth) throw NeedsEvaluation{Ref<Node>(this)};
      refresh(*this);
    }
    if (rt.tracking != nullptr) rt.tracking->add(*this);
  }

  void subscribe(Node& s) {
    ++rt.stats.edges_added;
    if (edges == Edges::strong) {
      subscribers.emplace_back(&s);
    } else {
      weak_subscribers.add(Ref<Node>(&s));
    }
  }
  void unsubscribe(Node& s) {
    ++rt.stats.edges_removed;
    if (edges == Edges::strong) {
      auto it = std::find_if(subscribers.begin(), subscribers.end(),
                             [&s](const Ref<Node>& r) { return r.get() == &s; });
      if (it == subscribers.end()) return;
      const Ref<Node> gone = std::move(*it);  // dies after the vector is consistent
      subscribers.erase(it);
    } else {
      weak_subscribers.discard(Ref<Node>(&s));
    }
  }
  // f(Node&) for each subscriber. Runs no user code: nothing dies meanwhile.
  template <class F>
  void for_each_subscriber(F&& f) {
    if (edges == Edges::strong) {
      for (const auto& s : subscribers) f(*s);
    } else {
      for (const Ref<Node>& s : weak_subscribers) f(*s);
    }
  }

  // Runs run() with this node as the observer, then replaces the sources by
  // what it read: new edges are subscribed, dropped ones unsubscribed.
  void evaluate() {
    const Ref<Node> self(this);
    Tracking tracking{++rt.stamp, {}};
    state = State::clean;  // a write during run() to what it read marks it again
    failed = false;
    bool changed = false;
    {
      struct Enter {
        Node& n;
        Tracking* outer;
        ~Enter() {
          rt.tracking = outer;
          --rt.depth;
          n.evaluating = false;
        }
      } enter{*this, rt.tracking};
      rt.tracking = &tracking;
      ++rt.depth;
      evaluating = true;
      try {
        changed = run();
      } catch (NeedsEvaluation&) {  // restarted by the refresh() loop
        state = State::dirty;
        throw;
      } catch (...) {  // sources and edges stay as they were
        state = State::dirty;
        failed = true;  // the next write to a source marks it again
        throw;
      }
    }
    if (disposed) return;  // it disposed itself (or its scope) while running
    // The reads, each once (nested evaluations may have re-marked a node).
    const std::uint64_t now = ++rt.stamp;
    std::vector<Ref<Node>> fresh;
    fresh.reserve(tracking.read.size());
    for (auto& n : tracking.read) {
      if (n->mark == now) continue;
      n->mark = now;
      fresh.push_back(std::move(n));
    }
    for (const auto& old : sources)
      if (old->mark != now) old->unsubscribe(*this);  // an edge removed
    const std::uint64_t before = ++rt.stamp;
    for (const auto& old : sources) old->mark = before;
    for (const auto& n : fresh)
      if (n->mark != before) n->subscribe(*this);  // an edge added
    sources.swap(fresh);                           // `fresh` (the old sources) dies last
    if (changed) {
      for_each_subscriber([](Node& s) {
        if (s.state == State::check) s.state = State::dirty;
      });
    }
  }

  State state = State::clean;
  bool disposed = false;
  bool evaluating = false;
  bool on_stack = false;  // in a refresh() loop's stack
  bool queued = false;    // an effect in rt.queue
  // Its last evaluation threw: it is dirty, but unlike a node a write
  // marked, its subscribers were not marked, nor the effect queued, since.
  bool failed = false;
  const Edges edges = rt.edges;
  std::uint64_t mark = 0;
  std::vector<Ref<Node>> sources;         // what the last evaluation read
  std::vector<Ref<Node>> subscribers;     // Edges::strong
  refgc::WeakSet<Node> weak_subscribers;  // Edges::weak
};

inline void Tracking::add(Node& n) {
  if (n.mark == id) return;
  n.mark = id;
  read.emplace_back(&n);
}

// A write: direct subscribers are dirty, their descendants "check" (maybe
// stale); the effects among them are queued. An explicit stack: a chain of
// any length is marked without recursion.
inline void mark_subscribers(Node& changed) {
  std::vector<Node*> stack;  // raw: no user code runs, nothing dies
  // A node whose evaluation threw is dirty without its descendants marked:
  // it is marked as a clean one is (it stays dirty).
  changed.for_each_subscriber([&stack](Node& s) {
    if (s.state == Node::State::dirty && !s.failed) return;
    const bool was_clean = s.state == Node::State::clean || s.failed;
    s.failed = false;
    s.state = Node::State::dirty;
    if (was_clean) stack.push_back(&s);  // else its descendants are marked
  });
  while (!stack.empty()) {
    Node& n = *stack.back();
    stack.pop_back();
    if (n.is_effect() && !n.queued) {
      n.queued = true;
      rt.queue.emplace_back(&n);
    }
    n.for_each_subscriber([&stack](Node& s) {
      if (s.state != Node::State::clean && !s.failed) return;
      if (s.failed)
        s.failed = false;  // dirty already
      else
        s.state = Node::State::check;
      stack.push_back(&s);
    });
  }
}

// Brings `root` up to date: a "check" node walks its sources in the order
// it read them and refreshes each stale one first (which marks it dirty if
// that source's value changed); a dirty node evaluates. The walk is an
// explicit stack.
inline void refresh(Node& root) {
  struct Frame {
    Ref<Node> node;
    std::size_t next = 0;
  };
  struct Stack {
    std::vector<Frame> frames;
    ~Stack() {
      for (auto& f : frames) f.node->on_stack = false;
    }
    void push(Ref<Node> n) {
      if (n->on_stack) throw std::logic_error("reactive: a computed depends on itself");
      n->on_stack = true;
      frames.push_back({std::move(n), 0});
    }
    void pop() {
      frames.back().node->on_stack = false;
      frames.pop_back();
    }
  } stack;
  stack.push(Ref<Node>(&root));
  try {
    while (!stack.frames.empty()) {
      Node& n = *stack.frames.back().node;
      if (n.state == Node::State::clean || n.disposed) {
        stack.pop();
        continue;
      }
      if (n.state == Node::State::check) {
        std::size_t& i = stack.frames.back().next;
        while (i < n.sources.size() && n.sources[i]->state == Node::State::clean) ++i;
        if (i < n.sources.size()) {
          stack.push(n.sources[i]);  // `i` is not used after this
          continue;
        }
        n.state = Node::State::clean;  // no source changed
        stack.pop();
        continue;
      }
      try {
        n.evaluate();
      } catch (NeedsEvaluation& deeper) {  // evaluate that first, then n again
        ++rt.stats.restarts;
        stack.push(std::move(deeper.node));
        continue;
      }
      stack.pop();
    }
  } catch (...) {
    // An evaluation threw: the nodes waiting for it are dirty, and marked
    // as failed, so that the next write to one of their sources marks them
    // and queues their effects again (a "check" node left so would be
    // skipped by every later mark_subscribers()).
    for (auto& f : stack.frames)
      if (!f.node->disposed && f.node->state != Node::State::clean) {
        f.node->state = Node::State::dirty;
        f.node->failed = true;
      }
    throw;
  }
}

// Runs the queued effects, and those their writes queue, unless a batch is
// open or a flush is running further up the stack. An effect that throws
// does not stop the others: every queued effect runs, then the first
// exception is rethrown (Preact's signals do the same at a batch's end).
inline void flush() {
  if (rt.batch_depth > 0 || rt.flushing) return;
  rt.flushing = true;
  struct Done {
    ~Done() { rt.flushing = false; }
  } done;
  std::exception_ptr first_error;
  for (int round = 0; !rt.queue.empty(); ++round) {
    if (round == 100) {
      for (auto& e : rt.queue) e->queued = false;
      rt.queue.clear();
      throw std::runtime_error("reactive: effects keep re-triggering each other");
    }
    auto pending = std::move(rt.queue);
    rt.queue.clear();
    for (auto& e : pending) {
      e->queued = false;
      if (e->disposed) continue;
      try {
        refresh(*e);
      } catch (...) {
        if (!first_error) first_error = std::current_exception();
      }
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

// The writes inside f run the effects once, when the outermost batch ends.
template <class F>
void batch(F&& f) {
  ++rt.batch_depth;
  {
    struct Leave {
      ~Leave() { --rt.batch_depth; }
    } leave;
    f();
  }
  flush();
}

template <class T>
struct Signal final : Node {
  static constexpr const char* refgc_type_name = "Signal";
  explicit Signal(T v) : value(std::move(v)) {}

  void trace(refgc::Tracer& t) override {
    Node::trace(t);
    // A signal holding objects (a list of items) owns them.
    if constexpr (requires(refgc::Tracer & tracer, T & v) { tracer(v); }) t.field("value", value);
  }

  // The value, recorded as a dependency of the evaluation in progress.
  T get() {
    read();
    return value;
  }
  // The value, not recorded.
  const T& peek() const noexcept { return value; }
  // A new value: subscribers are marked and effects run (unless equal).
  void set(T v) {
    if (value == v) return;
    value = std::move(v);
    const Ref<Node> self(this);
    mark_subscribers(*this);
    flush();
  }

  T value;
};

template <class T>
struct Computed final : Node {
  static constexpr const char* refgc_type_name = "Computed";
  explicit Computed(refgc::Function<T()> f) : fn(std::move(f)) { state = State::dirty; }

  void trace(refgc::Tracer& t) override {
    Node::trace(t);
    t.field("fn", fn);
    // A value holding objects (a filtered list of items) owns them, as a
    // Signal's does: untraced, a cycle through it would never be freed.
    if constexpr (requires(refgc::Tracer & tracer, T & v) { tracer(v); })
      if (value) t.field("value", *value);
  }
  T get() {
    read();
    return *value;
  }
  bool run() override {
    T v = fn();
    ++evaluations;
    ++rt.stats.evaluations;
    const bool changed = !value || !(*value == v);
    value = std::move(v);
    return changed;
  }

  refgc::Function<T()> fn;  // its captures: what it may read
  std::optional<T> value;
  std::size_t evaluations = 0;
};

struct Effect final : Node {
  static constexpr const char* refgc_type_name = "Effect";
  explicit Effect(refgc::Function<void()> f) : fn(std::move(f)) { state = State::dirty; }

  void trace(refgc::Tracer& t) override {
    Node::trace(t);
    t.field("fn", fn);
  }
  bool is_effect() const noexcept override { return true; }
  bool run() override {
    fn();
    ++runs;
    ++rt.stats.effect_runs;
    return false;
  }
  void dispose() override {
    // Held: unsubscribing may drop the last reference (a source's, with
    // strong edges, when the caller disposes through that reference).
    const Ref<Node> self(this);
    Node::dispose();
    fn = nullptr;  // its captures go too (a call in progress keeps them)
  }

  refgc::Function<void()> fn;
  std::size_t runs = 0;
};

// An owner of effects (a component's lifetime): dispose() disposes them, in
// reverse order of creation; dropping the scope's last reference drops them.
struct Scope final : refgc::Object {
  static constexpr const char* refgc_type_name = "Scope";

  void trace(refgc::Tracer& t) override { t.field("owned", owned); }

  // Runs f with this scope as the owner of the effects it makes.
  template <class F>
  void run(F&& f) {
    if (disposed) throw std::logic_error("reactive: running in a disposed scope");
    const Ref<Scope> self(this);
    struct Restore {
      Scope* outer;
      ~Restore() { rt.owner = outer; }
    } restore{rt.owner};
    rt.owner = this;
    f();
  }
  void dispose() {
    const Ref<Scope> self(this);
    disposed = true;
    auto nodes = std::move(owned);
    owned.clear();
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) (*it)->dispose();
  }

  std::vector<Ref<Node>> owned;
  bool disposed = false;
};

template <class T>
Ref<Signal<T>> signal(T value) {
  return refgc::make<Signal<T>>(std::move(value));
}

// f(*captures...) computes the value; the captures are the nodes (and other
// objects) it may read, which the collector sees.
template <class T, class F, class... C>
Ref<Computed<T>> computed(F f, Ref<C>... captures) {
  return refgc::make<Computed<T>>(refgc::Function<T()>(std::move(f), std::move(captures)...));
}

// An effect, run now (or when the open batch ends) and whenever what it
// read changes. Owned by the current scope (Scope::run). Without one it
// lives as long as its sources hold it: for ever with strong edges (unless
// disposed), not at all with weak ones, where it is an error.
template <class F, class... C>
Ref<Effect> effect(F f, Ref<C>... captures) {
  if (rt.owner == nullptr && rt.edges == Edges::weak)
    throw std::logic_error(
        "reactive: an effect needs an owner scope when subscribers are held weakly");
  auto e = refgc::make<Effect>(refgc::Function<void()>(std::move(f), std::move(captures)...));
  if (rt.owner != nullptr) rt.owner->owned.push_back(e);
  e->queued = true;
  rt.queue.push_back(e);
  flush();
  return e;
}

// The edges of the nodes made in a scope of code.
struct UseEdges {
  explicit UseEdges(Edges e) : outer(rt.edges) { rt.edges = e; }
  ~UseEdges() { rt.edges = outer; }
  UseEdges(const UseEdges&) = delete;
  UseEdges& operator=(const UseEdges&) = delete;
  Edges outer;
};

}  // namespace reactive
