#pragma once
// The web console's files (web/), compiled into the binary at build time by
// cmake/embed_files.cmake, so the gateway serves the console with nothing
// fetched at run time.

#include <span>
#include <string_view>

namespace ss::gateway {

struct ConsoleAsset {
  std::string_view path;  // "/app.js"
  std::string_view bytes;
};

// Every embedded file (empty when web/ was).
std::span<const ConsoleAsset> ConsoleAssets();
// The file served at `path` ("/" is "/index.html"), or nullptr.
const ConsoleAsset* FindConsoleAsset(std::string_view path);
// "text/html; charset=utf-8" and the like, by the path's extension.
std::string_view ContentTypeOf(std::string_view path);

}  // namespace ss::gateway
