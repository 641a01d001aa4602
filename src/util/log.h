#pragma once
// Log lines on stderr with the seed's tags ([SHARD], [DHT], [TORRENT],
// [CONNECT], [STATUS]) so operators can grep them; --log-format json turns
// every line into one JSON object for machines. Thread-safe.

#include <string>

namespace ss {

enum class LogFormat { kText, kJson };
void SetLogFormat(LogFormat format);
// tag without brackets, e.g. "STATUS"; message may span lines.
void Log(const char* tag, const std::string& message);

}  // namespace ss
