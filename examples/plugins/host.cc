// examples/plugins/host.cc: a program that loads plugins with dlopen(), each
// a shared object defining refgc types of its own (shapes.cc, files.cc), and
// unloads and reloads them (docs/guide/plugins.md).
//
// What it demonstrates (and checks: any failed check prints "FAIL" and the
// program exits 1; `ctest -R plugins` runs it):
//   * the recipe: the host links refgc whole and exports its symbols
//     (ENABLE_EXPORTS), the plugins include refgc's headers and do not link
//     it (refgc::headers); each plugin sees the host's refgc state and makes
//     its objects in the host's heap;
//   * a registry in the host: a Dict of factories (refgc::Functions made from
//     the plugins' lambdas) and a WeakValueDictionary of published objects;
//   * graphs mixing host and plugin types: cycles through the host's Scene
//     the collector frees, finalize()d resources, weak references whose
//     callbacks are plugin code;
//   * diagnostics on plugin types: diag::type_name, repr, the census,
//     gc::get_objects filtered by type name, LeakCheck reports;
//   * unloading: the host drops the plugin's factories, collects, and asks
//     diag::objects_from_library() what still needs the plugin's code; it
//     refuses to dlclose() while the answer is not empty;
//   * reloading the same build, then a different build at the same path
//     (whose type refuses weak references): names, counts and weak
//     references follow the build that is loaded.
//
// Usage: plugins_host <shapes v1> <shapes v2> <files> <scratch dir>
#include <dlfcn.h>
#include <refgc/refgc.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../example_checks.h"
#include "plugin_api.h"

namespace {

using refgc::make;
using refgc::Object;
using refgc::Ref;
namespace diag = refgc::diag;
namespace gc = refgc::gc;

using example::g_failures;

// A registered factory, and which plugin it came from (its code is the
// plugin's: the host drops it before unloading the plugin).
struct FactoryEntry : Object {
  static constexpr const char* refgc_type_name = "host.Factory";
  FactoryEntry(std::string p, plugin_api::Factory f) : plugin(std::move(p)), make(std::move(f)) {}
  void trace(refgc::Tracer& t) override { t(make); }

  std::string plugin;
  plugin_api::Factory make;
};

struct Plugin {
  std::string name;
  std::string path;
  void* handle = nullptr;
  const void* anchor = nullptr;  // an address inside it: its plugin_register
};

class PluginHost final : public plugin_api::Host {
 public:
  // --- plugin_api::Host
  void add_factory(const std::string& type, plugin_api::Factory factory) override {
    factories->set(type, make<FactoryEntry>(loading_, std::move(factory)));
  }
  int open_resource(const std::string& what) override {
    open[next_handle] = what;
    return next_handle++;
  }
  void close_resource(int handle) override { open.erase(handle); }
  void publish(const std::string& name, const Ref<Object>& obj) override {
    published.set(name, obj);
  }
  Ref<Object> lookup(const std::string& name) override { return published.get(name); }
  void log(const std::string& event) override { events.push_back(event); }

  // --- loading and unloading
  bool load(const std::string& name, const std::string& path) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      std::printf("FAIL dlopen(%s): %s\n", path.c_str(), dlerror());
      ++g_failures;
      return false;
    }
    auto* reg = reinterpret_cast<void (*)(plugin_api::Host&)>(dlsym(handle, "plugin_register"));
    if (reg == nullptr) {
      std::printf("FAIL %s: no plugin_register\n", path.c_str());
      ++g_failures;
      dlclose(handle);
      return false;
    }
    plugins.push_back({name, path, handle, reinterpret_cast<const void*>(reg)});
    loading_ = name;
    reg(*this);
    loading_.clear();
    return true;
  }

  Plugin* find(const std::string& name) {
    for (Plugin& p : plugins)
      if (p.name == name) return &p;
    return nullptr;
  }

  // Drops the plugin's factories, collects, and unloads it unless objects
  // that need its code are still alive: then it stays loaded, `why` names
  // them, and the answer is false.
  bool unload(const std::string& name, std::string* why = nullptr) {
    Plugin* p = find(name);
    if (p == nullptr) return false;
    for (const std::string& type : factories->keys())
      if (factories->at(type)->plugin == name) factories->erase(type);
    gc::collect();
    const std::vector<Ref<Object>> alive = diag::objects_from_library(p->anchor);
    if (!alive.empty()) {
      std::string list;
      for (const Ref<Object>& o : alive) {
        if (!list.empty()) list += ", ";
        list += diag::type_name(*o) + " " + o->repr();
      }
      if (why != nullptr) *why = list;
      return false;
    }
    if (dlclose(p->handle) != 0) {
      std::printf("FAIL dlclose(%s): %s\n", p->path.c_str(), dlerror());
      ++g_failures;
    }
    plugins.erase(plugins.begin() + (p - plugins.data()));
    return true;
  }

  Ref<Object> create(const std::string& type, const Ref<plugin_api::Scene>& scene,
                     const std::string& label) {
    Ref<FactoryEntry> f = factories->get(type);
    if (!f) throw std::out_of_range("no factory for " + type);
    return f->make(scene, label);
  }

  Ref<refgc::Dict<std::string, FactoryEntry>> factories =
      make<refgc::Dict<std::string, FactoryEntry>>();
  refgc::WeakValueDictionary<std::string, Object> published;
  std::map<int, std::string> open;  // the fake resources still open
  int next_handle = 3;
  std::vector<std::string> events;
  std::vector<Plugin> plugins;

 private:
  std::string loading_;
};

