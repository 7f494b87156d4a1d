#include "actors/document/ndjson_reader.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include "actors/document/detail/reader_file.hpp"
#include "actors/document/detail/utf8_validator.hpp"

namespace weft::document {

namespace {

constexpr int eof = detail::byte_source::end_of_input;

bool is_blank(const std::string& s) {
  for (char c : s) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

const char* type_name(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

}  // namespace

ndjson_reader::ndjson_reader(std::istream& in, reader_options options)
    : options_(detail::prepared(std::move(options), "data")),
      in_(in, options_.buffer_bytes, options_.data.encoding) {}

ndjson_reader::ndjson_reader(const std::filesystem::path& path, reader_options options)
    : file_(detail::open_data_file(path, options)),
      options_(detail::prepared(std::move(options), path.filename().string())),
      in_(*file_, options_.buffer_bytes, options_.data.encoding) {}

std::string ndjson_reader::describe() const { return "NDJSON, " + in_.encoding(); }

void ndjson_reader::fail(std::string reason) {
  failed_.emplace(options_.source_name, row_, line_number_, std::move(reason));
  throw *failed_;
}

bool ndjson_reader::read_line() {
  line_.clear();
  if (line_number_ == 0 && in_.peek() == 0xEF) {
    // A UTF-8 byte order mark before the first line.
    in_.get();
    if (in_.get() != 0xBB || in_.get() != 0xBF) {
      line_number_ = 1;
      fail("invalid UTF-8 at byte offset 0" + detail::encoding_hint(in_.encoding()));
    }
  }
  int c = in_.get();
  if (c == eof) {
    if (in_.read_failed()) fail(in_.error());
    return false;
  }
  ++line_number_;
  while (c != eof && c != '\n') {
    if (line_.size() >= options_.max_field_bytes) {
      ++row_;  // the offending line is a row as far as the user is concerned
      fail("line is longer than " + std::to_string(options_.max_field_bytes) + " bytes");
    }
    line_.push_back(static_cast<char>(c));
    c = in_.get();
  }
  if (c == eof && in_.read_failed()) fail(in_.error());
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

void ndjson_reader::check_line() {
  detail::utf8_validator utf8;
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < line_.size(); ++i) {
    const auto b = static_cast<unsigned char>(line_[i]);
    if (b == 0) fail("NUL byte at offset " + std::to_string(i));
    if (!utf8.feed(b))
      fail("invalid UTF-8 at byte offset " + std::to_string(i) +
           detail::encoding_hint(in_.encoding()));
    // Track nesting outside strings so that deeply nested input is refused before parsing.
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (b == '\\') {
        escaped = true;
      } else if (b == '"') {
        in_string = false;
      }
    } else if (b == '"') {
      in_string = true;
    } else if (b == '{' || b == '[') {
      if (++depth > options_.max_depth) {
        fail("nested deeper than " + std::to_string(options_.max_depth) + " levels");
      }
    } else if (b == '}' || b == ']') {
      if (depth > 0) --depth;
    }
  }
  if (!utf8.complete())
    fail("invalid UTF-8 at byte offset " + std::to_string(line_.size()) +
         detail::encoding_hint(in_.encoding()));
}

bool ndjson_reader::next(record& out) {
  if (failed_) throw *failed_;
  for (;;) {
    if (!read_line()) return false;
    if (!is_blank(line_)) break;
  }
  ++row_;
  check_line();
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(line_);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1,
    // column N: "; keep the column, drop the rest of the prefix.
    std::string what = e.what();
    const auto at = what.find("column ");
    if (at != std::string::npos) what = what.substr(at);
    fail("invalid JSON at " + what);
  } catch (const nlohmann::json::out_of_range& e) {  // 1e400: no double holds it
    fail(number_overflow_reason(e.what()));
  }
  if (!value.is_object()) fail(std::string("not a JSON object (found ") + type_name(value) + ")");
  out.number = row_;
  out.value = std::move(value);
  out.text.assign(line_);
  return true;
}

}  // namespace weft::document
