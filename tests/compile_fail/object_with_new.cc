// `new Node` must not compile: managed objects come from refgc::make<T>().
#include <refgc/refgc.h>

struct Node : refgc::Object {};

int main() {
#ifdef REFGC_COMPILE_FAIL
  Node* n = new Node;
  (void)n;
  return 0;
#else
  auto r = refgc::make<Node>();
  return r ? 0 : 1;
#endif
}
