#include "actors/document/csv_reader.hpp"

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "actors/document/detail/reader_file.hpp"

namespace weft::document {

namespace {

constexpr int eof = detail::byte_source::end_of_input;

}  // namespace

csv_reader::csv_reader(std::istream& in, reader_options options)
    : options_(detail::named(std::move(options), "data")), in_(in, options_.buffer_bytes) {}

csv_reader::csv_reader(const std::filesystem::path& path, reader_options options)
    : file_(detail::open_data_file(path, options)),
      options_(detail::named(std::move(options), path.filename().string())),
      in_(*file_, options_.buffer_bytes) {}

void csv_reader::fail(std::int64_t row, std::int64_t line, std::string reason) {
  failed_.emplace(options_.source_name, row, line, std::move(reason));
  throw *failed_;
}

int csv_reader::next_byte() {
  const int c = in_.get();
  if (c == eof) {
    if (in_.read_failed()) fail(row_, row_line_, "read error");
    return eof;
  }
  if (c == 0) fail(row_, row_line_, "NUL byte at offset " + std::to_string(row_offset_));
  if (!utf8_.feed(static_cast<unsigned char>(c))) {
    fail(row_, row_line_, "invalid UTF-8 at byte offset " + std::to_string(row_offset_));
  }
  ++row_offset_;
  return c;
}

void csv_reader::append(std::string& field, int c) {
  if (field.size() >= options_.max_field_bytes) {
    fail(row_, row_line_,
         "field " + std::to_string(n_fields_ + 1) + " is longer than " +
             std::to_string(options_.max_field_bytes) + " bytes");
  }
  field.push_back(static_cast<char>(c));
}

bool csv_reader::read_row(std::size_t store_limit) {
  n_fields_ = 0;
  // Skip empty lines; they separate nothing in CSV and are common at the end of files.
  for (;;) {
    const int c = in_.peek();
    if (c == eof) {
      if (in_.read_failed()) fail(row_, line_, "read error");
      return false;
    }
    if (c == '\n' || c == '\r') {
      in_.get();
      if (c == '\r' && in_.peek() == '\n') in_.get();
      ++line_;
      continue;
    }
    break;
  }
  row_line_ = line_;
  row_offset_ = 0;
  utf8_.reset();
  for (;;) {
    // One field per iteration; fields beyond store_limit are counted but not kept.
    std::string* field = &discard_;
    if (n_fields_ < store_limit) {
      if (fields_.size() <= n_fields_) fields_.emplace_back();
      field = &fields_[n_fields_];
    }
    field->clear();
    int c = next_byte();
    if (c == '"') {
      const std::int64_t quote_line = line_;
      for (;;) {
        c = next_byte();
        if (c == eof) {
          fail(row_, row_line_,
               "unterminated quoted field (opened on line " + std::to_string(quote_line) + ")");
        }
        if (c == '"') {
          if (in_.peek() != '"') break;
          c = next_byte();
        } else if (c == '\n' || (c == '\r' && in_.peek() != '\n')) {
          ++line_;
        }
        append(*field, c);
      }
      c = next_byte();
      if (c != ',' && c != '\n' && c != '\r' && c != eof) {
        fail(row_, row_line_,
             "unexpected character after closing quote in field " + std::to_string(n_fields_ + 1) +
                 " at byte offset " + std::to_string(row_offset_ - 1));
      }
    } else {
      while (c != ',' && c != '\n' && c != '\r' && c != eof) {
        append(*field, c);
        c = next_byte();
      }
    }
    ++n_fields_;
    if (c == ',') continue;
    if (c == '\r' && in_.peek() == '\n') in_.get();
    if (c != eof) ++line_;
    if (!utf8_.complete()) {
      fail(row_, row_line_, "invalid UTF-8 at byte offset " + std::to_string(row_offset_ - 1));
    }
    return true;
  }
}

void csv_reader::read_header() {
  header_read_ = true;
  // A UTF-8 byte order mark is not part of the first column name.
  if (in_.peek() == 0xEF) {
    in_.get();
    if (in_.get() != 0xBB || in_.get() != 0xBF) {
      fail(0, 1, "header: invalid UTF-8 at byte offset 0");
    }
  }
  if (!read_row(options_.max_columns)) fail(0, 0, "empty file: no header row");
  if (n_fields_ > options_.max_columns) {
    fail(0, row_line_,
         "header: " + std::to_string(n_fields_) + " columns, more than the limit of " +
             std::to_string(options_.max_columns));
  }
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < n_fields_; ++i) {
    if (fields_[i].empty()) {
      fail(0, row_line_, "header: column " + std::to_string(i + 1) + " has an empty name");
    }
    auto [it, inserted] = seen.emplace(fields_[i], i);
    if (!inserted) {
      fail(0, row_line_,
           "header: duplicate column name \"" + fields_[i] + "\" (columns " +
               std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }
  header_.assign(fields_.begin(), fields_.begin() + static_cast<std::ptrdiff_t>(n_fields_));
}

bool csv_reader::next(record& out) {
  if (failed_) throw *failed_;
  if (!header_read_) read_header();
  ++row_;
  if (!read_row(header_.size())) {
    --row_;
    return false;
  }
  if (n_fields_ != header_.size()) {
    fail(row_, row_line_,
         std::to_string(n_fields_) + (n_fields_ == 1 ? " field" : " fields") + ", header has " +
             std::to_string(header_.size()));
  }
  out.number = row_;
  out.value = nlohmann::json::object();
  for (std::size_t i = 0; i < header_.size(); ++i) {
    out.value.emplace(header_[i], fields_[i]);
  }
  return true;
}

}  // namespace weft::document