bool is_loaded(const std::string& path) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) return false;
  dlclose(h);  // RTLD_NOLOAD took a reference
  return true;
}

template <class F>
F symbol(const Plugin& p, const char* name) {
  return reinterpret_cast<F>(dlsym(p.handle, name));
}

// Tracked objects whose type name is `type` (gc.get_objects() filtered).
std::size_t objects_named(const std::string& type) {
  const auto all = gc::get_objects();
  return static_cast<std::size_t>(std::count_if(
      all.begin(), all.end(), [&](const Ref<Object>& o) { return diag::type_name(*o) == type; }));
}

bool has_event(const PluginHost& host, const std::string& e) {
  return std::find(host.events.begin(), host.events.end(), e) != host.events.end();
}

// Copies `from` to `to` through a new file renamed over it: a new inode, so
// that a mapping of the old file (there should be none) is never rewritten.
void install(const std::string& from, const std::string& to) {
  const std::string tmp = to + ".new";
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(tmp, to);
}

// --- 1. the recipe: the plugins share the host's refgc -----------------------

void plugins_share_the_hosts_refgc(PluginHost& host) {
  for (const Plugin& p : host.plugins) {
    const auto state = symbol<const void* (*)()>(p, "plugin_refgc_state");
    CHECK(state != nullptr && state() == &refgc::detail::tls);
    const auto probe = symbol<void (*)(Ref<Object>&)>(p, "plugin_make_probe");
    Ref<Object> made;
    probe(made);
    const auto listed = diag::objects_from_library(p.anchor);
    const bool in_our_heap = std::any_of(
        listed.begin(), listed.end(), [&](const Ref<Object>& o) { return o.get() == made.get(); });
    if (!in_our_heap)
      std::printf(
          "FAIL plugin %s made its object outside the host's heap: does it link its own copy "
          "of refgc?\n",
          p.name.c_str());
    CHECK(in_our_heap);
  }
}

// --- 2. graphs of host and plugin types --------------------------------------

