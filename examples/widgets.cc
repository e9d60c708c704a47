// examples/widgets.cc: a small GUI toolkit whose widgets are refgc objects,
// written from the public headers and docs/guide/ only, and driven hard.
//
// What it demonstrates (and checks: any failed check prints "FAIL" and the
// program exits 1; `ctest -R widgets` runs it):
//   * a widget tree: a parent owns its children (a List), a child knows its
//     parent through a WeakRef; re-parenting, and refusing to make a widget
//     its own ancestor;
//   * signals: a vector of Function<void(int)> handlers whose captures the
//     collector sees. A button's click handler captures its own dialog (the
//     cycle that leaks with shared_ptr + std::function) or a sibling; a
//     handler closes its own dialog, or disconnects itself, while the signal
//     is being emitted; a handler that throws goes to the unraisable hook;
//   * 10,000 dialogs opened, clicked and closed: every native handle (a fake
//     one, released by refgc::finalize() or by close() calling the finalizer
//     early, Python's weakref.finalize idiom) is released, and the heap's
//     object count returns to its baseline after a collection;
//   * a model/view pair that observe each other: through a strong handler (a
//     cycle the collector frees) and through a WeakMethod (no cycle at all);
//   * an undo stack whose commands keep deleted widgets alive until the
//     history is cleared;
//   * a style cache (LruCache) whose styles share fonts through a
//     WeakValueDictionary, which forgets a font when no style uses it;
//   * 100,000 nested widgets, with and without a cycle through a handler,
//     freed on a thread whose stack is 256 KiB;
//   * a deliberately leaked dialog (a handler stashed in a global registry),
//     found with diag::LeakCheck and diag::find_backref_chain as
//     docs/guide/leak-hunting.md teaches;
//   * the same dialog/handler cycle with std::shared_ptr + std::function,
//     which keeps every dialog alive.
#include <refgc/refgc.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "example_checks.h"

namespace {

using refgc::make;
using refgc::Ref;

using example::g_failures;
using example::seconds_since;

// ---------------------------------------------------------------------------
// The fake native layer: a window-system handle per top-level window.

int g_native_open = 0;
long long g_native_created = 0;
long long native_create() {
  ++g_native_open;
  return ++g_native_created;
}
void native_destroy(long long /*handle*/) { --g_native_open; }

// ---------------------------------------------------------------------------
// Resources: fonts are shared by styles (a WeakValueDictionary finds the
// live one), styles by widgets (an LruCache keeps the recent ones).

int g_fonts_alive = 0;
struct Font : refgc::Object {
  static constexpr const char* refgc_type_name = "Font";
  std::string family;
  explicit Font(std::string f) : family(std::move(f)) { ++g_fonts_alive; }
  ~Font() override { --g_fonts_alive; }
};

struct Style : refgc::Object {
  static constexpr const char* refgc_type_name = "Style";
  std::string name;
  Ref<Font> font;
  int padding = 0;
  Style(std::string n, Ref<Font> f, int p) : name(std::move(n)), font(std::move(f)), padding(p) {}
  void trace(refgc::Tracer& t) override { t(font); }
};

// ---------------------------------------------------------------------------
// Signals.

using Handler = refgc::Function<void(int)>;

struct Signal {
  std::vector<std::pair<int, Handler>> slots;
  int next_id = 1;
  std::string name;

  int connect(Handler h) {
    slots.emplace_back(next_id, std::move(h));
    return next_id++;
  }
  bool disconnect(int id) {
    for (auto it = slots.begin(); it != slots.end(); ++it) {
      if (it->first == id) {
        slots.erase(it);
        return true;
      }
    }
    return false;
  }
  bool connected(int id) const {
    for (const auto& s : slots)
      if (s.first == id) return true;
    return false;
  }
  // Calls the handlers connected when the emission starts and still
  // connected when their turn comes (Qt's rule). The snapshot holds each
  // handler's function object for the loop, so a handler may disconnect
  // itself or destroy the signal's owner. The CALLER must hold the owner
  // (Widget::click() does): `this` lives inside it.
  void emit(int value) {
    const std::vector<std::pair<int, Handler>> snapshot = slots;
    for (const auto& [id, handler] : snapshot) {
      if (!connected(id)) continue;
      try {
        handler(value);
      } catch (...) {
        refgc::write_unraisable("<signal " + name + " handler " + std::to_string(id) + ">");
      }
    }
  }
};

// ---------------------------------------------------------------------------
// Widgets.

int g_widgets_alive = 0;

struct Widget : refgc::Object {
  static constexpr const char* refgc_type_name = "Widget";
  std::string name;
  refgc::WeakRef<Widget> parent;
  Ref<refgc::List<Widget>> children;  // made on the first add()
  Ref<Style> style;
  Signal clicked;

