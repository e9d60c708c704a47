// refgc/object.h: the managed object and its 16-byte header.
//
// Every managed type derives from refgc::Object, is created with
// refgc::make<T>(...) and is held through refgc::Ref<T> (ref.h).
//
//   struct Node : refgc::Object {
//     refgc::Ref<Node> next;                                  // a strong reference
//     void trace(refgc::Tracer& t) override { t(next); }      // lists what it owns
//     void finalize() override { std::puts("bye"); }          // Python's __del__
//   };
//   auto n = refgc::make<Node>();     // refcount 1
//   n->next = n;                      // a cycle: only the collector frees it
//
// Requirements on user types (the collector relies on them):
//   * trace() visits every Ref the object owns, each exactly once per call; it
//     must not allocate, throw, create or drop references, or call into refgc.
//     An exception from it during a collection stops the program, naming the
//     object and the exception (a collection cannot be unwound); from
//     gc::get_referents/get_referrers or a diag:: function it propagates.
//     A type that does not override trace() owns no references in the
//     collector's eyes and is never tracked (Python's "atomic" types).
//   * finalize() runs at most once per object (PEP 442), before destruction,
//     whether the object dies by refcount or in the collector. It may resurrect
//     the object by storing Ref<T>(this) somewhere. Exceptions it throws go to
//     the unraisable hook (unraisable.h).
//   * The destructor must not resurrect the object. Exceptions thrown by a
//     destructor go to the unraisable hook.
//   * Objects are created only by make<T>(); constructing one on the stack, with
//     new, or inside std::make_shared stops the program with a clear message.
//   * refgc::Object is the type's first base: with several bases, derive from
//     refgc::Object before any other class that has virtual functions
//     (`struct Button : refgc::Object, Widget`). The heap walk that finds the
//     oldest objects reads each header at the start of the object's memory;
//     make<T>() stops the program, naming T, when it is not there. ~Object()
//     is noexcept(false) (see above), so when Widget's virtual destructor is
//     noexcept, declare `~Button() noexcept override = default;` ("looser
//     exception specification" otherwise).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "refgc/config.h"