void graphs_mix_host_and_plugin_types(PluginHost& host) {
  const std::size_t base = gc::get_objects().size();
  Ref<Object> watcher;  // outlives the file it watches: its callback runs
  {
    auto scene = make<plugin_api::Scene>("main");
    Ref<Object> c1 = host.create("shapes.Circle", scene, "c1");
    for (int i = 2; i <= 4; ++i) host.create("shapes.Circle", scene, "c" + std::to_string(i));
    host.create("shapes.Group", scene, "g1");
    host.create("files.File", scene, "/tmp/a.txt");
    host.create("files.File", scene, "/tmp/b.txt");
    watcher = host.create("files.Watcher", scene, "/tmp/a.txt");

    CHECK_STR(diag::type_name(*c1), "shapes.Circle/1");
    CHECK_STR(c1->repr(), "<Circle c1 r=1>");
    CHECK_STR(diag::type_name(*watcher), "files.Watcher");
    CHECK_EQ(diag::count("shapes.Circle/1"), 4);
    CHECK_EQ(diag::count("shapes.Member/1"), 3);
    CHECK_EQ(diag::count("files.File"), 2);
    CHECK_EQ(objects_named("shapes.Group/1"), 1);
    CHECK_EQ(host.open.size(), 2);
    CHECK(host.published.contains("g1"));
    CHECK(host.published.contains("/tmp/a.txt"));
    CHECK_STR(host.lookup("/tmp/b.txt")->repr(), "<File /tmp/b.txt fd=4>");
    CHECK_STR(scene->repr(),
              "<Scene main: [<Circle c1 r=1>, <Circle c2 r=1>, <Circle c3 r=1>, <Circle c4 r=1>, "
              "<Group g1 of 3>, <File /tmp/a.txt fd=3>, <File /tmp/b.txt fd=4>]>");
    // The census reads the plugins' names like any other.
    const auto rows = diag::most_common_types(0);
    CHECK(std::any_of(rows.begin(), rows.end(), [](const diag::TypeCount& row) {
      return row.type == "shapes.Circle/1" && row.count == 4;
    }));
    // A second watcher, of b.txt, that the scene holds: it dies with the
    // file it watches, in the same collection, so its callback must not run
    // (python3 3.11.7: a weakref.ref(f, cb) held only by garbage -- f's
    // cycle -- prints nothing from cb after gc.collect()).
    scene->items->append(host.create("files.Watcher", scene, "/tmp/b.txt"));

    // Every object of the plugin's types, and nothing of the host's.
    const Plugin* shapes = host.find("shapes");
    const auto from_shapes = diag::objects_from_library(shapes->anchor);
    std::size_t shapes_objects = 0;
    std::size_t host_objects = 0;  // Scene, List, the factory entries
    for (const Ref<Object>& o : from_shapes) {
      const std::string t = diag::type_name(*o);
      if (t.rfind("shapes.", 0) == 0) ++shapes_objects;
      if (t.rfind("host.", 0) == 0 || t == "List") ++host_objects;
    }
    // 4 circles, the group and its 3 members, and the plugin's 2 factory
    // functions (refgc::Functions made from its lambdas).
    CHECK_EQ(shapes_objects, 8);
    CHECK_EQ(from_shapes.size(), 10);
    CHECK_EQ(host_objects, 0);
  }
  // Every object is in a cycle through the scene (or a group): nothing died.
  CHECK_EQ(host.open.size(), 2);
  CHECK(host.published.contains("g1"));
  CHECK(gc::collect() > 0);
  CHECK_EQ(host.open.size(), 0);  // each file's finalize() closed its handle
  CHECK(has_event(host, "finalize /tmp/a.txt"));
  CHECK(has_event(host, "finalize /tmp/b.txt"));
  CHECK(has_event(host, "watcher: /tmp/a.txt is gone"));
  CHECK(!has_event(host, "watcher: /tmp/b.txt is gone"));  // its watcher was garbage too
  CHECK(host.published.empty());
  CHECK_EQ(diag::count("shapes.Circle/1"), 0);
  watcher.reset();  // and its weak reference (tracked: it has a callback)
  CHECK_EQ(gc::get_objects().size(), base);
}

// --- 3. a leak check names the plugin's types --------------------------------

void leak_check_reports_plugin_types(PluginHost& host, const std::string& build) {
  Ref<plugin_api::Scene> kept;
  {
    diag::LeakCheck scope;
    auto scene = make<plugin_api::Scene>("leaky");
    host.create("shapes.Circle", scene, "leaked");
    kept = scene;  // the planted leak
    const diag::LeakReport report = scope.check(0);
    bool named = false;
    for (const diag::TypeCount& row : report.by_type)
      if (row.type == "shapes.Circle/" + build && row.count == 1) named = true;
    CHECK(named);
    CHECK(report.str().find("shapes.Circle/" + build) != std::string::npos);
  }
  kept.reset();
  gc::collect();
}

// --- 4. unloading ----------------------------------------------------------

void unloading_waits_for_the_plugins_objects(PluginHost& host, const std::string& path) {
  auto scene = make<plugin_api::Scene>("s");
  Ref<Object> kept = host.create("shapes.Circle", scene, "kept");
  scene.reset();  // the scene lives on: `kept` refers to it
  std::string why;
  CHECK(!host.unload("shapes", &why));
  CHECK_STR(why, "shapes.Circle/1 <Circle kept r=1>");
  CHECK(is_loaded(path));
  CHECK(host.find("shapes") != nullptr);
  kept.reset();
  CHECK(host.unload("shapes"));
  // Really unmapped (a g++ build needs -fno-gnu-unique for that: see the
  // guide).
  CHECK(!is_loaded(path));
}

// --- 5. reloading: the same build, then another one at the same path ---------

