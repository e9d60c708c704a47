// WeakRef<List<T>> must not compile: List and Dict opt out of weak
// references, like Python's list and dict ("cannot create weak reference to
// 'list' object"); their subclasses accept, as Python's do (seed behaviour 52).
#include <refgc/refgc.h>

struct Items : refgc::List<refgc::Int> {};  // a list subclass

int main() {
#ifdef REFGC_COMPILE_FAIL
  auto l = refgc::make<refgc::List<refgc::Int>>();
  refgc::WeakRef<refgc::List<refgc::Int>> w(l);
#else
  auto l = refgc::make<Items>();
  refgc::WeakRef<Items> w(l);
#endif
  return w.alive() ? 0 : 1;
}
