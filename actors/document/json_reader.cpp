#include "actors/document/json_reader.hpp"

#include <utility>

#include "actors/document/detail/reader_file.hpp"

namespace weft::document {

namespace {

constexpr int eof = detail::byte_source::end_of_input;

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string shown(int c) {
  if (c == eof) return "the end of the data";
  if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  return "byte " + std::to_string(c);
}

const char* kind_of(int c) {
  switch (c) {
    case '[':
      return "an array";
    case '{':
      return "an object";
    case '"':
      return "a string";
    case 't':
    case 'f':
      return "a boolean";
    case 'n':
      return "null";
    default:
      return "a number";
  }
}

}  // namespace

json_reader::json_reader(std::istream& in, reader_options options)
    : options_(detail::prepared(std::move(options), "data")),
      in_(in, options_.buffer_bytes, options_.data.encoding),
      path_(*split_record_path(options_.data.record_path)) {}

json_reader::json_reader(const std::filesystem::path& path, reader_options options)
    : file_(detail::open_data_file(path, options)),
      options_(detail::prepared(std::move(options), path.filename().string())),
      in_(*file_, options_.buffer_bytes, options_.data.encoding),
      path_(*split_record_path(options_.data.record_path)) {}

std::string json_reader::describe() const {
  return "JSON document, records in the array at " + at_path(path_.size()) + ", " + in_.encoding();
}

std::string json_reader::at_path(std::size_t depth) const {
  std::string p;
  for (std::size_t i = 0; i < depth && i < path_.size(); ++i) p += "/" + path_[i];
  return p.empty() ? "the top level" : p;
}

std::string json_reader::where() const {
  return "line " + std::to_string(line_) + ", column " + std::to_string(column_ > 0 ? column_ : 1);
}

void json_reader::fail(std::string reason) {
  failed_.emplace(options_.source_name, row_, row_ > 0 ? row_line_ : line_, std::move(reason));
  throw *failed_;
}

void json_reader::fail_at(std::string reason) { fail(reason + " at " + where()); }

int json_reader::get() {
  const int c = in_.get();
  if (c == '\n') {
    ++line_;
    column_ = 0;
  } else if (c == eof) {
    if (in_.read_failed()) fail(in_.error());
  } else if ((c & 0xC0) != 0x80) {
    ++column_;  // columns count code points
  }
  return c;
}

int json_reader::peek() {
  const int c = in_.peek();
  if (c == eof && in_.read_failed()) fail(in_.error());
  return c;
}

void json_reader::skip_space() {
  while (is_space(peek())) get();
}

void json_reader::expect(char c, const char* what) {
  skip_space();
  const int got = get();
  if (got == c) return;
  if (got == eof) {
    fail("the JSON document ends early: expected " + std::string(what) + " at " + where());
  }
  fail_at("expected " + std::string(what) + ", found " + shown(got));
}

void json_reader::scan_string(std::string* out) {
  for (;;) {
    const int c = get();
    if (c == eof) fail("the JSON document ends early, inside a string, at " + where());
    if (c < 0x20) fail_at("control character " + std::to_string(c) + " inside a string");
    if (out != nullptr) {
      if (out->size() >= options_.max_field_bytes) {
        fail("a value is longer than " + std::to_string(options_.max_field_bytes) + " bytes");
      }
      out->push_back(static_cast<char>(c));
    }
    if (c == '"') return;
    if (c == '\\') {
      const int e = get();
      if (e == eof) fail("the JSON document ends early, inside a string, at " + where());
      if (out != nullptr) out->push_back(static_cast<char>(e));
    }
  }
}

void json_reader::scan_value(std::string* out) {
  skip_space();
  const int first = peek();
  if (first == eof) fail("the JSON document ends early: expected a value at " + where());
  if (first != '{' && first != '[' && first != '"') {
    // A number or a literal: everything up to the next delimiter (json::parse checks it).
    std::size_t n = 0;
    for (int c = peek(); c != eof && c != ',' && c != ']' && c != '}' && !is_space(c); c = peek()) {
      if (++n > 1024) fail_at("a value without delimiters longer than 1024 bytes");
      get();
      if (out != nullptr) out->push_back(static_cast<char>(c));
    }
    return;
  }
  std::string brackets;  // the open brackets, innermost last
  for (;;) {
    const int c = get();
    if (c == eof) {
      fail("the JSON document ends early: " + std::to_string(brackets.size()) +
           (brackets.size() == 1 ? " bracket" : " brackets") + " still open at " + where());
    }
    if (out != nullptr) {
      if (out->size() >= options_.max_field_bytes) {
        fail("record is longer than " + std::to_string(options_.max_field_bytes) + " bytes");
      }
      out->push_back(static_cast<char>(c));
    }
    if (c == '"') {
      scan_string(out);
    } else if (c == '{' || c == '[') {
      if (brackets.size() >= options_.max_depth) {
        fail("nested deeper than " + std::to_string(options_.max_depth) + " levels");
      }
      brackets.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (brackets.empty() || brackets.back() != c) fail_at("unbalanced " + shown(c));
      brackets.pop_back();
    } else if (c == 0) {
      fail_at("NUL byte");
    }
    if (brackets.empty()) return;
  }
}

void json_reader::open() {
  opened_ = true;
  if (peek() == 0xEF) {
    get();
    if (get() != 0xBB || get() != 0xBF) fail("invalid UTF-8 at byte offset 0");
    column_ = 0;
  }
  for (std::size_t depth = 0; depth < path_.size(); ++depth) {
    skip_space();
    const int c = peek();
    if (c != '{') {
      if (c == eof) fail("the JSON document is empty");
      fail_at("the value at " + at_path(depth) + " is " + kind_of(c) + ", not an object with \"" +
              path_[depth] + "\" in it");
    }
    get();
    for (bool found = false; !found;) {
      skip_space();
      if (peek() == '}') {
        fail_at("no \"" + path_[depth] + "\" in the object at " + at_path(depth) +
                " (check --record-path)");
      }
      expect('"', "a member name");
      key_ = "\"";
      scan_string(&key_);
      expect(':', "':'");
      if (key_.size() == path_[depth].size() + 2 &&
          key_.compare(1, path_[depth].size(), path_[depth]) == 0) {
        found = true;
      } else {
        scan_value(nullptr);
        skip_space();
        if (peek() == ',') get();
      }
    }
  }
  skip_space();
  const int c = peek();
  if (c == eof) fail("the JSON document is empty");
  if (c != '[') {
    const std::string hint =
        c == '{' && path_.empty() ? " (name the array inside it with --record-path /key)" : "";
    fail_at("the value at " + at_path(path_.size()) + " is " + kind_of(c) +
            ", not an array of records" + hint);
  }
  get();
  array_line_ = line_;
}

void json_reader::close() {
  // The members after the array, and the end of every enclosing object.
  for (std::size_t depth = path_.size(); depth > 0; --depth) {
    for (;;) {
      skip_space();
      const int c = get();
      if (c == '}') break;
      if (c == eof) {
        fail("the JSON document ends early: the object at " + at_path(depth - 1) +
             " is not closed at " + where());
      }
      if (c != ',') fail_at("expected ',' or '}', found " + shown(c));
      expect('"', "a member name");
      scan_string(nullptr);
      expect(':', "':'");
      scan_value(nullptr);
    }
  }
  skip_space();
  const int c = peek();
  if (c != eof) fail_at("text after the end of the JSON document: " + shown(c));
}

bool json_reader::next(record& out) {
  if (failed_) throw *failed_;
  if (done_) return false;
  if (!opened_) open();
  skip_space();
  int c = peek();
  if (c == ']') {
    get();
    const std::int64_t rows = row_;
    row_ = 0;  // errors after the array belong to the document, not to the last record
    close();
    row_ = rows;
    done_ = true;
    return false;
  }
  if (!first_) {
    if (c == eof) {
      const std::int64_t after = row_;
      row_ = 0;
      fail("the JSON document ends early: the array of records opened on line " +
           std::to_string(array_line_) + " is not closed (after record " + std::to_string(after) +
           ", at " + where() + ")");
    }
    if (c != ',') fail_at("expected ',' or ']' after record " + std::to_string(row_));
    get();
    skip_space();
    c = peek();
  }
  first_ = false;
  if (c == eof) {
    fail("the JSON document ends early: the array of records opened on line " +
         std::to_string(array_line_) + " is not closed (at " + where() + ")");
  }
  ++row_;
  row_line_ = line_;
  if (c != '{') fail_at(std::string("not a JSON object (found ") + kind_of(c) + ")");
  text_.clear();
  scan_value(&text_);
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text_);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    const auto at = what.find("line ");
    if (at != std::string::npos) what = what.substr(at);
    fail("invalid JSON in the record, at its " + what);
  } catch (const nlohmann::json::out_of_range& e) {  // 1e400: no double holds it
    fail(number_overflow_reason(e.what()));
  }
  out.number = row_;
  out.value = std::move(value);
  out.text.assign(text_);
  return true;
}

}  // namespace weft::document
