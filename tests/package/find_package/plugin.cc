// A plugin's translation unit (docs/guide/plugins.md), built against the
// installed refgc::headers alone: refgc's headers and usage requirements
// (C++20, REFGC_DEBUG) without the library, whose symbols the host that
// loads the plugin provides.
#include <refgc/refgc.h>

namespace {
struct PluginNode : refgc::Object {
  static constexpr const char* refgc_type_name = "PluginNode";
  refgc::Ref<refgc::Object> next;
  void trace(refgc::Tracer& t) override { t.field("next", next); }
};
}  // namespace

extern "C" __attribute__((visibility("default"))) bool plugin_make_cycle() {
  auto a = refgc::make<PluginNode>();
  auto b = refgc::make<PluginNode>();
  a->next = b;
  b->next = a;
  return a->reference_name(*b) == "next";
}
