// Ref<NotAnObject> must not compile: only managed objects have a refcount.
#include <refgc/refgc.h>

struct NotAnObject {
  int x = 0;
};
struct Node : refgc::Object {};

int main() {
#ifdef REFGC_COMPILE_FAIL
  refgc::Ref<NotAnObject> r;
#else
  refgc::Ref<Node> r = refgc::make<Node>();
#endif
  return r ? 0 : 1;
}