void a_reloaded_plugin_is_named_and_weakly_referenced_as_its_build_says(PluginHost& host,
                                                                        const std::string& path,
                                                                        const std::string& v2) {
  const auto reload = [&]() -> const void* {
    if (!host.load("shapes", path)) return nullptr;
    return symbol<const void* (*)()>(*host.find("shapes"), "shapes_circle_type")();
  };
  // The same build again: its types register again.
  const void* type_v1 = reload();
  if (type_v1 == nullptr) return;
  {
    auto scene = make<plugin_api::Scene>("again");
    Ref<Object> c = host.create("shapes.Circle", scene, "again");
    CHECK_STR(diag::type_name(*c), "shapes.Circle/1");
    CHECK_EQ(diag::count("shapes.Circle/1"), 1);
    refgc::WeakRef<Object> w(c);
    CHECK(w.alive());
    scene->items->clear();
  }
  leak_check_reports_plugin_types(host, "1");
  // The last weak reference this thread makes before the unload is to a
  // build-1 Circle: refgc caches the answer for the last type it was asked
  // about, which must not answer for build 2's Circle.
  {
    auto scene = make<plugin_api::Scene>("again");
    Ref<Object> c = host.create("shapes.Circle", scene, "last");
    refgc::WeakRef<Object> w(c);
    scene->items->clear();
  }
  CHECK(host.unload("shapes"));
  CHECK(!is_loaded(path));

  // Build 2 at the same path: its Circle refuses weak references.
  install(v2, path);
  const void* type_v2 = reload();
  if (type_v2 == nullptr) return;
  std::printf("build 2's Circle type_info is %s build 1's (%p, %p)\n",
              type_v1 == type_v2 ? "at the address of" : "elsewhere than", type_v1, type_v2);
  {
    auto scene = make<plugin_api::Scene>("v2");
    Ref<Object> c = host.create("shapes.Circle", scene, "c");
    CHECK_STR(diag::type_name(*c), "shapes.Circle/2");
    CHECK_EQ(diag::count("shapes.Circle/1"), 0);
    CHECK_EQ(diag::count("shapes.Circle/2"), 1);
    // The first weak reference since build 1's Circle: python3 3.11.7: weakref.ref(1) raises
    // TypeError "cannot create weak reference to 'int' object".
    std::string refused;
    try {
      refgc::WeakRef<Object> w(c);
    } catch (const std::invalid_argument& e) {
      refused = e.what();
    }
    CHECK_STR(refused, "cannot create weak reference to 'shapes.Circle/2' object");
    // Its Group still accepts them (it publishes itself).
    host.create("shapes.Group", scene, "g2");
    CHECK_EQ(objects_named("shapes.Member/2"), 3);
    CHECK(host.published.contains("g2"));
  }
  CHECK(host.published.contains("g2"));  // a cycle until the collection
  leak_check_reports_plugin_types(host, "2");
  CHECK(host.unload("shapes"));
  CHECK(host.published.empty());
  CHECK(!is_loaded(path));
}

}  // namespace

namespace plugin_api {

Scene::Scene(std::string n) : name(std::move(n)), items(make<refgc::List<Object>>()) {}
void Scene::trace(refgc::Tracer& t) { t(items); }
std::string Scene::repr() const { return "<Scene " + name + ": " + items->repr() + ">"; }

}  // namespace plugin_api

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <shapes v1> <shapes v2> <files> <scratch dir>\n", argv[0]);
    return 2;
  }
  const std::string v1 = argv[1], v2 = argv[2], files = argv[3];
  std::filesystem::create_directories(argv[4]);
  // Every load of the shapes plugin is from this path.
  const std::string shapes = (std::filesystem::path(argv[4]) / "shapes.so").string();
  install(v1, shapes);
  {
    PluginHost host;
    if (host.load("shapes", shapes) && host.load("files", files)) {
      plugins_share_the_hosts_refgc(host);
      graphs_mix_host_and_plugin_types(host);
      leak_check_reports_plugin_types(host, "1");
      unloading_waits_for_the_plugins_objects(host, shapes);
      a_reloaded_plugin_is_named_and_weakly_referenced_as_its_build_says(host, shapes, v2);
      CHECK(host.unload("files"));
      CHECK(!is_loaded(files));
    }
    CHECK(host.plugins.empty());
    CHECK(host.open.empty());
  }
  std::printf("%s: %d failure(s)\n", g_failures == 0 ? "ok" : "FAILED", g_failures);
  return g_failures == 0 ? 0 : 1;
}