namespace refgc {

class Object;
class Tracer;
class Heap;
template <class T>
class Ref;

namespace detail {

// The header's second word. Packed state (see docs/design/memory-model.md):
//
//   31                                 7   6    5    4    3   2     0
//  +------------------------------------+----+----+----+----+--------+
//  |        index (25 bits)             | GC | WR | HF | FN | state  |
//  +------------------------------------+----+----+----+----+--------+
//
//  state  between collections: 0 untracked, 1..3 generation 0..2,
//         4 permanent (frozen), 7 freed (the slot is back in the pool).
//         During a collection: 5 collecting (in the set being examined;
//         after the reachability pass: in the unreachable list),
//         6 examined (scanned by the reachability pass; survivors move on).
//  FN     finalize() has run (or is running); never cleared (PEP 442).
//  HF     the type overrides finalize().
//  WR     weak references to this object exist (weak_ref.h side table).
//  GC     the type overrides trace(): instances are tracked by the collector
//         (a Dict only while it may hold a container: dict.h).
//  index  position in the vector of the generation (or of the collector's
//         working list) the state names; when untracked, 0, or for an
//         orphan its top bit and its destroyed heap's number (below).
enum : std::uint32_t {
  kStateMask = 0x7,
  kUntracked = 0,
  kGen0 = 1,
  kGen1 = 2,
  kGen2 = 3,
  kPermanent = 4,
  kCollecting = 5,
  kReached = 6,
  kFreed = 7,
  kFinalized = 1u << 3,
  kHasFinalizer = 1u << 4,
  kHasWeakrefs = 1u << 5,
  kIsGc = 1u << 6,
  kIndexShift = 7,
  kConstructing = 1u << 31,  // only in ThreadState::constructing
  kMaxIndex = (1u << (32 - kIndexShift)) - 1,
  // An orphan (an object still referenced when its Heap was destroyed:
  // docs/design/memory-model.md, "Orphans") is untracked with the top bit of
  // its index set; the index's other 24 bits are its destroyed heap's number
  // (src/orphans.cc). Untracked objects otherwise have index 0. Its WR bit
  // is set whether or not it has weak references, so that its death takes
  // the slow path, which gives it back to its own heap. (The bit is also
  // kConstructing's, which only ThreadState::constructing holds.)
  kOrphanBit = 1u << 31,
  kMaxHeapNumber = (1u << (31 - kIndexShift)) - 1,
};

// Whether a header's second word is an orphan's.
inline constexpr bool is_orphan(std::uint32_t gc) noexcept {
  return (gc & (kOrphanBit | kStateMask)) == (kOrphanBit | kUntracked);
}

struct ObjectAccess;

struct HeapImpl;

// A deallocation the trashcan deferred, and the heap it was deferred under
// (the heap it is freed under).
struct DeferredDealloc {
  Object* object;
  HeapImpl* heap;
};

// The trashcan of a heap hold that takes its heap (a Heap::Lock that is not
// nested in another hold of the same heap on this thread, ~Heap): the depth
// of the deallocations in progress when it began.
struct TrashState {
  int nesting = 0;
};

// Per-thread state: the heap this thread holds, the trashcan, and the guard
// that lets only make<T>() construct objects. On a cache line of its own, at
// the same place whatever other thread_locals the program has: a 24-byte
// thread_local added elsewhere in the library (ReprGuard's stack bounds,
// 2026-11-25) moved it 24 bytes and made W2's create-and-drop loop 9% slower
// with the loop's code unchanged (8.16 -> 8.89 ns per object, 7-11
// alternating rounds, taskset -c 1); aligned, 8.12.
struct alignas(64) ThreadState {
  Heap* heap = nullptr;
  // How deep the deallocations in progress on this thread are nested,
  // whatever heap each one is under: it measures the C++ stack.
  int trash_nesting = 0;
  // The deferred deallocations, each with its heap; non-null only while
  // some wait.
  std::vector<DeferredDealloc>* trash = nullptr;
  // Nonzero while make<T>() constructs an object: kConstructing plus the
  // header flags the new object starts with.
  std::uint32_t constructing = 0;
};
// A hold that takes its heap begins; at its end, before the heap is released,
// every deallocation still deferred on this thread is freed, each under the
// heap it was deferred under (src/object.cc).
TrashState begin_trash() noexcept;
void end_trash(TrashState outer) noexcept;

// initial-exec: one %fs-relative load even inside the (position-independent)
// library, instead of a __tls_get_addr call per access.
#if defined(__GNUC__) || defined(__clang__)
inline thread_local ThreadState tls __attribute__((tls_model("initial-exec")));
#else
inline thread_local ThreadState tls;
#endif

#if REFGC_DEBUG
// The debug library's own entry points live in a namespace whose name is the
// diagnosis of the link error a user gets when code compiled with
// REFGC_DEBUG=1 (no NDEBUG) is linked to a library built with REFGC_DEBUG=0:
// "undefined reference to refgc::detail::
// REFGC_DEBUG_is_1_here_but_0_in_the_library::acquire_heap_for(...)"
// (tests/compile_fail/refgc_debug_mismatch.cc).
namespace REFGC_DEBUG_is_1_here_but_0_in_the_library {
// Debug builds: `what` is done by a thread that holds no heap. Like any other
// use of refgc it takes the default heap implicitly, and stops the program
// with a message naming `what` if another thread holds it (src/heap.cc).
void acquire_heap_for(const char* what) noexcept;
}  // namespace REFGC_DEBUG_is_1_here_but_0_in_the_library
using REFGC_DEBUG_is_1_here_but_0_in_the_library::acquire_heap_for;
#endif
// Debug builds: the cheap thread check of refcount operations, weak
// references and weak containers (one thread-local load). Nothing in release.
#if REFGC_DEBUG
#define REFGC_DEBUG_REQUIRE_HEAP(what)                        \
  do {                                                        \
    if (REFGC_UNLIKELY(::refgc::detail::tls.heap == nullptr)) \
      ::refgc::detail::acquire_heap_for(what);                \
  } while (0)
#else
#define REFGC_DEBUG_REQUIRE_HEAP(what) \
  do {                                 \
  } while (0)
#endif

// The deallocation path (src/object.cc): called when a refcount reaches 0.
void dealloc(Object* obj) noexcept;
// Object's constructor found no make<T>() in progress (src/object.cc).
[[noreturn]] void constructed_outside_make() noexcept;
// make<T>(): T's constructor threw after it made weak references to the
// object (Object() ran, so the header says so): they are cleared, and their
// callbacks run, as for an object that dies (src/weak_core.cc).
void clear_weakrefs_of_failed_construction(Object* obj) noexcept;
// make<T>(): refgc::Object is not at the start of T (another polymorphic base
// comes first), so the heap walk could not read T's header (src/object.cc).
[[noreturn]] void object_not_first_base(const char* type) noexcept;
// make<T>(): T's constructor threw after storing a strong reference to the
// object it was building (Ref<T>(this)), which would dangle.
[[noreturn]] void constructor_kept_this(const char* type, const void* at) noexcept;
[[noreturn]] void refcount_fault(const Object* obj, std::uint32_t before) noexcept;
std::string type_name(const Object& obj);
// The object's repr(), or "<TypeName>" when it has none.
std::string repr_or_type(const Object& obj);
// Python's repr() of a str holding this UTF-8 text: single quotes unless the
// text has ' and no ", then double; backslash, the quote, \t \n \r escaped;
// every other character Python's str.isprintable() calls unprintable (C0 and
// C1 controls, DEL, format characters, separators but the space, private-use
// and unassigned code points: Unicode 14.0.0, python3 3.11.7's tables) as
// \xNN, \uNNNN or \UNNNNNNNN by its size, as Python does; any other character
// as it is. A byte that is not part of valid UTF-8 is shown as Python shows
// it after decoding with "surrogateescape" (os.fsdecode, sys.argv): byte 0xff
// is \udcff.
std::string repr_text(std::string_view text);
// Python's repr() of a float: the shortest digits that read back as the same
// double, in positional notation for exponents -4 to 15 (with ".0" when
// integral), else as 1.5e+16 / 1e-05; "inf", "-inf", "nan". A float or a
// long double is shown as the double it converts to, as Python shows it
// (array('f', [0.1]).tolist() is [0.10000000149011612]).
std::string repr_float(double x);
inline std::string repr_float(float x) { return repr_float(static_cast<double>(x)); }
inline std::string repr_float(long double x) { return repr_float(static_cast<double>(x)); }
// The length (1-4) of the valid UTF-8 sequence that starts at s[i], or 0.
std::size_t utf8_length_at(std::string_view s, std::size_t i) noexcept;

// Python's Py_ReprEnter/Py_ReprLeave: a container's repr() that meets itself
// again (a list inside itself) prints "[...]" instead of recursing forever.
//   detail::ReprGuard guard(this);
//   if (!guard) return "[...]";
// Containers nested more than kMaxReprDepth deep: the constructor throws
// std::runtime_error (Python's RecursionError, "maximum recursion depth
// exceeded while getting the repr of an object") instead of overflowing the
// stack. The limit is where python3 3.11.7 stops at a script's top level
// for nested empty lists: repr() of 998 of them works, of 999 raises (in
// Python the innermost element's repr counts one more level; here an Int's
// does not). It throws the same sooner on a thread whose stack is too small
// for that depth (each level takes a few hundred bytes; 998 need about
// 400 KiB): when the last 64 KiB of the stack (a quarter of a stack under
// 256 KiB) is reached, on Linux, where the thread's stack can be found.
class ReprGuard {
 public:
  static constexpr std::size_t kMaxReprDepth = 998;
  explicit ReprGuard(const Object* o);
  ~ReprGuard();
  ReprGuard(const ReprGuard&) = delete;
  ReprGuard& operator=(const ReprGuard&) = delete;
  explicit operator bool() const noexcept { return entered_; }

