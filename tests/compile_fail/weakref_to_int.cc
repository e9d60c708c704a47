// WeakRef<Int> must not compile: Int opts out of weak references, like
// Python's int ("cannot create weak reference to 'int' object").
#include <refgc/refgc.h>

struct Node : refgc::Object {};

int main() {
#ifdef REFGC_COMPILE_FAIL
  auto i = refgc::make<refgc::Int>(1);
  refgc::WeakRef<refgc::Int> w(i);
#else
  auto n = refgc::make<Node>();
  refgc::WeakRef<Node> w(n);
#endif
  return w.alive() ? 0 : 1;
}
