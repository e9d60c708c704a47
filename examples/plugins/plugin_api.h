// examples/plugins/plugin_api.h: the contract between the host
// (examples/plugins/host.cc) and its plugins (shapes.cc, files.cc), shared
// objects the host loads with dlopen().
//
// A plugin is a CMake MODULE library that includes refgc's headers and does
// not link refgc (refgc::headers): its references to refgc resolve, when it
// is loaded, to the one copy the host links whole and exports
// (docs/guide/plugins.md, "Using refgc from plugins"). It defines
//
//   extern "C" void plugin_register(plugin_api::Host& host);
//
// which registers factories for its types, and the probes below that let the
// host check that it shares the host's refgc.
#pragma once

#include <refgc/refgc.h>

#include <string>

namespace plugin_api {

// A host type: a scene holds the objects the factories make (plugin types
// and host types mixed). Its trace() is defined in host.cc, so its vtable
// and type_info are the host's: a plugin uses them through the host's
// exported symbols.
struct Scene : refgc::Object {
  static constexpr const char* refgc_type_name = "host.Scene";
  explicit Scene(std::string name);
  void trace(refgc::Tracer& t) override;
  std::string repr() const override;

  std::string name;
  refgc::Ref<refgc::List<refgc::Object>> items;
};

// make(scene, label): a new object of the factory's type, added to the scene
// (which the object may refer back to: a cycle through a host type).
using Factory =
    refgc::Function<refgc::Ref<refgc::Object>(const refgc::Ref<Scene>&, const std::string&)>;

// What the host offers a plugin while it registers and while its objects
// live.
class Host {
 public:
  virtual ~Host() = default;
  // Registers a factory for `type` (a name such as "shapes.Circle"). The
  // host drops a plugin's factories before unloading it.
  virtual void add_factory(const std::string& type, Factory factory) = 0;
  // A fake operating-system resource (a file, a timer): the host counts the
  // open ones; a plugin object closes its own in finalize().
  virtual int open_resource(const std::string& what) = 0;
  virtual void close_resource(int handle) = 0;
  // Publishes `obj` under `name` in the host's WeakValueDictionary: the
  // entry goes when the object dies.
  virtual void publish(const std::string& name, const refgc::Ref<refgc::Object>& obj) = 0;
  // The object published under `name` (null if none, or it died).
  virtual refgc::Ref<refgc::Object> lookup(const std::string& name) = 0;
  // An event for the host's log (finalizers, weak-reference callbacks).
  virtual void log(const std::string& event) = 0;
};

}  // namespace plugin_api

// The plugins' entry points stay visible if a plugin is built with
// -fvisibility=hidden (which refgc's own symbols must not be: see the guide).
#define PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" {
// Every plugin defines these three.
PLUGIN_EXPORT void plugin_register(plugin_api::Host& host);
// The address of refgc's per-thread state as the plugin sees it: the host's
// own when the plugin shares its refgc.
PLUGIN_EXPORT const void* plugin_refgc_state();
// A new object of one of the plugin's types, made by the plugin with
// make<T>(): the host checks that it lives in the host's heap.
PLUGIN_EXPORT void plugin_make_probe(refgc::Ref<refgc::Object>& out);
}