 private:
  const Object* object_;
  bool entered_;
};

// An integer that indexes a List or a Buffer: any integer type but bool, no
// wider than a pointer.
template <class I>
concept IndexInteger = std::integral<I> && !std::same_as<std::remove_cv_t<I>, bool> &&
                       sizeof(I) <= sizeof(std::size_t);

// An index into a List or a Buffer: an IndexInteger, or what stands for one
// as Python's __index__ does: an unscoped enumerator or a type with an
// implicit conversion to an integer (both indexed while the index was a
// std::ptrdiff_t), by the integer that +i gives. Not bool, a floating-point
// number or a scoped enum.
template <class I>
concept ConvertsToIndexInteger = !std::is_arithmetic_v<I> && requires(I i) {
  { +i } -> IndexInteger;
};
template <class I>
concept SequenceIndex = IndexInteger<I> || ConvertsToIndexInteger<I>;

// Python's index rule for a sequence of `size` elements: i, or size + i for
// a negative i; out of range throws std::out_of_range(message). List and
// Buffer index with it. An unsigned i never counts from the end: a size_t
// that wrapped below zero (`i - 1` at i == 0) is out of range, not the last
// element, as it would be once converted to a signed index.
template <SequenceIndex I>
std::size_t python_index(I index, std::size_t size, const char* message) {
  if constexpr (!IndexInteger<I>) {
    return python_index(+index, size, message);
  } else if constexpr (std::is_unsigned_v<I>) {
    if (index >= size) throw std::out_of_range(message);
    return static_cast<std::size_t>(index);
  } else {
    auto i = static_cast<std::ptrdiff_t>(index);
    const auto n = static_cast<std::ptrdiff_t>(size);
    if (i < 0) i += n;
    if (i < 0 || i >= n) throw std::out_of_range(message);
    return static_cast<std::size_t>(i);
  }
}

// Python's clamping of a slice bound or an insert position into [0, size]:
// a negative i counts from the end; past either end is that end. Unsigned:
// from the start only, as python_index.
template <SequenceIndex I>
std::size_t python_clamp(I index, std::size_t size) noexcept(noexcept(+index)) {
  if constexpr (!IndexInteger<I>) {
    return python_clamp(+index, size);
  } else if constexpr (std::is_unsigned_v<I>) {
    return index > size ? size : static_cast<std::size_t>(index);
  } else {
    auto i = static_cast<std::ptrdiff_t>(index);
    const auto n = static_cast<std::ptrdiff_t>(size);
    if (i < 0) i += n;
    if (i < 0) i = 0;
    if (i > n) i = n;
    return static_cast<std::size_t>(i);
  }
}

// Python's recursion limit for comparisons: a container's equals() holds one
// while it compares its elements; nested more than kMaxDepth deep, the
// constructor throws std::runtime_error (Python's RecursionError, "maximum
// recursion depth exceeded in comparison") instead of overflowing the stack.
// The limit is where python3 3.11.7 stops at a script's top level for nested
// empty lists: == of two chains of 999 works, of 1,000 raises (in Python
// comparing two distinct innermost elements counts one more level). On a
// thread whose stack is too small for that depth it throws sooner, as
// ReprGuard does.
class CompareGuard {
 public:
  static constexpr std::size_t kMaxDepth = 999;
  CompareGuard();
  ~CompareGuard();
  CompareGuard(const CompareGuard&) = delete;
  CompareGuard& operator=(const CompareGuard&) = delete;
};

// A soft cap on the length of container repr()s built on this thread while
// alive (diagnostics labels): List and Dict stop adding elements, and end with
// "...", once their text passes it. Nests; the innermost cap wins.
class ReprLimit {
 public:
  explicit ReprLimit(std::size_t max) noexcept;
  ~ReprLimit();
  ReprLimit(const ReprLimit&) = delete;
  ReprLimit& operator=(const ReprLimit&) = delete;
  // The cap in force (SIZE_MAX: none).
  static std::size_t current() noexcept;

