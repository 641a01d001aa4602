#pragma once
// Is a process still listening at "host:port"? One TCP connect with a
// deadline, closed at once: a dead process's port refuses at once (the
// kernel answers for it), so a killed node is seen in milliseconds. A
// process that hangs with its socket open still accepts; that takes an
// application-level ping to see.

#include <chrono>
#include <string>

#include "util/status.h"

namespace ss::net {

// Ok when something accepted; otherwise kUnavailable saying what happened
// ("connection refused", "no answer within 500 ms"), or kInvalidArgument
// when `endpoint` is not a numeric "host:port" / "[v6]:port".
Status ProbeTcp(const std::string& endpoint, std::chrono::milliseconds timeout);

}  // namespace ss::net
