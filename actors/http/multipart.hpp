#pragma once

// An incremental multipart/form-data parser (RFC 7578) for POST /v1/jobs:
// Beast has none, and no Debian package fits. It is fed the body as it
// arrives, in pieces of any size, and hands each part's bytes on as it finds
// them, so an upload is never held whole in memory. Bounded: a part's header
// block may have at most 8 KiB, a body at most `max_parts` parts. Fuzzed by
// tests/fuzz/fuzz_multipart.cpp.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace weft::http {

class multipart_parser {
 public:
  struct part {
    std::string name;          ///< Content-Disposition name
    std::string filename;      ///< Content-Disposition filename ("" for a text field)
    std::string content_type;  ///< "" when absent
  };
  /// A part begins; false refuses it (the parser then fails with `why` set by the callee).
  std::function<bool(const part&)> on_part;
  /// Bytes of the current part's body; false stops the parser.
  std::function<bool(const char* data, std::size_t size)> on_data;
  /// The current part ended; false stops the parser.
  std::function<bool()> on_part_end;

  explicit multipart_parser(std::string boundary, std::size_t max_parts = 64);

  /// Parses `size` more bytes. @return false once the body is malformed or a
  /// callback refused (then `error()` says why; feeding more does nothing).
  bool feed(const char* data, std::size_t size);
  /// The closing delimiter has been seen.
  bool done() const { return state_ == state::epilogue; }
  const std::string& error() const { return error_; }
  /// Sets the error a refusing callback reports.
  void fail(std::string why);

 private:
  enum class state { preamble, after_delimiter, headers, body, epilogue, failed };
  bool step();
  bool parse_headers(const std::string& block);

  std::string delimiter_;  ///< "\r\n--" + boundary
  std::size_t max_parts_;
  std::size_t parts_ = 0;
  state state_ = state::preamble;
  std::string buf_;
  std::string error_;
};

/// The boundary parameter of a multipart/form-data Content-Type; nothing when
/// the type is another or the boundary is missing or longer than 70 characters.
std::optional<std::string> form_boundary(const std::string& content_type);

}  // namespace weft::http