  explicit Widget(std::string n) : name(std::move(n)) {
    clicked.name = "clicked";
    ++g_widgets_alive;
  }
  ~Widget() override { --g_widgets_alive; }
  void trace(refgc::Tracer& t) override { t(children, style, clicked.slots); }
  std::string repr() const override {
    return "<" + refgc::diag::type_name(*this) + " " + name + ">";
  }

  std::size_t child_count() const { return children ? children->size() : 0; }

  // Adds `child` last, taking it from its current parent first.
  void add(const Ref<Widget>& child) {
    const Ref<Widget> self(this);
    if (child.get() == this || child->child_count() != 0)  // only then can it be an ancestor
      for (Ref<Widget> p = self; p; p = p->parent())
        if (p.get() == child.get())
          throw std::invalid_argument("add: a widget cannot contain its ancestor");
    if (Ref<Widget> old = child->parent()) old->remove(child);
    if (!children) children = make<refgc::List<Widget>>();
    children->append(child);
    child->parent = refgc::WeakRef<Widget>(self);
  }
  void remove(const Ref<Widget>& child) {
    if (!children || !children->contains(child)) throw std::invalid_argument("remove: not a child");
    const Ref<Widget> keep = child;  // the list held the last reference, maybe
    children->remove(keep);          // list.remove(child)
    child->parent.reset();
  }
  void click(int n = 1) {
    const Ref<Widget> self(this);  // a handler may drop the last other reference
    clicked.emit(n);
  }
};

struct Button : Widget {
  static constexpr const char* refgc_type_name = "Button";
  int clicks = 0;
  int own_connection = 0;  // for a handler that disconnects itself
  using Widget::Widget;
};

struct Dialog : Widget {
  static constexpr const char* refgc_type_name = "Dialog";
  long long handle = 0;
  refgc::Finalizer release;  // releases `handle` at death, or at close()
  int result = -1;
  using Widget::Widget;

  void close() {
    const Ref<Widget> self(this);
    release();  // runs the finalizer now, once (weakref.finalize's idiom)
    if (Ref<Widget> p = parent()) p->remove(self);
  }
};

// A widget whose finalize() throws: the unraisable hook reports it.
struct BrokenWidget : Widget {
  static constexpr const char* refgc_type_name = "BrokenWidget";
  using Widget::Widget;
  void finalize() override { throw std::runtime_error("BrokenWidget cannot finalize"); }
};

struct App : refgc::Object {
  static constexpr const char* refgc_type_name = "App";
  Ref<Widget> desktop = make<Widget>("desktop");
  Ref<refgc::LruCache<std::string, Style>> styles = make<refgc::LruCache<std::string, Style>>(2);
  refgc::WeakValueDictionary<std::string, Font> fonts;
  void trace(refgc::Tracer& t) override { t(desktop, styles, fonts); }

