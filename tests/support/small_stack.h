// tests/support/small_stack.h: runs a test body on a thread with a small
// stack, so that recursion per level shows (as a crash) at depths a test can
// build quickly, instead of needing structures big enough for 8 MiB.
#pragma once

#include <gtest/gtest.h>
#include <pthread.h>
#include <refgc/refgc.h>

#include <cstddef>
#include <functional>

namespace refgc_test {

// Runs `body` on a new thread with a `stack_bytes` stack, holding a fresh
// heap (destroyed when `body` returns).
inline void run_on_small_stack(std::size_t stack_bytes, const std::function<void()>& body) {
  struct Ctx {
    const std::function<void()>* body;
  } ctx{&body};
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, stack_bytes), 0);
  pthread_t thread;
  auto entry = [](void* p) -> void* {
    refgc::Heap heap;
    {
      refgc::Heap::Lock lock(heap);
      (*static_cast<Ctx*>(p)->body)();
    }
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, entry, &ctx), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  pthread_attr_destroy(&attr);
}

}  // namespace refgc_test
