// A user tracer cannot pick one of the collector's modes (they write the
// headers of the objects they visit): the key that unlocks them has a
// private constructor (include/refgc/tracer.h, detail::CollectorKey).
#include <refgc/refgc.h>

#ifdef REFGC_COMPILE_FAIL
struct Sneaky final : refgc::Tracer {
  Sneaky() : Tracer(refgc::detail::CollectorKey{}, Mode::kSubtract) {}
  bool visit(refgc::Object*) override { return false; }
};
#else
struct Sneaky final : refgc::Tracer {
  bool visit(refgc::Object*) override { return false; }
};
#endif

struct Node : refgc::Object {
  refgc::Ref<Node> next;
  void trace(refgc::Tracer& t) override { t(next); }
};

int main() {
  auto n = refgc::make<Node>();
  Sneaky s;
  n->trace(s);
  return 0;
}
