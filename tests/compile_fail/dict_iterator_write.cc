// Writing a value through a Dict iterator must not compile: Dict::iterator
// is its const_iterator, as a value set through an iterator would skip
// set()'s tracking of the dict (dict.h). The control writes through a List
// iterator, which is allowed (a List is always tracked).
#include <refgc/refgc.h>

int main() {
#ifdef REFGC_COMPILE_FAIL
  auto d = refgc::make<refgc::Dict<int, refgc::Int>>();
  d->set(1, refgc::make<refgc::Int>(1));
  refgc::Dict<int, refgc::Int>::iterator it = d->begin();
  it->second = refgc::make<refgc::Int>(2);
  return 0;
#else
  auto l = refgc::make<refgc::List<refgc::Int>>();
  l->append(refgc::make<refgc::Int>(1));
  refgc::List<refgc::Int>::iterator it = l->begin();
  *it = refgc::make<refgc::Int>(2);
  return (*l)[0]->value() == 2 ? 0 : 1;
#endif
}