 private:
  std::size_t saved_;
};

// Python's a == b for two managed objects (defined after Object).
bool equal_objects(const Object& a, const Object& b);

}  // namespace detail

// The base of every managed object. 16 bytes on 64-bit targets: the vtable
// pointer, a 32-bit reference count and the 32-bit collector word above.
class Object {
 public:
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  // noexcept(false): an exception escaping a destructor goes to the
  // unraisable hook instead of terminating the program. Inline: every
  // derived destructor would otherwise end with a call to an empty function.
  virtual ~Object() noexcept(false) = default;

  // Lists every strong reference the object owns (Python's tp_traverse and
  // tp_clear in one). See the requirements at the top of this file. Must not
  // throw: inside a collection an exception stops the program with this
  // object's type and address and the exception's what(); the introspection
  // calls (gc::get_referents, gc::get_referrers, diag::) let it through,
  // the heap unchanged.
  virtual void trace(Tracer& tracer);

  // Python's __del__: called at most once, before destruction.
  virtual void finalize();

  // A short human-readable value for diagnostics (labels in reference-graph
  // pictures, gc debug output). The default is empty; List, Int, Str, ... show
  // their contents.
  virtual std::string repr() const;

  // Value equality (Python's __eq__). The default is identity; List, Dict,
  // Int and Str compare their contents. false means "not equal, as far as
  // this type knows": for an object of a type it does not know, return
  // false (Python's NotImplemented), and the other side is asked.
  // `*a == *b` is Python's a == b: a.equals(b), then, when that is false
  // and b is of another type, the reflected b.equals(a) (the built-in
  // types' own == for two of the same type); List::index(), count(),
  // contains(), remove(), List and Dict == and WeakRef == compare elements
  // the same way. Ref == Ref is identity (`is`).
  virtual bool equals(const Object& other) const;
  friend bool operator==(const Object& a, const Object& b) { return detail::equal_objects(a, b); }

