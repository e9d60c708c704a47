// bench/adapters/shared_ptr_adapter.cc: std::shared_ptr as a benchmark System.
// Nodes come from std::make_shared (one allocation: control block + node).
#include <malloc.h>

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "../harness/workloads.h"

namespace bench {
namespace {

struct SharedNode {
  std::shared_ptr<SharedNode> a, b;
};

// An allocator that records the size of the block make_shared asks for.
inline std::size_t g_recorded_bytes = 0;
template <class T>
struct RecordingAllocator {
  using value_type = T;
  RecordingAllocator() = default;
  template <class U>
  RecordingAllocator(const RecordingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    g_recorded_bytes = n * sizeof(T);
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const RecordingAllocator<U>&) const noexcept {
    return true;
  }
};

struct SharedPtrSystem {
  static constexpr const char* kName = "shared_ptr";
  static constexpr bool kRefCounted = true;
  using Handle = std::shared_ptr<SharedNode>;
  template <class T>
  using Vector = std::vector<T>;

  static void init() {}
  static Handle make() { return std::make_shared<SharedNode>(); }
  static void set_a(const Handle& n, Handle v) { n->a = std::move(v); }
  static void set_b(const Handle& n, Handle v) { n->b = std::move(v); }
  // The control block with the node inside it, as make_shared lays it out
  // (measured through allocate_shared, which uses the same block type).
  static std::size_t requested_bytes() {
    auto p = std::allocate_shared<SharedNode>(RecordingAllocator<SharedNode>());
    return g_recorded_bytes;
  }
  static std::size_t allocator_bytes() { return mallinfo2().uordblks; }
};

}  // namespace

void register_shared_ptr(std::vector<Entry>& out) { add_workloads<SharedPtrSystem>(out); }

}  // namespace bench
