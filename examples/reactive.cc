// examples/reactive.cc: a reactive-signals library (examples/reactive.h:
// signals, lazily recomputed computeds with dynamic dependencies, effects,
// batches; the data layer of a GUI toolkit, as in SolidJS, MobX or Qt
// property bindings) driven through the memory questions such a library
// faces on refgc. Written from the public headers and docs/guide/ only.
//
// What it demonstrates (and checks: a failed check prints "FAIL" and the
// program exits 1; `ctest -R reactive` runs it; docs/guide/reactive.md
// explains the design):
//   1. the library itself: effects, a batch running its effect once, a
//      diamond recomputing its bottom once with no glitch, an equal value
//      stopping the propagation, dynamic dependencies (an edge removed when
//      a branch is not taken, added back when it is); an effect or a
//      computed that throws makes the write throw, and every effect runs
//      again at the next write;
//   2. strong subscriber edges (every subscription a cycle): a computed
//      nobody reads any more stays alive as long as its signal, an effect
//      whose closure captures its own signal is a cycle through a Function,
//      and a dropped component's whole sub-graph is freed by the collector,
//      or by refcount when its scope is disposed first;
//   3. weak subscriber edges (a WeakSet): the same computed dies by
//      refcount at once and leaves its signal's set; effects live exactly as
//      long as their owner scope; no collection is ever needed;
//   4. a memo cache keyed by object (WeakKeyDictionary<Todo, Ref<Computed>>,
//      MobX's computedFn): an entry leaves with its item when the computed
//      captures the item's signals, and keeps the item alive for ever when
//      it captures the item itself (the chain says so);
//   4b. a computed whose value holds objects (a folder's cached list of
//      large files, which point back at their folder) traces it: the cycle
//      through the value is freed by one collection;
//   5. a leak hunt: a theme effect registered from an event handler, outside
//      its component's scope, keeps every closed component alive (strong
//      edges). diag::growth spots it, diag::LeakCheck reports it,
//      find_backref_chain + describe_chain name each link; then the fix.
//      With weak edges that effect is refused, and a tooltip dropped without
//      closing it is collected, the theme's weak callbacks forgetting it;
//   6. scale, on a thread whose stack is 256 KiB: a 100,000-node chain
//      evaluated for the first time from its end (bounded recursion), then
//      propagating a write (each node recomputed once), and a 100,000-wide
//      fan-out and fan-in; freed by refcount (weak edges) or by one
//      collection (strong edges).
#include "reactive.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "example_checks.h"

