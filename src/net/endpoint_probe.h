#pragma once
// Is a process still serving at "host:port"? A dead process's port refuses at
// once (the kernel answers for it), so a killed node is seen in milliseconds.
// A process that hangs (stopped, deadlocked) with its socket open still gets
// its connections accepted by the kernel: only an answer from the process
// itself tells it apart, hence the TLS probe.

#include <chrono>
#include <string>

#include "util/status.h"

namespace ss::net {

struct ProbeResult {
  Status status;        // Ok when the process answered
  bool silent = false;  // no answer within the timeout (not refused, not reset)
};

// One TCP connect with a deadline, closed at once. Ok when the kernel
// accepted. kUnavailable saying what happened ("Connection refused at …",
// "no answer at … within 500 ms"); kInvalidArgument when `endpoint` is not a
// numeric "host:port" / "[v6]:port".
ProbeResult ProbeTcp(const std::string& endpoint, std::chrono::milliseconds timeout);

// A TCP connect and a TLS ClientHello, closed as soon as the server's first
// handshake bytes arrive (the RPC server treats that as a probe, quietly):
// Ok only when the serving process itself answered within `timeout`.
ProbeResult ProbeTls(const std::string& endpoint, std::chrono::milliseconds timeout);

}  // namespace ss::net
