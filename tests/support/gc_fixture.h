// tests/support/gc_fixture.h: a fixture that hides collection mechanics.
// SetUp: two full collections (nothing pending), automatic collection off.
// TearDown: every gc setting restored, garbage cleared, and two collections.
#pragma once

#include <gtest/gtest.h>
#include <refgc/refgc.h>

#include <string>
#include <vector>

namespace refgc_test {

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_threshold_ = refgc::gc::get_threshold();
    saved_enabled_ = refgc::gc::isenabled();
    saved_debug_ = refgc::gc::get_debug();
    refgc::gc::collect();
    refgc::gc::collect();
    refgc::gc::disable();
  }
  void TearDown() override {
    refgc::gc::callbacks().clear();
    refgc::gc::set_debug(saved_debug_);
    refgc::gc::garbage().clear();
    refgc::gc::set_threshold(saved_threshold_[0], saved_threshold_[1], saved_threshold_[2]);
    refgc::gc::collect();
    refgc::gc::collect();
    if (saved_enabled_) refgc::gc::enable();
  }

 private:
  std::array<int, 3> saved_threshold_{};
  bool saved_enabled_ = true;
  int saved_debug_ = 0;
};

// Captures what goes to the unraisable hook while alive.
class UnraisableCapture {
 public:
  UnraisableCapture() {
    old_ = refgc::set_unraisable_hook([this](const refgc::Unraisable& u) {
      objects.push_back(u.object);
      messages.push_back(u.what());
    });
  }
  ~UnraisableCapture() { refgc::set_unraisable_hook(std::move(old_)); }
  std::vector<std::string> objects;
  std::vector<std::string> messages;

 private:
  refgc::UnraisableHook old_;
};

// A log shared by test objects: finalizers and destructors append to it.
// Never destroyed: a death test's objects are finalized at process exit, by
// exit handlers that may run after the static destructors of objects made
// after the default heap (a static vector was appended to once destroyed).
inline std::vector<std::string>& event_log() {
  static auto* log = new std::vector<std::string>();
  return *log;
}

// Its finalizer resurrects it into a self-cycle. On refcount death the
// object is re-tracked into generation 0 for the finalizer (CPython's
// subtype_dealloc), so it is young garbage afterwards, wherever it was: the
// way to have a referent younger than its weak reference.
struct SelfCycling final : refgc::Object {
  static constexpr const char* refgc_type_name = "SelfCycling";
  refgc::Ref<refgc::Object> me;
  void trace(refgc::Tracer& t) override { t(me); }
  void finalize() override { me = refgc::Ref<refgc::Object>(this); }
};

}  // namespace refgc_test
