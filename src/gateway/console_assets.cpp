#include "gateway/console_assets.h"

namespace ss::gateway {

const ConsoleAsset* FindConsoleAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const ConsoleAsset& a : ConsoleAssets())
    if (a.path == path) return &a;
  return nullptr;
}

std::string_view ContentTypeOf(std::string_view path) {
  struct Type {
    std::string_view extension, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
  };
  if (path == "/") return kTypes[0].type;
  for (const Type& t : kTypes)
    if (path.ends_with(t.extension)) return t.type;
  return "application/octet-stream";
}

}  // namespace ss::gateway
