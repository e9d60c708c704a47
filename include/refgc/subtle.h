// refgc/subtle.h: risky escape hatches (CPython's Py_INCREF / Py_DECREF).
//
// For bridging to C APIs that carry raw pointers. Every call here can break
// the counts if misused; the always-on checks still stop the program with the
// object's type and address on underflow or use of a dead object.
//
//   Node* raw = refgc::subtle::release(std::move(ref));   // we own one ref
//   ...pass raw through a C callback...
//   refgc::Ref<Node> back = refgc::subtle::adopt(raw);     // and take it back
#pragma once

#include "refgc/ref.h"

namespace refgc::subtle {

// Py_INCREF.
inline void incref(Object& o) noexcept { detail::incref(&o); }
// Py_DECREF: the object dies now if this was the last reference.
inline void decref(Object& o) noexcept { detail::decref(&o); }

// Gives up the handle's reference without dropping it.
template <class T>
T* release(Ref<T>&& r) noexcept {
  return r.release_unsafe_();
}
// Wraps a reference the caller owns (no increment).
template <class T>
Ref<T> adopt(T* p) noexcept {
  return detail::RefAccess::adopt(p);
}

}  // namespace refgc::subtle
