#pragma once
// The two clocks the code reads: the monotonic one for durations, deadlines
// and rates (it never jumps), and the wall clock for times that leave the
// process (records, events, API responses), which may jump.

#include <chrono>
#include <cstdint>

namespace ss {

// Seconds on std::chrono::steady_clock; only differences mean anything.
inline double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Milliseconds since the Unix epoch.
inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ss