  // Extra bytes the object owns outside itself (a List's element array), for
  // getsizeof(). Default 0.
  virtual std::size_t extra_size() const noexcept;

  // What holds `target` in this object, for the diagnostics
  // (diag::describe_chain, the edges of diag::write_dot): a field's name
  // ("parent", "children[2]", "sessions['alice']" for a std::map field's
  // value), a List's position ("[2]"), a Dict's key
  // ("['a']", or "key 'a'" for the key itself). Empty when this object does
  // not refer to `target` or nothing names the reference. The default
  // answers with the names trace() gives through Tracer::field() (the first
  // reference to `target` in trace()'s order); override it to name
  // references in your own way. Diagnostics only: may run user code (a
  // key's repr()).
  virtual std::string reference_name(const Object& target) const;

  // The true reference count (Python's ob_refcnt).
  std::uint32_t refcount() const noexcept { return rc_; }

 protected:
  Object() noexcept;

  // Managed objects live in the current heap's size-class pools. Only
  // make<T>() may allocate (operator new is protected).
  static void* operator new(std::size_t size);
  static void* operator new(std::size_t, void* where) noexcept { return where; }
  // Arrays of managed objects cannot exist (each is its own allocation).
  static void* operator new[](std::size_t) = delete;
  static void operator delete[](void*) = delete;
  // The deleting destructor's last step. Objects are deleted only by the
  // deallocation path (ObjectAccess::destroy), which already holds the heap
  // and gives the slot back to its pool itself: here the slot is only marked
  // dead, so that a later use is caught (refcount 0, state freed), and the
  // dynamic type's size, which only the virtual destructor knows, is left in
  // the dead object's first word for that caller. Inline and heap-free, the
  // deleting destructor ends with two stores instead of a call that looks the
  // heap up again.
  static void operator delete(void* p, std::size_t size) noexcept {
    const std::uint32_t header[2] = {0, detail::kFreed};
    std::memcpy(static_cast<char*>(p) + sizeof(void*), header, sizeof header);
    std::memcpy(p, &size, sizeof size);
  }
  static void operator delete(void*, void*) noexcept {}

