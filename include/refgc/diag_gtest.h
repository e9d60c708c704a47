// refgc/diag_gtest.h: a leak check in a GoogleTest test, in one line.
//
//   #include <gtest/gtest.h>
//   #include <refgc/diag_gtest.h>
//
//   TEST(Sessions, ClosingASessionFreesIt) {
//     REFGC_EXPECT_NO_LEAKS();   // first line of the test body
//     ...
//   }
//
// At the end of the test body the scope runs a full collection; any tracked
// object created in the test and still alive fails the test with the leak
// report (types, counts, and the backref chain that keeps each alive).
// Not part of the umbrella header: include it only where gtest is included.
#pragma once

#include <gtest/gtest.h>

#include "refgc/diag.h"

#define REFGC_DIAG_CONCAT_INNER_(a, b) a##b
#define REFGC_DIAG_CONCAT_(a, b) REFGC_DIAG_CONCAT_INNER_(a, b)

// Declares a diag::LeakCheck that reports leaks as a non-fatal gtest failure
// when the enclosing scope ends.
#define REFGC_EXPECT_NO_LEAKS()                                              \
  ::refgc::diag::LeakCheck REFGC_DIAG_CONCAT_(refgc_leak_check_, __LINE__) { \
    [](const ::refgc::diag::LeakReport& refgc_report_) {                     \
      ADD_FAILURE() << "refgc::diag::LeakCheck: " << refgc_report_;          \
    }                                                                        \
  }