namespace {

using refgc::make;
using refgc::Ref;
using refgc::WeakRef;

using reactive::Computed;
using reactive::Edges;
using reactive::Effect;
using reactive::rt;
using reactive::Scope;
using reactive::Signal;
using reactive::UseEdges;

using example::contains;
using example::g_failures;
using example::NoAutomaticCollection;
using example::seconds_since;
using example::without_addresses;

std::vector<std::string> g_log;  // what the effects printed

// ---------------------------------------------------------------------------
// 1. The library: effects, batches, diamonds, dynamic dependencies.

void basics() {
  UseEdges weak(Edges::weak);
  auto scope = make<Scope>();

  // A full name derived from two signals, shown by an effect.
  auto first = reactive::signal<std::string>("Ada");
  auto last = reactive::signal<std::string>("Lovelace");
  auto full = reactive::computed<std::string>(
      [](Signal<std::string>& f, Signal<std::string>& l) { return f.get() + " " + l.get(); }, first,
      last);
  g_log.clear();
  Ref<Effect> show;
  scope->run([&] {
    show = reactive::effect([](Computed<std::string>& name) { g_log.push_back(name.get()); }, full);
  });
  CHECK_EQ(g_log.size(), 1);  // an effect runs once when made
  first->set("Grace");
  last->set("Hopper");  // two writes, two runs: "Grace Lovelace" was shown
  CHECK_EQ(g_log.size(), 3);
  if (g_log.size() == 3) CHECK_STR(g_log[1], "Grace Lovelace");
  reactive::batch([&] {
    first->set("Alan");
    last->set("Turing");
  });
  CHECK_EQ(g_log.size(), 4);  // one run, at the end of the batch
  CHECK_STR(g_log.back(), "Alan Turing");
  last->set("Turing");  // equal: nothing to do
  CHECK_EQ(show->runs, 4);

  // A diamond: a -> b, a -> c, (b, c) -> d. A write to a recomputes d once,
  // and the effect never sees d computed from a new b and an old c.
  auto a = reactive::signal(1);
  auto b = reactive::computed<int>([](Signal<int>& x) { return x.get() * 2; }, a);
  auto c = reactive::computed<int>([](Signal<int>& x) { return x.get() + 1; }, a);
  auto d = reactive::computed<int>(
      [](Computed<int>& x, Computed<int>& y) { return x.get() + y.get(); }, b, c);
  std::vector<int> seen;
  scope->run([&] {
    reactive::effect(
        [&seen](Computed<int>& bottom, Signal<int>& top) {
          seen.push_back(bottom.get());
          if (bottom.get() != top.peek() * 3 + 1) seen.push_back(-1);  // a glitch
        },
        d, a);
  });
  for (int i = 2; i <= 5; ++i) a->set(i);
  CHECK_EQ(seen.size(), 5);
  CHECK(seen == (std::vector<int>{4, 7, 10, 13, 16}));
  CHECK_EQ(b->evaluations, 5);
  CHECK_EQ(c->evaluations, 5);
  CHECK_EQ(d->evaluations, 5);

  // An equal value stops the propagation: parity does not change from 1
  // to 3, so the effect below it does not run.
  auto n = reactive::signal(1);
  auto parity = reactive::computed<std::string>(
      [](Signal<int>& x) { return std::string(x.get() % 2 ? "odd" : "even"); }, n);
  Ref<Effect> label;
  scope->run([&] {
    label = reactive::effect([](Computed<std::string>& p) { g_log.push_back(p.get()); }, parity);
  });
  n->set(3);
  CHECK_EQ(parity->evaluations, 2);
  CHECK_EQ(label->runs, 1);
  n->set(4);
  CHECK_EQ(label->runs, 2);

  // Dynamic dependencies: `text` reads `name` only while `visible` is true.
  // Each evaluation replaces its sources: the edge to `name` is removed
  // when the branch is not taken, and added back when it is.
  auto visible = reactive::signal(true);
  auto name = reactive::signal<std::string>("draft.txt");
  auto text = reactive::computed<std::string>(
      [](Signal<bool>& v, Signal<std::string>& nm) {
        return v.get() ? nm.get() : std::string("(hidden)");
      },
      visible, name);
  Ref<Effect> title;
  scope->run([&] {
    title = reactive::effect([](Computed<std::string>& t) { g_log.push_back(t.get()); }, text);
  });
  CHECK_EQ(text->source_count(), 2);
  CHECK_EQ(name->subscriber_count(), 1);
  const auto removed = rt.stats.edges_removed;
  visible->set(false);
  CHECK_EQ(text->source_count(), 1);
  CHECK_EQ(name->subscriber_count(), 0);  // the edge is gone
  CHECK_EQ(rt.stats.edges_removed, removed + 1);
  name->set("final.txt");  // not a dependency now: nothing recomputes
  CHECK_EQ(text->evaluations, 2);
  CHECK_EQ(title->runs, 2);
  visible->set(true);
  CHECK_EQ(name->subscriber_count(), 1);  // back
  CHECK_STR(g_log.back(), "final.txt");
  CHECK_EQ(title->runs, 3);

  // With weak edges nothing but an owner keeps an effect alive: making one
  // outside any scope is refused instead of silently doing nothing.
  bool refused = false;
  try {
    reactive::effect([](Signal<int>& x) { (void)x.get(); }, a);
  } catch (const std::logic_error&) {
    refused = true;
  }
  CHECK(refused);

  scope->dispose();
  a->set(100);
  CHECK_EQ(seen.size(), 5);  // disposed: the effect no longer runs
  std::printf(
      "basics: batch ran its effect once, diamond recomputed once per write, "
      "%zu edges added and %zu removed\n",
      rt.stats.edges_added, rt.stats.edges_removed);
}

// An effect that throws: the write that ran it throws, and afterwards every
// effect still runs when what it read changes -- the others queued by the
// same write (before the fix they were never run again), and the one that
// threw (Preact's signals run every effect of a batch and rethrow the first
// error at its end; SolidJS keeps a failed computation subscribed).
void throwing_effects() {
  for (const Edges edges : {Edges::weak, Edges::strong}) {
    UseEdges use(edges);
    auto scope = make<Scope>();
    auto count = reactive::signal(0);
    auto doubled = reactive::computed<int>(
        [](Signal<int>& c) {
          if (c.get() == 2) throw std::invalid_argument("doubled: 2 is not allowed");
          return c.get() * 2;
        },
        count);
    std::vector<int> plain, failing, derived;
    scope->run([&] {
      // Made before and after the failing one: whichever runs first, the
      // others must run too.
      reactive::effect([&plain](Signal<int>& c) { plain.push_back(c.get()); }, count);
      reactive::effect(
          [&failing](Signal<int>& c) {
            failing.push_back(c.get());
            if (c.get() == 1) throw std::runtime_error("effect: 1 is not allowed");
          },
          count);
      reactive::effect([&derived](Computed<int>& d) { derived.push_back(d.get()); }, doubled);
    });
    std::string thrown;
    try {
      count->set(1);
    } catch (const std::runtime_error& e) {
      thrown = e.what();
    }
    CHECK_STR(thrown, "effect: 1 is not allowed");
    thrown.clear();
    try {
      count->set(2);  // the computed throws, inside the third effect
    } catch (const std::invalid_argument& e) {
      thrown = e.what();
    }
    CHECK_STR(thrown, "doubled: 2 is not allowed");
    count->set(3);
    const auto text = [](const std::vector<int>& v) {
      std::string out;
      for (int x : v) out += std::to_string(x) + " ";
      return out;
    };
    CHECK_STR(text(plain), "0 1 2 3 ");
    CHECK_STR(text(failing), "0 1 2 3 ");
    CHECK_STR(text(derived), "0 2 6 ");  // 2 threw: no value for it
    scope->dispose();
  }
  std::printf("throwing effects: the write throws, every effect runs again on the next one\n");
}

// ---------------------------------------------------------------------------
// 2. Strong subscriber edges: a source holds its subscribers with Refs.

void strong_edges() {
  UseEdges strong(Edges::strong);
  NoAutomaticCollection no_gc;
  refgc::gc::collect();
  const long base = rt.stats.nodes_alive;

  // A computed read once, then dropped by its reader: its signal still holds
  // it (and marks it on every write). Refcount cannot tell that nobody
  // reads it, and neither can the collector while the signal is in use.
  auto width = reactive::signal(640);
  auto area = reactive::computed<int>([](Signal<int>& w) { return w.get() * 480; }, width);
  CHECK_EQ(area->get(), 640 * 480);
  const WeakRef<Computed<int>> w_area(area);
  area.reset();
  CHECK(w_area.alive());
  CHECK_EQ(refgc::gc::collect(), 0);
  CHECK(w_area.alive());  // held by width's subscribers: not garbage
  CHECK_EQ(width->subscriber_count(), 1);
  width.reset();  // now width <-> area is an unreachable cycle
  CHECK(w_area.alive());
  CHECK_EQ(refgc::gc::collect(), 3);  // the signal, the computed, its function
  CHECK(!w_area.alive());
  CHECK_EQ(rt.stats.nodes_alive, base);

  // An effect whose closure captures its own signal: a volume control that
  // clamps what is written to it. volume -> effect (subscriber) -> function
  // (closure) -> volume: a cycle through a Function, which the collector
  // sees and frees.
  auto panel = make<Scope>();
  auto volume = reactive::signal(5);
  panel->run([&] {
    reactive::effect(
        [](Signal<int>& v) {
          if (v.get() > 10) v.set(10);
        },
        volume);
  });
  volume->set(42);
  CHECK_EQ(volume->peek(), 10);
  const std::string art = refgc::diag::ascii_diagram({{"volume", volume}});
  std::cout << art;
  CHECK(contains(art, "volume ──> #1"));
  CHECK(contains(art, "─.subscribers[0]─> #2 Effect"));
  CHECK(contains(art, "─.fn─> #3 function"));
  CHECK(contains(art, "#1 (see above)"));  // the closure's capture: the cycle
  const WeakRef<Signal<int>> w_volume(volume);
  panel.reset();  // the scope held the effect; the cycle holds the rest
  volume.reset();
  CHECK(w_volume.alive());
  CHECK_EQ(refgc::gc::collect(), 3);  // signal, effect, function
  CHECK(!w_volume.alive());

  // A component: local signals, computeds and an effect in its scope. Its
  // sub-graph is all cycles: dropped, nothing in it dies by refcount, and
  // one collection frees it. Disposing the scope first frees the effect by
  // refcount, but the computeds still subscribe to their sources (this
  // library does not unsubscribe a computed that lost its last observer, as
  // MobX does): the collector frees the rest.
  for (const bool dispose : {false, true}) {
    auto form = make<Scope>();
    auto email = reactive::signal<std::string>("ada@example.org");
    auto valid = reactive::computed<bool>(
        [](Signal<std::string>& e) { return e.get().find('@') != std::string::npos; }, email);
    auto status = reactive::computed<std::string>(
        [](Computed<bool>& v) { return std::string(v.get() ? "ok" : "invalid"); }, valid);
    form->run([&] {
      reactive::effect([](Computed<std::string>& s) { g_log.push_back(s.get()); }, status);
    });
    email->set("nobody");
    CHECK_STR(g_log.back(), "invalid");
    const WeakRef<Signal<std::string>> w_email(email);
    if (dispose) form->dispose();
    email.reset();
    valid.reset();
    status.reset();
    form.reset();
    CHECK(w_email.alive());
    // 3 nodes and their 2 functions, + the effect and its function when not
    // disposed (the scope died by refcount: nothing refers to it).
    CHECK_EQ(refgc::gc::collect(), dispose ? 5 : 7);
    CHECK(!w_email.alive());
    CHECK_EQ(rt.stats.nodes_alive, base);
  }
  std::printf("strong edges: cycles everywhere, each sub-graph freed by one collection\n");
}

// ---------------------------------------------------------------------------
// 3. Weak subscriber edges: a source holds its subscribers in a WeakSet.

void weak_edges() {
  UseEdges weak(Edges::weak);
  NoAutomaticCollection no_gc;
  refgc::gc::collect();
  const long base = rt.stats.nodes_alive;

  // The computed nobody reads any more dies at once, by refcount, and the
  // WeakSet's callback takes it out of its signal's subscribers.
  auto width = reactive::signal(640);
  auto area = reactive::computed<int>([](Signal<int>& w) { return w.get() * 480; }, width);
  CHECK_EQ(area->get(), 640 * 480);
  CHECK_EQ(width->subscriber_count(), 1);
  const WeakRef<Computed<int>> w_area(area);
  area.reset();
  CHECK(!w_area.alive());
  CHECK_EQ(width->subscriber_count(), 0);
  width->set(800);  // nothing to mark

  // Effects live exactly as long as their owner: the scope holds them, the
  // signals only weakly. The volume clamp capturing its own signal is no
  // cycle here (volume holds its effect weakly).
  auto panel = make<Scope>();
  auto volume = reactive::signal(5);
  Ref<Effect> clamp;
  panel->run([&] {
    clamp = reactive::effect(
        [](Signal<int>& v) {
          if (v.get() > 10) v.set(10);
        },
        volume);
  });
  const WeakRef<Effect> w_clamp(clamp);
  clamp.reset();
  volume->set(42);
  CHECK_EQ(volume->peek(), 10);  // alive: its scope holds it
  CHECK_EQ(volume->subscriber_count(), 1);
  panel.reset();  // the owner's last reference: its effects go with it
  CHECK(!w_clamp.alive());
  CHECK_EQ(volume->subscriber_count(), 0);
  volume->set(42);
  CHECK_EQ(volume->peek(), 42);  // no clamp any more
  volume.reset();
  width.reset();
  CHECK_EQ(rt.stats.nodes_alive, base);

  // The same component as in 2: dropped without dispose(), it is freed by
  // refcount too. No collection has anything to do.
  {
    auto form = make<Scope>();
    auto email = reactive::signal<std::string>("ada@example.org");
    auto valid = reactive::computed<bool>(
        [](Signal<std::string>& e) { return e.get().find('@') != std::string::npos; }, email);
    form->run([&] {
      reactive::effect([](Computed<bool>& v) { g_log.push_back(v.get() ? "ok" : "invalid"); },
                       valid);
    });
    email->set("nobody");
    CHECK_STR(g_log.back(), "invalid");
  }
  CHECK_EQ(rt.stats.nodes_alive, base);
  CHECK_EQ(refgc::gc::collect(), 0);
  std::printf("weak edges: every node freed by refcount, collections found nothing\n");
}

// ---------------------------------------------------------------------------
// 4. A memo cache keyed by object.

struct Todo : refgc::Object {
  static constexpr const char* refgc_type_name = "Todo";
  Ref<Signal<std::string>> title;
  Ref<Signal<bool>> done = reactive::signal(false);
  explicit Todo(std::string t) : title(reactive::signal(std::move(t))) {}
  void trace(refgc::Tracer& t) override {
    t.field("title", title);
    t.field("done", done);
  }
};

using Label = Computed<std::string>;

// One computed label per item, made on first use (MobX's computedFn). The
// table is keyed weakly: an entry leaves when its item dies.
struct TodoList : refgc::Object {
  static constexpr const char* refgc_type_name = "TodoList";
  Ref<Signal<std::vector<Ref<Todo>>>> items = reactive::signal(std::vector<Ref<Todo>>{});
  refgc::WeakKeyDictionary<Todo, Ref<Label>> labels;
  bool capture_the_item = false;  // the bug of the second round

