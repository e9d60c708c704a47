// make<NotAnObject>() must not compile.
#include <refgc/refgc.h>

struct NotAnObject {
  int x = 0;
};
struct Node : refgc::Object {};

int main() {
#ifdef REFGC_COMPILE_FAIL
  auto r = refgc::make<NotAnObject>();
#else
  auto r = refgc::make<Node>();
#endif
  return r ? 0 : 1;
}
