// examples/plugins/shapes.cc: a plugin that defines refgc types of its own
// (built twice, SHAPES_VERSION 1 and 2: the host installs the second build at
// the first one's path once it has unloaded the first).
//
//   shapes.Circle/N  a shape in a scene; it refers back to its scene (a cycle
//                    through a host type). Build 1 accepts weak references,
//                    build 2 refuses them (weakrefable = false), as a
//                    rebuilt plugin may.
//   shapes.Group/N   a group of circles: each child refers to the group, the
//                    group to its children (cycles the collector frees); it
//                    publishes itself in the host's WeakValueDictionary.
//
// The types live in an anonymous namespace: the host exports every symbol it
// has (-rdynamic), and a plugin type with the same name as one of the host's
// would otherwise share the host's vtable and inline functions.
#include <refgc/refgc.h>

#include <string>
#include <typeinfo>
#include <utility>

#include "plugin_api.h"

#ifndef SHAPES_VERSION
#error "build shapes.cc with SHAPES_VERSION=1 or 2"
#endif

#define SHAPES_STR2(x) #x
#define SHAPES_STR(x) SHAPES_STR2(x)

namespace {

using plugin_api::Scene;
using refgc::make;
using refgc::Object;
using refgc::Ref;

struct Circle : Object {
  static constexpr const char* refgc_type_name = "shapes.Circle/" SHAPES_STR(SHAPES_VERSION);
  static constexpr bool weakrefable = SHAPES_VERSION == 1;
  Circle(Ref<Scene> s, std::string l, int r)
      : scene(std::move(s)), label(std::move(l)), radius(r) {}
  void trace(refgc::Tracer& t) override { t(scene); }
  std::string repr() const override {
    return "<Circle " + label + " r=" + std::to_string(radius) + ">";
  }

  Ref<Scene> scene;
  std::string label;
  int radius;
};

struct Group : Object {
  static constexpr const char* refgc_type_name = "shapes.Group/" SHAPES_STR(SHAPES_VERSION);
  explicit Group(std::string l) : label(std::move(l)), children(make<refgc::List<Object>>()) {}
  void trace(refgc::Tracer& t) override { t(children, owner); }
  std::string repr() const override {
    return "<Group " + label + " of " + std::to_string(children->size()) + ">";
  }

  std::string label;
  Ref<refgc::List<Object>> children;
  Ref<Object> owner;  // the child that owns the group back (a second cycle)
};

// A child of a group: refers to the group (the cycle child -> group ->
// children -> child).
struct Member : Object {
  static constexpr const char* refgc_type_name = "shapes.Member/" SHAPES_STR(SHAPES_VERSION);
  explicit Member(Ref<Group> g) : group(std::move(g)) {}
  void trace(refgc::Tracer& t) override { t(group); }

  Ref<Group> group;
};

}  // namespace

extern "C" void plugin_register(plugin_api::Host& host) {
  host.add_factory("shapes.Circle",
                   plugin_api::Factory([](const Ref<Scene>& scene, const std::string& label) {
                     auto c = make<Circle>(scene, label, 1);
                     scene->items->append(c);
                     return Ref<Object>(c);
                   }));
  plugin_api::Host* h = &host;  // the host outlives every plugin
  host.add_factory("shapes.Group",
                   plugin_api::Factory([h](const Ref<Scene>& scene, const std::string& label) {
                     auto g = make<Group>(label);
                     for (int i = 0; i < 3; ++i) g->children->append(make<Member>(g));
                     g->owner = g->children->at(0);
                     scene->items->append(g);
                     h->publish(label, g);
                     return Ref<Object>(g);
                   }));
}

extern "C" const void* plugin_refgc_state() { return &refgc::detail::tls; }

extern "C" void plugin_make_probe(Ref<Object>& out) { out = make<Group>("probe"); }

// Where this build's Circle type_info is (the host reports whether a reload
// put it at the same address).
extern "C" PLUGIN_EXPORT const void* shapes_circle_type() { return &typeid(Circle); }
