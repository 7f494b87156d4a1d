#pragma once

// The status page's static files (runtime/status_page/: HTML, JS, CSS), compiled
// into the binary at build time (cmake/embed_files.cmake): no CDN, no build step,
// nothing read from disk at run time (docs/operations.md "The status page").

#include <string_view>

namespace weft::runtime {

/// One compiled-in file.
struct static_file {
  std::string_view path;          ///< the URL path: "/", "/status.js", "/status.css"
  std::string_view content_type;  ///< with charset
  std::string_view body;
};

/// The file served at `path`, or nullptr. "/" and "/index.html" are the page.
const static_file* status_page_file(std::string_view path);

}  // namespace weft::runtime