  Ref<Font> font(const std::string& family) {
    if (Ref<Font> f = fonts.get(family)) return f;
    auto f = make<Font>(family);
    fonts.set(family, f);
    return f;
  }
  Ref<Style> style(const std::string& name) {
    return styles->get_or_compute(name, [this](const std::string& n) {
      const std::string family = n == "dialog" || n == "button" ? "Sans" : "Mono";
      return make<Style>(n, font(family), static_cast<int>(n.size()));
    });
  }
};

Ref<Dialog> open_dialog(App& app, const std::string& name) {
  auto d = make<Dialog>(name);
  d->handle = native_create();
  d->release = refgc::finalize(d, [h = d->handle] { native_destroy(h); });
  d->style = app.style("dialog");
  app.desktop->add(d);
  return d;
}

Ref<Button> add_button(const Ref<Dialog>& d, const std::string& name, App& app) {
  auto b = make<Button>(name);
  b->style = app.style("button");
  d->add(b);
  return b;
}

// ---------------------------------------------------------------------------
// 1. The widget tree: ownership, weak parents, re-parenting.

void tree_basics(App& app) {
  auto win = open_dialog(app, "main");
  auto left = make<Widget>("left");
  auto right = make<Widget>("right");
  auto label = make<Widget>("label");
  win->add(left);
  win->add(right);
  left->add(label);
  CHECK(label->parent().get() == left.get());
  CHECK_EQ(refgc::getrefcount(label), 3);  // `label`, left's list, the argument

  right->add(label);  // re-parent
  CHECK_EQ(left->child_count(), 0);
  CHECK_EQ(right->child_count(), 1);
  CHECK(label->parent().get() == right.get());
  bool refused = false;
  try {
    label->add(win);
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  CHECK(refused);

  // A child does not keep its parent alive; the parent frees its subtree
  // at once (no collection needed: the tree alone has no cycle).
  refgc::WeakRef<Widget> w_label(label);
  left.reset();
  right.reset();
  label.reset();
  CHECK(w_label.alive());
  win->close();
  CHECK_EQ(g_native_open, 0);  // released by close()
  win.reset();
  CHECK(!w_label.alive());
}

// ---------------------------------------------------------------------------
// 2. 10,000 dialogs with handlers that capture their dialog.

void dialogs(App& app, int count) {
  app.style("dialog");  // warm the cache: the baseline includes both styles
  app.style("button");
  refgc::gc::collect();
  const std::size_t base_objects = refgc::gc::get_objects().size();
  const int base_widgets = g_widgets_alive;
  const auto t0 = std::chrono::steady_clock::now();
  int ok_clicks = 0, help_calls = 0, counter_calls = 0;
  std::size_t collected = 0;

  for (int i = 0; i < count; ++i) {
    auto d = open_dialog(app, "dialog" + std::to_string(i));
    auto ok = add_button(d, "ok", app);
    auto cancel = add_button(d, "cancel", app);
    auto help = add_button(d, "help", app);

    // ok: captures its dialog, closes it from inside the emission.
    ok->clicked.connect(Handler(
        [&ok_clicks](Dialog& dlg, int) {
          ++ok_clicks;
          dlg.result = 1;
          dlg.close();
        },
        d));
    // cancel: captures the dialog and a sibling; abandons the dialog
    // without close(), so only the finalizer releases its handle.
    cancel->clicked.connect(Handler(
        [](Dialog& dlg, Button& sibling, int) {
          dlg.result = 0;
          sibling.clicks = -1;
          if (Ref<Widget> p = dlg.parent()) p->remove(Ref<Widget>(&dlg));
        },
        d, ok));
    // help: disconnects itself during the emission; the next handler still runs.
    help->own_connection = help->clicked.connect(Handler(
        [&help_calls](Button& self, int) {
          ++help_calls;
          self.clicked.disconnect(self.own_connection);
        },
        help));
    help->clicked.connect(
        Handler([&counter_calls](Button& self, int) { ++counter_calls, ++self.clicks; }, help));

    help->click();
    help->click();
    if (i % 2 == 0) {
      ok->click();
      CHECK_EQ(d->result, 1);
      CHECK(!d->release.alive());
    } else {
      cancel->click();
      CHECK_EQ(d->result, 0);
      CHECK(d->release.alive());  // its handle is released when it dies
    }
    CHECK(!d->parent().get());
  }
  collected = refgc::gc::collect();
  const double secs = seconds_since(t0);
  CHECK_EQ(ok_clicks, count / 2);
  CHECK_EQ(help_calls, count);  // once each: it disconnected itself
  CHECK_EQ(counter_calls, 2 * count);
  CHECK_EQ(g_native_open, 0);
  CHECK_EQ(g_widgets_alive, base_widgets);
  CHECK_EQ(refgc::diag::live_count<Dialog>(), 0);
  CHECK_EQ(refgc::gc::get_objects().size(), base_objects);
  std::printf(
      "dialogs: %d opened and closed in %.3f s, native handles open %d, final collect %zu\n", count,
      secs, g_native_open, collected);
}

// ---------------------------------------------------------------------------
// 3. Handlers that throw, finalizers that throw.

void throwing_handlers(App& app) {
  std::vector<std::string> reported;
  auto previous = refgc::set_unraisable_hook(
      [&reported](const refgc::Unraisable& u) { reported.push_back(u.object + ": " + u.what()); });
  auto d = open_dialog(app, "flaky");
  auto b = add_button(d, "explode", app);
  int after = 0;
  b->clicked.connect(Handler([](Button&, int) { throw std::runtime_error("handler failed"); }, b));
  b->clicked.connect(Handler([&after](Button&, int) { ++after; }, b));
  b->click();
  CHECK_EQ(after, 1);  // the failure did not stop the emission
  CHECK_EQ(reported.size(), 1);
  CHECK(!reported.empty() && reported[0].find("handler failed") != std::string::npos);

  d->add(make<BrokenWidget>("broken"));
  d->close();
  d.reset();
  b.reset();
  refgc::gc::collect();  // the cycle b -> handler -> b holds everything
  CHECK_EQ(reported.size(), 2);
  CHECK(reported.size() == 2 &&
        reported[1].find("BrokenWidget cannot finalize") != std::string::npos);
  for (const auto& r : reported) std::printf("unraisable: %s\n", r.c_str());
  refgc::set_unraisable_hook(std::move(previous));
}

// ---------------------------------------------------------------------------
// 4. Model and view.

int g_views_alive = 0;
struct View;
struct Model : refgc::Object {
  static constexpr const char* refgc_type_name = "Model";
  int value = 0;
  Signal changed;                                            // strong handlers
  std::vector<refgc::WeakMethod<View, void(int)>> watchers;  // weak observers
  void trace(refgc::Tracer& t) override { t(changed.slots, watchers); }
  void set(int v) {
    const Ref<Model> self(this);
    value = v;
    changed.emit(v);
    std::erase_if(watchers, [](const auto& m) { return !m.alive(); });
    for (const auto& m : std::vector(watchers))
      if (auto bound = m()) bound(v);
  }
};
struct View : refgc::Object {
  static constexpr const char* refgc_type_name = "View";
  Ref<Model> model;
  Signal edited;  // the view tells the model
  int shown = 0;
  View() { ++g_views_alive; }
  ~View() override { --g_views_alive; }
  void trace(refgc::Tracer& t) override { t(model, edited.slots); }
  void show(int v) { shown = v; }
};

void model_view() {
  auto model = make<Model>();
  // Strongly coupled: model -> handler -> view -> model.
  auto strong = make<View>();
  strong->model = model;
  model->changed.connect(Handler([](View& v, int x) { v.show(x); }, strong));
  strong->edited.connect(Handler([](Model& m, int x) { m.set(x); }, model));
  // Weakly coupled: the model watches through a WeakMethod.
  auto weak = make<View>();
  weak->model = model;
  model->watchers.emplace_back(weak, &View::show);

  strong->edited.emit(7);  // view -> model -> both views
  CHECK_EQ(model->value, 7);
  CHECK_EQ(strong->shown, 7);
  CHECK_EQ(weak->shown, 7);

  weak.reset();  // no cycle: gone now, and the model forgets it
  CHECK_EQ(g_views_alive, 1);
  model->set(8);
  CHECK(model->watchers.empty());

  strong.reset();
  model.reset();
  CHECK_EQ(g_views_alive, 1);  // the cycle keeps it...
  refgc::gc::collect();
  CHECK_EQ(g_views_alive, 0);  // ...until the collector frees it
}

// ---------------------------------------------------------------------------
// 5. Undo stack.

struct Command : refgc::Object {  // abstract: its subclasses name themselves
  virtual void redo() = 0;
  virtual void undo() = 0;
};
struct Reparent : Command {
  static constexpr const char* refgc_type_name = "Reparent";
  Ref<Widget> widget, from, to;
  Reparent(Ref<Widget> w, Ref<Widget> f, Ref<Widget> t)
      : widget(std::move(w)), from(std::move(f)), to(std::move(t)) {}
  void trace(refgc::Tracer& t) override { t(widget, from, to); }
  void redo() override { to->add(widget); }
  void undo() override { from->add(widget); }
};
struct Delete : Command {
  static constexpr const char* refgc_type_name = "Delete";
  Ref<Widget> widget, from;
  Delete(Ref<Widget> w, Ref<Widget> f) : widget(std::move(w)), from(std::move(f)) {}
  void trace(refgc::Tracer& t) override { t(widget, from); }
  void redo() override { from->remove(widget); }
  void undo() override { from->add(widget); }
};
struct UndoStack : refgc::Object {
  static constexpr const char* refgc_type_name = "UndoStack";
  Ref<refgc::List<Command>> done = make<refgc::List<Command>>();
  Ref<refgc::List<Command>> undone = make<refgc::List<Command>>();
  void trace(refgc::Tracer& t) override { t(done, undone); }
  void push(Ref<Command> c) {
    c->redo();
    done->append(std::move(c));
    undone->clear();
  }
  void undo() {
    Ref<Command> c = done->pop();
    c->undo();
    undone->append(std::move(c));
  }
  void redo() {
    Ref<Command> c = undone->pop();
    c->redo();
    done->append(std::move(c));
  }
};

void undo_stack(App& app) {
  auto d = open_dialog(app, "editor");
  auto a = make<Widget>("panelA");
  auto b = make<Widget>("panelB");
  d->add(a);
  d->add(b);
  auto field = make<Widget>("field");
  a->add(field);
  refgc::WeakRef<Widget> w_field(field);
  auto history = make<UndoStack>();
  history->push(make<Reparent>(field, a, b));
  CHECK(field->parent().get() == b.get());
  history->push(make<Delete>(field, b));
  CHECK(!field->parent());
  field.reset();
  CHECK(w_field.alive());  // the Delete command keeps it for undo
  history->undo();
  CHECK(w_field()->parent().get() == b.get());
  history->undo();
  CHECK(w_field()->parent().get() == a.get());
  history->redo();
  history->redo();
  CHECK(!w_field()->parent());
  history.reset();  // the history goes: so does the deleted widget
  CHECK(!w_field.alive());
  d->close();
}

// ---------------------------------------------------------------------------
// 6. Styles and fonts.

void styles(App& app) {
  auto d = open_dialog(app, "themed");
  d->style = app.style("dialog");
  CHECK(d->style.get() == app.style("dialog").get());  // cached
  auto mono = app.style("code");                       // evicts "button" (maxsize 2)
  auto mono2 = app.style("terminal");                  // evicts "dialog": d still holds it
  CHECK(mono->font.get() == mono2->font.get());        // one shared Mono font
  CHECK_EQ(app.fonts.size(), 2);
  mono.reset();
  mono2.reset();
  app.styles->clear();
  CHECK(app.fonts.contains("Mono") == false);  // no style uses it: gone at once
  CHECK(app.fonts.contains("Sans"));           // d's style still does
  d->close();
  d.reset();
  CHECK(!app.fonts.contains("Sans"));
  CHECK_EQ(g_fonts_alive, 0);
}

// ---------------------------------------------------------------------------
// 7. Deep trees on a small stack.

constexpr int kDepth = 100'000;

// Nests `depth` widgets under `root`, each the only child of the one before;
// returns the deepest.
Ref<Widget> nest_under(const Ref<Widget>& root, int depth) {
  Ref<Widget> cur = root;
  for (int i = 0; i < depth; ++i) {
    auto child = make<Widget>("w");
    cur->add(child);
    cur = std::move(child);
  }
  return cur;
}

void deep_trees() {
  const int base = g_widgets_alive;
  auto t0 = std::chrono::steady_clock::now();
  {
    auto root = make<Widget>("root");
    Ref<Widget> cur = nest_under(root, kDepth);
    cur.reset();
    CHECK_EQ(g_widgets_alive, base + kDepth + 1);
    root.reset();  // a 100,001-deep release cascade
    CHECK_EQ(g_widgets_alive, base);
  }
  const double plain = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  {
    // The same, with the deepest widget's handler capturing the root: a
    // cycle through the whole tree, which only the collector can free.
    auto root = make<Widget>("root");
    Ref<Widget> cur = nest_under(root, kDepth);
    cur->clicked.connect(Handler([](Widget& r, int) { r.name = "clicked"; }, root));
    cur->click();
    CHECK(root->name == "clicked");
    cur.reset();
    root.reset();
    CHECK_EQ(g_widgets_alive, base + kDepth + 1);
    refgc::gc::collect();
    CHECK_EQ(g_widgets_alive, base);
  }
  std::printf(
      "deep trees: %d nested widgets freed on a 256 KiB stack: %.3f s by refcount, "
      "%.3f s through a cycle\n",
      kDepth, plain, seconds_since(t0));
}

// ---------------------------------------------------------------------------
// 8. A leak, and how to find it.

std::vector<Handler> g_plugin_registry;  // a plugin's "remember every handler"

void leak_hunt(App& app) {
  refgc::WeakRef<Dialog> w_leaky;
  app.style("dialog");  // warm the style cache: a cache filling up is not the leak
  app.style("button");
  {
    refgc::diag::LeakCheck scope;
    {
      auto d = open_dialog(app, "leaky");
      auto b = add_button(d, "save", app);
      Handler on_save([](Dialog& dlg, int) { dlg.result = 2; }, d);
      b->clicked.connect(on_save);
      g_plugin_registry.push_back(on_save);  // the bug: a strong copy outside the heap
      w_leaky = refgc::WeakRef<Dialog>(d);
      d->close();
    }
    auto report = scope.check();
    CHECK(!report.empty());
    CHECK(w_leaky.alive());
    std::cout << "leak check:\n" << report << "\n";
  }
  {
    Ref<Dialog> leaked = w_leaky();
    auto chain = refgc::diag::find_backref_chain(leaked);
    std::printf("backref chain: %s\n", refgc::diag::describe_chain(chain).c_str());
    CHECK(chain.size() >= 2);
    if (chain.size() >= 2) {
      CHECK(chain.back().get() == static_cast<refgc::Object*>(leaked.get()));
      // The root: the registry's function object, held from outside.
      CHECK(chain.front().get() == g_plugin_registry[0].object().get());
      // Held from outside twice: by the registry, and by `chain` itself.
      CHECK_EQ(refgc::diag::external_refcount(*chain.front()), 2);
    }
  }
  g_plugin_registry.clear();  // the fix
  refgc::gc::collect();
  CHECK(!w_leaky.alive());
  CHECK_EQ(g_native_open, 0);
}

// ---------------------------------------------------------------------------
// 9. The same dialog/handler cycle with shared_ptr and std::function.

namespace sp {
int dialogs_alive = 0;
struct Button {
  std::vector<std::function<void()>> handlers;
};
struct Dialog {
  std::vector<std::shared_ptr<Button>> buttons;
  Dialog() { ++dialogs_alive; }
  ~Dialog() { --dialogs_alive; }
};
}  // namespace sp

void shared_ptr_comparison(int count) {
  std::vector<std::weak_ptr<sp::Dialog>> watch;
  for (int i = 0; i < count; ++i) {
    auto d = std::make_shared<sp::Dialog>();
    auto ok = std::make_shared<sp::Button>();
    d->buttons.push_back(ok);
    ok->handlers.push_back([d] { d->buttons.clear(); });  // captures its dialog
    watch.push_back(d);
  }
  const int leaked = sp::dialogs_alive;
  CHECK_EQ(leaked, count);  // nothing can free them
  // Break the cycles by hand (the only way), so the process ends clean.
  for (auto& w : watch)
    if (auto d = w.lock()) d->buttons.clear();
  CHECK_EQ(sp::dialogs_alive, 0);
  std::printf(
      "shared_ptr + std::function: %d of %d dialogs still alive after the program dropped "
      "them (refgc: 0 after one collection)\n",
      leaked, count);
}

}  // namespace

int main() {
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto app = make<App>();
    tree_basics(*app);
    dialogs(*app, 10'000);
    throwing_handlers(*app);
    model_view();
    undo_stack(*app);
    styles(*app);
    leak_hunt(*app);
    CHECK_EQ(app->desktop->child_count(), 0);
  }
  example::run_on_small_stack(256 * 1024, deep_trees);
  shared_ptr_comparison(10'000);
  refgc::gc::collect();
  CHECK_EQ(g_widgets_alive, 0);
  CHECK_EQ(g_native_open, 0);
  std::printf("total %.3f s, %s\n", seconds_since(t0), g_failures ? "FAILED" : "all checks passed");
  return g_failures ? 1 : 0;
}
