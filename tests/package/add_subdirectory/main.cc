// A program that builds refgc as part of itself with
// add_subdirectory(<refgc source dir>) and links refgc::refgc.
// Two objects that reference each other (a cycle) survive their handles;
// only the cycle collector can free them, and collect() reports both.
#include <refgc/refgc.h>

#include <cstddef>

namespace {

struct Node : refgc::Object {
  refgc::Ref<Node> other;
  void trace(refgc::Tracer& t) override { t(other); }
};

}  // namespace

int main() {
  refgc::gc::disable();  // no automatic collection: only ours below
  auto a = refgc::make<Node>();
  auto b = refgc::make<Node>();
  a->other = b;
  b->other = a;
  a.reset();
  b.reset();
  const std::size_t collect_result = refgc::gc::collect();
  return collect_result == 2 ? 0 : 1;
}