  void trace(refgc::Tracer& t) override {
    t.field("items", items);
    t.field("labels", labels);
  }
  Ref<Label> label_of(const Ref<Todo>& item) {
    if (Ref<Label> memo = labels.get(item)) return memo;
    Ref<Label> made;
    if (capture_the_item) {  // the value refers back to its key: never freed
      made = reactive::computed<std::string>(
          [](Todo& t) { return (t.done->get() ? "[x] " : "[ ] ") + t.title->get(); }, item);
    } else {  // captures the item's signals, not the item
      made = reactive::computed<std::string>(
          [](Signal<std::string>& title, Signal<bool>& done) {
            return (done.get() ? "[x] " : "[ ] ") + title.get();
          },
          item->title, item->done);
    }
    labels.set(item, made);
    return made;
  }
  void add(std::string title) {
    auto v = items->peek();
    v.push_back(make<Todo>(std::move(title)));
    items->set(std::move(v));
  }
  void remove(std::size_t i) {
    auto v = items->peek();
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
    items->set(std::move(v));
  }
};

void memo_by_object() {
  UseEdges weak(Edges::weak);
  NoAutomaticCollection no_gc;
  refgc::gc::collect();
  for (const bool bug : {false, true}) {
    const long base = rt.stats.nodes_alive;
    auto list = make<TodoList>();
    list->capture_the_item = bug;
    auto view = make<Scope>();
    std::string shown;
    view->run([&] {
      reactive::effect(
          [&shown](TodoList& l) {
            shown.clear();
            for (const auto& item : l.items->get()) shown += l.label_of(item)->get() + "; ";
          },
          list);
    });
    list->add("milk");
    list->add("eggs");
    list->add("bread");
    CHECK_STR(shown, "[ ] milk; [ ] eggs; [ ] bread; ");
    CHECK_EQ(list->labels.size(), 3);
    auto eggs = list->items->peek()[1];
    Ref<Label> eggs_label = list->label_of(eggs);
    const std::size_t evaluated = eggs_label->evaluations;
    eggs->done->set(true);  // one label recomputes, the view redraws
    CHECK_STR(shown, "[ ] milk; [x] eggs; [ ] bread; ");
    CHECK_EQ(eggs_label->evaluations, evaluated + 1);
    CHECK_EQ(list->label_of(list->items->peek()[0])->evaluations, 1);  // milk: once

    const WeakRef<Todo> w_milk(list->items->peek()[0]);
    list->remove(0);  // the view stops reading milk's label
    CHECK_STR(shown, "[x] eggs; [ ] bread; ");
    if (!bug) {
      CHECK(!w_milk.alive());  // by refcount: item, entry, label, signals
      CHECK_EQ(list->labels.size(), 2);
    } else {
      // The label's function holds milk, the table holds the label: the
      // entry's key never dies (Python's WeakKeyDictionary, JavaScript's
      // WeakMap too: no ephemerons in CPython's design).
      refgc::gc::collect();
      CHECK(w_milk.alive());
      CHECK_EQ(list->labels.size(), 3);
      const Ref<Todo> milk = w_milk();
      const auto chain = refgc::diag::find_backref_chain(milk);
      const std::string text = refgc::diag::describe_chain(chain);
      std::printf("memo chain: %s\n", text.c_str());
      CHECK_STR(without_addresses(text),
                "TodoList@.. .labels -> Computed@.. .fn -> function@.. .captures[0] -> Todo@..");
    }
    view->dispose();
    view.reset();
    eggs_label.reset();
    eggs.reset();
    list.reset();  // the table, and what its values held, go with the list
    CHECK(!w_milk.alive());
    CHECK_EQ(rt.stats.nodes_alive, base);
    CHECK_EQ(refgc::gc::collect(), 0);
  }
  std::printf("memo by object: entries leave with their items, unless a label captures it\n");
}

// A computed whose value holds objects owns them, as a signal holding a
// vector of Refs does: its trace() reports the value. A folder's files know
// their folder (a strong back pointer, as Python code writes it), and the
// folder caches the list of its large files in a computed: folder ->
// computed -> value -> file -> folder is a cycle, which one collection frees (python3 3.11.7: an
// object caching `self.large = [f for f in self.files if f.size > 100]`, whose files hold `f.folder
// = self`, is gone after `del folder; gc.collect()`).
struct Folder;
struct FileItem : refgc::Object {
  static constexpr const char* refgc_type_name = "FileItem";
  Ref<Folder> folder;
  int size;
  FileItem(Ref<Folder> f, int s) : folder(std::move(f)), size(s) {}
  void trace(refgc::Tracer& t) override { t.field("folder", folder); }
};
using Files = std::vector<Ref<FileItem>>;
struct Folder : refgc::Object {
  static constexpr const char* refgc_type_name = "Folder";
  Ref<Computed<Files>> large;
  void trace(refgc::Tracer& t) override { t.field("large", large); }
};

void computed_values_holding_objects() {
  UseEdges weak(Edges::weak);
  NoAutomaticCollection no_gc;
  refgc::gc::collect();
  const long base = rt.stats.nodes_alive;
  WeakRef<Folder> w_folder;
  WeakRef<FileItem> w_file;
  {
    auto folder = make<Folder>();
    auto files = reactive::signal(Files{});
    files->set({make<FileItem>(folder, 10), make<FileItem>(folder, 500)});
    folder->large = reactive::computed<Files>(
        [](Signal<Files>& all) {
          Files out;
          for (const auto& f : all.get())
            if (f->size > 100) out.push_back(f);
          return out;
        },
        files);
    CHECK_EQ(folder->large->get().size(), 1);
    w_folder = WeakRef<Folder>(folder);
    w_file = WeakRef<FileItem>(folder->large->get()[0]);
  }
  CHECK(w_folder.alive() && w_file.alive());  // the cycle through the value
  refgc::gc::collect();
  CHECK(!w_folder.alive());
  CHECK(!w_file.alive());
  CHECK_EQ(rt.stats.nodes_alive, base);
  std::printf("computed values: a cached list of objects is traced, its cycle collected\n");
}

// ---------------------------------------------------------------------------
// 5. The leak hunt.

struct Component : refgc::Object {
  static constexpr const char* refgc_type_name = "Component";
  std::string rendered;
  std::vector<char> framebuffer = std::vector<char>(16 * 1024);  // the memory at stake
  Ref<Scope> scope = make<Scope>();
  Ref<Signal<std::string>> label;
  explicit Component(std::string text) : label(reactive::signal(std::move(text))) {}
  void trace(refgc::Tracer& t) override {
    t.field("scope", scope);
    t.field("label", label);
  }
};

int g_restyles = 0;

// Mounting: the component's render effect, in its own scope.
Ref<Component> mount(std::string text) {
  auto c = make<Component>(std::move(text));
  c->scope->run([&] {
    reactive::effect(
        [](Component& self, Signal<std::string>& label) {
          self.rendered = "<button>" + label.get() + "</button>";
        },
        c, c->label);
  });
  return c;
}

void restyle(Component& self, Signal<std::string>& theme) {
  ++g_restyles;
  self.rendered += " theme=" + theme.get();
}

// The first hover makes the button follow the app's theme. An event
// handler runs outside the component's scope: this effect has no owner, so
// with strong edges the theme signal keeps it, and the component it
// captures, for as long as the app lives.
void on_hover_leaky(const Ref<Component>& c, const Ref<Signal<std::string>>& theme) {
  reactive::effect(restyle, c, theme);
}
// The fix: make it in the component's scope (Solid's runWithOwner).
void on_hover_fixed(const Ref<Component>& c, const Ref<Signal<std::string>>& theme) {
  c->scope->run([&] { reactive::effect(restyle, c, theme); });
}

void unmount(Ref<Component>& c) {
  c->scope->dispose();
  c.reset();
}

void leak_hunt() {
  UseEdges strong(Edges::strong);
  refgc::gc::collect();
  const long base = rt.stats.nodes_alive;
  auto theme = reactive::signal<std::string>("light");
  // The app's own use of the theme: subscriber 0.
  auto app = make<Scope>();
  app->run([&] {
    reactive::effect([](Signal<std::string>& t) { g_log.push_back("app theme " + t.get()); },
                     theme);
  });

  // Is something growing? 100 tooltips shown, hovered and closed.
  refgc::diag::growth();  // the baseline
  for (int i = 0; i < 100; ++i) {
    auto tip = mount("tip " + std::to_string(i));
    on_hover_leaky(tip, theme);
    unmount(tip);
  }
  std::size_t grown_components = 0, grown_effects = 0;
  for (const auto& row : refgc::diag::growth()) {
    std::printf("growth: %-12s %6zu %+7lld\n", row.type.c_str(), row.count,
                static_cast<long long>(row.delta));
    if (row.type == "Component") grown_components = row.delta;
    if (row.type == "Effect") grown_effects = row.delta;
  }
  CHECK_EQ(grown_components, 100);
  CHECK_EQ(grown_effects, 100);  // the hover effects (the render effects died)
  CHECK_EQ(theme->subscriber_count(), 101);
  g_restyles = 0;
  theme->set("dark");  // and every closed tooltip restyles itself: zombies
  CHECK_EQ(g_restyles, 100);

  // Which one, and why? A fresh theme, one tooltip, under a LeakCheck.
  auto theme2 = reactive::signal<std::string>("light");
  app->run([&] { reactive::effect([](Signal<std::string>& t) { (void)t.get(); }, theme2); });
  WeakRef<Component> w_tip;
  {
    refgc::diag::LeakCheck scope;
    auto tip = mount("save");
    w_tip = WeakRef<Component>(tip);
    on_hover_leaky(tip, theme2);
    unmount(tip);
    const auto report = scope.check();  // collects: what is left is held
    std::cout << "leak check after closing the tooltip:\n" << report;
    std::size_t components = 0, effects = 0;
    for (const auto& row : report.by_type) {
      if (row.type == "Component") components = row.count;
      if (row.type == "Effect") effects = row.count;
    }
    CHECK_EQ(components, 1);
    CHECK_EQ(effects, 1);
    // + its scope, its label signal, the closure, and w_tip's weak reference
    CHECK_EQ(report.size(), 6);
  }
  CHECK(w_tip.alive());
  {
    const Ref<Component> tip = w_tip();
    auto chain = refgc::diag::find_backref_chain(tip);
    const std::string text = refgc::diag::describe_chain(chain);
    std::printf("backref chain: %s\n", text.c_str());
    CHECK_STR(without_addresses(text),
              "Signal@.. .subscribers[1] -> Effect@.. .fn -> function@.. .captures[0] -> "
              "Component@..");
    CHECK(chain.size() == 4 && chain.front().get() == theme2.get());
    // The running app's fix: dispose the effect the chain names.
    auto* hover = chain.size() == 4 ? dynamic_cast<Effect*>(chain[1].get()) : nullptr;
    CHECK(hover != nullptr);
    if (hover != nullptr) hover->dispose();
  }
  CHECK(!w_tip.alive());  // by refcount: nothing else held it
  // And the 100 of the first round: every subscriber of the theme but the
  // app's own effect (subscriber 0).
  // (Each dispose() unsubscribes the effect: the reference it is called
  // through dies meanwhile, and so does the effect, which holds itself.)
  while (theme->subscribers.size() > 1) theme->subscribers.back()->dispose();
  CHECK_EQ(theme->subscriber_count(), 1);

  // The fixed handler leaves nothing behind.
  {
    refgc::diag::LeakCheck scope;
    auto tip = mount("save");
    on_hover_fixed(tip, theme2);
    theme2->set("dark");
    CHECK(contains(tip->rendered, "theme=dark"));
    unmount(tip);
    const auto report = scope.check();
    if (!report.empty()) std::cout << report;
    CHECK(report.empty());
  }
  app->dispose();
  app.reset();
  theme.reset();
  theme2.reset();
  refgc::gc::collect();
  CHECK_EQ(rt.stats.nodes_alive, base);
  std::printf("leak hunt: the theme's subscribers held the closed tooltips; fixed, all freed\n");
}

// With weak edges the hover effect must be made in the tooltip's scope (an
// ownerless one is refused). A tooltip dropped without unmount() is a cycle
// of its own (tooltip -> scope -> effect -> function -> tooltip) that the
// theme holds only weakly: the collector frees it, and the callbacks of the
// theme's weak references, run by that collection, take its effect out of
// the theme's subscribers.
void weak_tooltips() {
  UseEdges weak(Edges::weak);
  NoAutomaticCollection no_gc;
  refgc::gc::collect();
  const long base = rt.stats.nodes_alive;
  auto theme = reactive::signal<std::string>("light");
  bool refused = false;
  {
    auto tip = mount("help");
    try {
      on_hover_leaky(tip, theme);
    } catch (const std::logic_error&) {
      refused = true;
    }
    on_hover_fixed(tip, theme);
    CHECK_EQ(theme->subscriber_count(), 1);
    const WeakRef<Component> w(tip);
    tip.reset();  // dropped, not unmounted
    CHECK(w.alive());
    CHECK_EQ(theme->subscriber_count(), 1);
    // The component, its scope, its label, two effects and their functions,
    // the weak reference in the label's subscriber set (8 garbage objects),
    // and the theme's weak reference to the hover effect: not garbage, but
    // freed when its callback took it out of the theme's set, and counted
    // by collect() as CPython 3.11 counts it.
    CHECK_EQ(refgc::gc::collect(), 9);
    CHECK(!w.alive());
  }
  CHECK(refused);
  CHECK_EQ(theme->subscriber_count(), 0);
  theme.reset();
  CHECK_EQ(rt.stats.nodes_alive, base);
  std::printf("weak tooltips: the ownerless effect refused, a dropped tooltip collected\n");
}

// ---------------------------------------------------------------------------
// 6. Scale.

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REACTIVE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define REACTIVE_SANITIZED 1
#endif
#endif
#ifdef REACTIVE_SANITIZED
constexpr int kNodes = 25'000;
#else
constexpr int kNodes = 100'000;
#endif

void scale_one(Edges edges) {
  UseEdges use(edges);
  NoAutomaticCollection no_gc;
  const long base = rt.stats.nodes_alive;
  const char* kind = edges == Edges::strong ? "strong" : "weak";
  auto t0 = std::chrono::steady_clock::now();
  {
    // A chain s -> c[0] -> ... -> c[n-1], made without evaluating anything,
    // then read from its end by an effect: the first evaluation goes down
    // the whole chain, with at most kMaxDepth nested evaluations at a time.
    auto s = reactive::signal(0);
    Ref<Computed<int>> end =
        reactive::computed<int>([](Signal<int>& src) { return src.get() + 1; }, s);
    for (int i = 1; i < kNodes; ++i)
      end = reactive::computed<int>([](Computed<int>& prev) { return prev.get() + 1; }, end);
    auto scope = make<Scope>();
    int last = 0;
    const auto evaluations = rt.stats.evaluations;
    rt.stats.restarts = 0;
    scope->run([&] { reactive::effect([&last](Computed<int>& e) { last = e.get(); }, end); });
    CHECK_EQ(last, kNodes);
    CHECK_EQ(rt.stats.evaluations - evaluations, kNodes);  // each node once
    CHECK(rt.stats.restarts > 0);
    s->set(1);  // marks 100,000 nodes, recomputes each once
    CHECK_EQ(last, kNodes + 1);
    CHECK_EQ(rt.stats.evaluations - evaluations, 2 * kNodes);
    CHECK_EQ(rt.stats.nodes_alive, base + kNodes + 2);
    const WeakRef<Signal<int>> w_s(s);
    s.reset();
    end.reset();
    if (edges == Edges::strong) {
      scope->dispose();  // the effect lets go; the chain is one big cycle
      scope.reset();
      CHECK(w_s.alive());
      CHECK_EQ(refgc::gc::collect(), 2 * kNodes + 1);  // nodes and functions, the signal
    } else {
      scope.reset();  // a kNodes-deep release cascade
      CHECK_EQ(refgc::gc::collect(), 0);
    }
    CHECK(!w_s.alive());
    CHECK_EQ(rt.stats.nodes_alive, base);
  }
  const double chain = seconds_since(t0);
  const std::size_t restarts = rt.stats.restarts;
  t0 = std::chrono::steady_clock::now();
  {
    // Fan-out and fan-in: kNodes computeds on one signal, one effect
    // reading them all.
    auto s = reactive::signal(1);
    std::vector<Ref<Computed<long>>> wide;
    wide.reserve(kNodes);
    for (int i = 0; i < kNodes; ++i)
      wide.push_back(reactive::computed<long>([](Signal<int>& src) { return src.get() * 2L; }, s));
    auto sum = reactive::computed<long>([&wide] {  // `wide` is the program's: no capture
      long total = 0;
      for (const auto& c : wide) total += c->get();
      return total;
    });
    auto scope = make<Scope>();
    long shown = 0;
    scope->run([&] { reactive::effect([&shown](Computed<long>& x) { shown = x.get(); }, sum); });
    CHECK_EQ(shown, 2L * kNodes);
    CHECK_EQ(s->subscriber_count(), kNodes);
    CHECK_EQ(sum->source_count(), kNodes);
    s->set(2);
    CHECK_EQ(shown, 4L * kNodes);
    CHECK_EQ(sum->evaluations, 2);
    s.reset();
    sum.reset();
    scope.reset();
    wide.clear();  // weak: each dies and leaves s's set; strong: all cycles
    // Strong: s, the computeds, sum and the effect, and their functions (the
    // scope died by refcount).
    CHECK_EQ(refgc::gc::collect(), edges == Edges::strong ? 2 * kNodes + 5 : 0);
    CHECK_EQ(rt.stats.nodes_alive, base);
  }
  std::printf(
      "scale (%s edges, 256 KiB stack): %d-node chain %.3f s (first evaluation: %zu restarts), "
      "%d-wide fan-out %.3f s\n",
      kind, kNodes, chain, restarts, kNodes, seconds_since(t0));
}

void scale() {
  scale_one(Edges::weak);
  scale_one(Edges::strong);
}

}  // namespace

int main() {
  const auto t0 = std::chrono::steady_clock::now();
  basics();
  throwing_effects();
  strong_edges();
  weak_edges();
  memo_by_object();
  computed_values_holding_objects();
  leak_hunt();
  weak_tooltips();
  example::run_on_small_stack(256 * 1024, scale);
  refgc::gc::collect();
  CHECK_EQ(rt.stats.nodes_alive, 0);
  std::printf("total %.3f s, %s\n", seconds_since(t0), g_failures ? "FAILED" : "all checks passed");
  return g_failures ? 1 : 0;
}
