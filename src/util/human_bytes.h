#pragma once
// Byte counts as people read them: "512 B", "3.5 KiB", "12.0 MiB", "1.25 GiB".

#include <cstdint>
#include <string>

namespace ss {

std::string HumanBytes(uint64_t n);

}  // namespace ss
