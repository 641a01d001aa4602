#pragma once
// Bytes as lower-case hex digits and back, ids shortened for people, and a
// comparison of secrets whose time does not depend on where they differ.

#include <optional>
#include <string>
#include <string_view>

namespace ss {

std::string HexEncode(std::string_view bytes);

// The bytes of an even number of hex digits (either case); nullopt if `hex`
// holds anything else.
std::optional<std::string> HexDecode(std::string_view hex);

// "3f9a12c4b7e0…": the first 12 characters of a long id (a peer, model or
// file hash in hex), as logs and messages show it; shorter ids unchanged.
std::string ShortId(std::string_view id);

// True when `a` and `b` are equal, in time that depends on neither their
// content nor their lengths (it compares their SHA-256 digests): for MACs,
// tokens and keys, where an early exit would tell an attacker how many
// leading bytes were right.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace ss