 private:
  friend struct detail::ObjectAccess;
  std::uint32_t rc_;
  std::uint32_t gc_;
};

static_assert(sizeof(void*) != 8 || sizeof(Object) == 16,
              "the refgc object header must stay 16 bytes on 64-bit targets");

// Inline so that inside make<T>() the compiler sees the flag it has just set:
// the check folds away and the header is written with constants. Built
// anywhere else (stack, plain new, make_shared) the flag is 0 and it stops.
inline Object::Object() noexcept
    : rc_(1), gc_(detail::tls.constructing & ~std::uint32_t{detail::kConstructing}) {
  if (REFGC_UNLIKELY(detail::tls.constructing == 0)) detail::constructed_outside_make();
  detail::tls.constructing = 0;
}

namespace detail {

// Python's a == b (do_richcompare) with equals() as __eq__: a.equals(b),
// then, if that is false and b is of another type, the reflected
// b.equals(a). A bool cannot say NotImplemented, so false stands for it: a
// Celsius whose equals() takes an Int is then equal to an Int from either
// side, as python3 3.11.7's 5 == Celsius(5) calls Celsius.__eq__ reflected.
// Two differences from Python: b of a subclass of a's type is not asked
// first (C++ cannot tell a subclass from the dynamic types), and an
// equals() that means a definitive false for another type (Python's False,
// not NotImplemented) still lets that type's equals() answer. The caller
// holds both (either equals() is user code that may drop a reference).
inline bool equal_objects(const Object& a, const Object& b) {
  if (a.equals(b)) return true;
  return typeid(a) != typeid(b) && b.equals(a);
}

// Internal access to the header. Not API. The words are read through their
// fixed offsets (after the vtable pointer) rather than as members, so that the
// always-on checks may look at a dead object's header without a member access
// through an invalid vtable (which UBSan's vptr check would report first).
struct ObjectAccess {
  static constexpr std::size_t kRcOffset = sizeof(void*);
  static constexpr std::size_t kGcOffset = sizeof(void*) + sizeof(std::uint32_t);
  static std::uint32_t& word(Object* o, std::size_t offset) noexcept {
    return *reinterpret_cast<std::uint32_t*>(reinterpret_cast<char*>(o) + offset);
  }
  static std::uint32_t word(const Object* o, std::size_t offset) noexcept {
    return *reinterpret_cast<const std::uint32_t*>(reinterpret_cast<const char*>(o) + offset);
  }
  static std::uint32_t& rc(Object* o) noexcept { return word(o, kRcOffset); }
  static std::uint32_t rc(const Object* o) noexcept { return word(o, kRcOffset); }
  static std::uint32_t& gc(Object* o) noexcept { return word(o, kGcOffset); }
  static std::uint32_t gc(const Object* o) noexcept { return word(o, kGcOffset); }
  static std::uint32_t state(const Object* o) noexcept { return gc(o) & kStateMask; }
  static std::uint32_t index(const Object* o) noexcept { return gc(o) >> kIndexShift; }
  static void set_state(Object* o, std::uint32_t s) noexcept {
    gc(o) = (gc(o) & ~std::uint32_t{kStateMask}) | s;
  }
  static void set_slot(Object* o, std::uint32_t s, std::uint32_t index) noexcept {
    gc(o) = (gc(o) & ((1u << kIndexShift) - 1) & ~std::uint32_t{kStateMask}) |
            (index << kIndexShift) | s;
  }
  // Checks the offsets above against the real layout (called once in a test).
  static bool layout_matches(const Object* o) noexcept {
    return reinterpret_cast<const char*>(&o->rc_) == reinterpret_cast<const char*>(o) + kRcOffset &&
           reinterpret_cast<const char*>(&o->gc_) == reinterpret_cast<const char*>(o) + kGcOffset;
  }
  // Constructs a T in memory from the heap's pool (make<T>() gives the
  // memory back if the constructor throws). The flag Object() reads is set
  // here, before T's argument conversions and default arguments run, and
  // whatever it was is put back afterwards: a make<U>() inside one of those
  // (a default argument `Ref<U> u = make<U>()`) sets and consumes its own
  // and leaves T's for T's Object().
  template <class T, class... Args>
  static T* create(void* mem, std::uint32_t flags, Args&&... args) {
    struct Reset {
      std::uint32_t saved;
      ~Reset() { tls.constructing = saved; }
    } reset{tls.constructing};
    tls.constructing = kConstructing | flags;
    return new (mem) T(static_cast<Args&&>(args)...);
  }
  // Writes a freed header (refcount 0, state freed) into a slot: make<T>()
  // does so before T's construction starts, so that a heap walk run by user
  // code in T's argument conversions (gc::collect(), gc::get_objects()) or
  // after a construction failed skips it, instead of reading whatever bytes
  // the chunk held there (Object() has not written the header yet).
  static void mark_freed(void* mem) noexcept {
    const std::uint32_t header[2] = {0, kFreed};
    std::memcpy(static_cast<char*>(mem) + kRcOffset, header, sizeof header);
  }
  // Runs the (virtual) destructor. The caller then frees the slot: its size
  // is freed_size(o), also when the destructor threw (operator delete runs
  // either way).
  static void destroy(Object* o) { delete o; }
  static std::size_t freed_size(const Object* o) noexcept {
    std::size_t size;
    std::memcpy(&size, static_cast<const void*>(o), sizeof size);  // raw memory now
    return size;
  }
};

// +1. Stops the program if the object is dead (count was 0) or the count
// would overflow: one compare of the new count against 1 (it is 0 after an
// overflow, 1 for a dead object), before the store.
REFGC_ALWAYS_INLINE void incref(Object* o) noexcept {
  REFGC_DEBUG_REQUIRE_HEAP("copies a Ref (reference count +1)");
  std::uint32_t& rc = ObjectAccess::rc(o);
  const std::uint32_t after = rc + 1;
  // One compare: 0 (the count was at its maximum) or 1 (it was 0: dead).
  if (REFGC_UNLIKELY(after <= 1)) refcount_fault(o, after - 1);
  rc = after;
}

// decref on x86-64 with GCC >= 11 or clang >= 11 (asm goto with an output):
// `subl $1, rc; jc dead; jz last`, the flags of the one subtraction telling
// "was 0" (borrow: underflow) and "was 1" (zero: the object dies) apart, as
// the intrusive pointer's `subl; je` does for "was 1" alone. Not under the
// sanitizers, which must see the access. Define REFGC_DECREF_ASM=0 for the
// portable code.
#if !defined(REFGC_DECREF_ASM)
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && \
    ((defined(__clang__) && __clang_major__ >= 11) || (!defined(__clang__) && __GNUC__ >= 11))
#if defined(__has_feature)
#if !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer) && \
    !__has_feature(memory_sanitizer)
#define REFGC_DECREF_ASM 1
#endif
#else
#define REFGC_DECREF_ASM 1
#endif
#endif
#endif
#if !defined(REFGC_DECREF_ASM)
#define REFGC_DECREF_ASM 0
#endif

// -1. At zero the object dies now (finalize, weak callbacks, destructor, free).
// Stops the program on underflow (use of a dead object).
REFGC_ALWAYS_INLINE void decref(Object* o) noexcept {
  REFGC_DEBUG_REQUIRE_HEAP("drops a Ref (reference count -1)");
  std::uint32_t& rc = ObjectAccess::rc(o);
#if REFGC_DECREF_ASM
  asm goto("subl $1, %0\n\tjc %l[dead]\n\tjz %l[last]" : "+m"(rc) : : "cc" : dead, last);
  return;
last:
  dealloc(o);  // the count is 0
  return;
dead:
  rc = 0;  // it was 0: put it back before stopping
  refcount_fault(o, 0);
#else
  const std::uint32_t before = rc;
  if (REFGC_LIKELY(before > 1)) {
    rc = before - 1;
    return;
  }
  if (before == 0) refcount_fault(o, before);
  rc = 0;
  dealloc(o);
#endif
}

}  // namespace detail
}  // namespace refgc
