#pragma once
// Names the calling thread (what `top -H`, `ps -L` and debuggers show), so an
// operator can tell a node's compute thread from its I/O and DHT threads.
// Linux keeps the first 15 characters.

namespace ss {

void NameThisThread(const char* name);

}  // namespace ss
