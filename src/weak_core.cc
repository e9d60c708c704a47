// src/weak_core.cc: the weak-reference core. Weak references are not built
// yet (issue 4); no object ever has the "has weak references" bit, so these
// hooks have nothing to do. They are where WeakRef plugs in.
#include "heap_impl.h"
#include "weak_hooks.h"

namespace refgc::detail {

void clear_weakrefs_on_dealloc(HeapImpl&, Object* o) noexcept {
  ObjectAccess::gc(o) &= ~std::uint32_t{kHasWeakrefs};
}

std::size_t handle_weakrefs(HeapImpl&, const std::vector<Object*>&) noexcept { return 0; }

}  // namespace refgc::detail
