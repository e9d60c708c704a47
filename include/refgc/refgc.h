// refgc/refgc.h: the umbrella header. Includes every public header.
//
// refgc gives C++ programs CPython's object memory model: reference counting
// with immediate destruction (ref.h), a generational cycle collector (gc.h),
// heaps handed between threads (heap.h), managed containers (list.h, dict.h,
// int.h, str.h, buffer.h), caches (lru_cache.h, ttl_cache.h) and the
// unraisable hook (unraisable.h). Start with
// docs/guide/getting-started.md.
#pragma once

#include "refgc/buffer.h"
#include "refgc/config.h"
#include "refgc/diag.h"
#include "refgc/dict.h"
#include "refgc/finalize.h"
#include "refgc/function.h"
#include "refgc/gc.h"
#include "refgc/heap.h"
#include "refgc/int.h"
#include "refgc/list.h"
#include "refgc/lru_cache.h"
#include "refgc/object.h"
#include "refgc/ref.h"
#include "refgc/str.h"
#include "refgc/subtle.h"
#include "refgc/tracer.h"
#include "refgc/ttl_cache.h"
#include "refgc/unraisable.h"
#include "refgc/weak_key_dictionary.h"
#include "refgc/weak_ref.h"
#include "refgc/weak_set.h"
#include "refgc/weak_value_dictionary.h"
