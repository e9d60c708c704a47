// `new Node[2]` must not compile: each managed object is its own allocation
// from refgc::make<T>() (review 2026-11-23, session 15: array-new compiled
// and stopped only at run time).
#include <refgc/refgc.h>

struct Node : refgc::Object {};

int main() {
#ifdef REFGC_COMPILE_FAIL
  Node* n = new Node[2];
  (void)n;
  return 0;
#else
  auto r = refgc::make<Node>();
  return r ? 0 : 1;
#endif
}
