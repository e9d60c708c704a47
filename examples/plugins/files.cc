// examples/plugins/files.cc: a plugin whose objects hold resources.
//
//   files.File     holds a (fake) operating-system handle from the host,
//                  released by finalize(): on refcount death, or by the
//                  collector when the file is part of a cycle (it refers to
//                  its scene, which holds it). It publishes itself in the
//                  host's WeakValueDictionary.
//   files.Watcher  watches a published file through a WeakRef whose
//                  callback (plugin code) tells the host when the file dies.
//                  Its trace() reports the WeakRef (writing-trace.md, rule
//                  5): a watcher that is garbage together with its file is
//                  not called, as in CPython, where a weakref that is part of
//                  the garbage has its callback dropped.
#include <refgc/refgc.h>

#include <string>
#include <utility>

#include "plugin_api.h"

namespace {

using plugin_api::Scene;
using refgc::make;
using refgc::Object;
using refgc::Ref;

plugin_api::Host* g_host = nullptr;  // set by plugin_register; outlives the plugin

struct File : Object {
  static constexpr const char* refgc_type_name = "files.File";
  File(Ref<Scene> s, std::string p) : scene(std::move(s)), path(std::move(p)) {
    handle = g_host->open_resource(path);
  }
  void trace(refgc::Tracer& t) override { t(scene); }
  void finalize() override {
    if (handle < 0) return;
    g_host->close_resource(handle);
    g_host->log("finalize " + path);
    handle = -1;
  }
  std::string repr() const override {
    return "<File " + path + " fd=" + std::to_string(handle) + ">";
  }

  Ref<Scene> scene;
  std::string path;
  int handle = -1;
};

struct Watcher : Object {
  static constexpr const char* refgc_type_name = "files.Watcher";
  explicit Watcher(std::string n) : name(std::move(n)) {}
  void trace(refgc::Tracer& t) override { t.field("watched", watched); }

  std::string name;
  refgc::WeakRef<Object> watched;
};

}  // namespace

extern "C" void plugin_register(plugin_api::Host& host) {
  g_host = &host;
  host.add_factory("files.File",
                   plugin_api::Factory([](const Ref<Scene>& scene, const std::string& path) {
                     auto f = make<File>(scene, path);
                     scene->items->append(f);
                     g_host->publish(path, f);
                     return Ref<Object>(f);
                   }));
  // The label names the published file to watch.
  host.add_factory(
      "files.Watcher", plugin_api::Factory([](const Ref<Scene>&, const std::string& path) {
        auto w = make<Watcher>(path);
        Ref<Object> file = g_host->lookup(path);
        if (file) {
          const std::string name = w->name;
          w->watched = refgc::WeakRef<Object>(file, [name](const refgc::WeakRef<Object>&) {
            g_host->log("watcher: " + name + " is gone");
          });
        }
        return Ref<Object>(w);
      }));
}

extern "C" const void* plugin_refgc_state() { return &refgc::detail::tls; }

extern "C" void plugin_make_probe(Ref<Object>& out) { out = make<Watcher>("probe"); }
