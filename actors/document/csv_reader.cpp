#include "actors/document/csv_reader.hpp"

#include <array>
#include <map>
#include <unordered_map>
#include <utility>

#include "actors/document/detail/reader_file.hpp"

namespace weft::document {

namespace {

/// Where each column goes in a record (csv_reader::paths_): the steps of a dotted name that can
/// be nested, nothing for a name kept as a key. Names without dots are placed first, so a dotted
/// name never displaces one; then dotted names in column order, each nested unless a step is
/// empty or collides with a value placed before.
std::vector<std::vector<std::string>> column_paths(const std::vector<std::string>& names) {
  std::vector<std::vector<std::string>> paths(names.size());
  std::map<std::string, bool> placed;  // joined prefix -> holds a value (true) or an object
  for (const std::string& n : names) {
    if (n.find('.') == std::string::npos) placed.emplace(n, true);
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (n.find('.') == std::string::npos) continue;
    std::vector<std::string> steps;
    std::size_t from = 0;
    bool ok = true;
    for (;;) {
      const auto dot = n.find('.', from);
      const std::size_t stop = dot == std::string::npos ? n.size() : dot;
      if (stop == from) ok = false;
      steps.push_back(n.substr(from, stop - from));
      if (dot == std::string::npos) break;
      from = dot + 1;
    }
    if (!ok) continue;
    std::string prefix;
    for (std::size_t k = 0; ok && k + 1 < steps.size(); ++k) {
      prefix += (k == 0 ? "" : ".") + steps[k];
      const auto it = placed.find(prefix);
      if (it != placed.end() && it->second) ok = false;
    }
    if (!ok || placed.count(n) > 0) continue;
    prefix.clear();
    for (std::size_t k = 0; k + 1 < steps.size(); ++k) {
      prefix += (k == 0 ? "" : ".") + steps[k];
      placed.emplace(prefix, false);
    }
    placed.emplace(n, true);
    paths[i] = std::move(steps);
  }
  return paths;
}

constexpr int eof = detail::byte_source::end_of_input;
/// How much of the file the delimiter is sniffed from, at most.
constexpr std::size_t sniff_bytes = 64u * 1024u;
constexpr std::size_t sniff_rows = 50;

/// Field counts of the rows in `sample` split at `delim`, quote-aware; blank lines skipped.
std::vector<std::size_t> field_counts(std::string_view sample, char delim, char quote,
                                      bool at_end) {
  std::vector<std::size_t> counts;
  std::size_t fields = 1;
  bool in_quotes = false;
  bool row_empty = true;
  for (std::size_t i = 0; i < sample.size() && counts.size() < sniff_rows; ++i) {
    const char c = sample[i];
    if (in_quotes) {
      if (c == quote) {
        if (i + 1 < sample.size() && sample[i + 1] == quote) {
          ++i;
        } else {
          in_quotes = false;
        }
      }
      continue;
    }
    if (c == quote) {
      in_quotes = true;
      row_empty = false;
    } else if (c == delim) {
      ++fields;
      row_empty = false;
    } else if (c == '\n' || c == '\r') {
      if (!row_empty) counts.push_back(fields);
      fields = 1;
      row_empty = true;
    } else {
      row_empty = false;
    }
  }
  if (at_end && !in_quotes && !row_empty && counts.size() < sniff_rows) counts.push_back(fields);
  return counts;
}

}  // namespace

char sniff_delimiter(std::string_view sample, char quote, bool at_end, std::string& why) {
  static constexpr std::array<char, 4> candidates = {',', ';', '\t', '|'};
  char best_consistent = '\0', best_any = '\0';
  std::size_t consistent_columns = 1, any_columns = 1, rows_seen = 0;
  for (char d : candidates) {
    const auto counts = field_counts(sample, d, quote, at_end);
    if (counts.empty() || counts[0] < 2) continue;
    bool consistent = true;
    for (auto n : counts) consistent = consistent && n == counts[0];
    if (consistent && counts[0] > consistent_columns) {
      best_consistent = d;
      consistent_columns = counts[0];
      rows_seen = counts.size();
    }
    if (counts[0] > any_columns) {
      best_any = d;
      any_columns = counts[0];
    }
  }
  if (best_consistent != '\0') {
    why = std::to_string(consistent_columns) + " columns in each of the first " +
          std::to_string(rows_seen) + (rows_seen == 1 ? " row" : " rows");
    return best_consistent;
  }
  if (best_any != '\0') {
    why = std::to_string(any_columns) + " columns in the first row, rows differ";
    return best_any;
  }
  why = "no candidate splits the first row; one column";
  return ',';
}

csv_reader::csv_reader(std::istream& in, reader_options options)
    : options_(detail::prepared(std::move(options), "data")),
      in_(in, options_.buffer_bytes, options_.data.encoding),
      delimiter_(options_.data.delimiter),
      quote_(options_.data.quote) {}

csv_reader::csv_reader(const std::filesystem::path& path, reader_options options)
    : file_(detail::open_data_file(path, options)),
      options_(detail::prepared(std::move(options), path.filename().string())),
      in_(*file_, options_.buffer_bytes, options_.data.encoding),
      delimiter_(options_.data.delimiter),
      quote_(options_.data.quote) {}

std::string csv_reader::describe() const {
  std::string out = "CSV, delimiter '" + delimiter_name(delimiter_) + "'";
  if (!sniffed_.empty()) out += " (detected: " + sniffed_ + ")";
  if (quote_ != '"') out += std::string(", quote ") + quote_;
  out += options_.data.header ? ", header row" : ", no header row";
  if (options_.data.skip_lines > 0)
    out += ", " + std::to_string(options_.data.skip_lines) + " lines skipped";
  out += ", " + std::to_string(header_.size()) + (header_.size() == 1 ? " column" : " columns");
  out += ", " + in_.encoding();
  return out;
}

void csv_reader::fail(std::int64_t row, std::int64_t line, std::string reason) {
  failed_.emplace(options_.source_name, row, line, std::move(reason));
  throw *failed_;
}

void csv_reader::fail_input(std::int64_t row, std::int64_t line) { fail(row, line, in_.error()); }

int csv_reader::next_byte() {
  const int c = in_.get();
  if (c == eof) {
    if (in_.read_failed()) fail_input(row_, row_line_);
    return eof;
  }
  if (c == 0) fail(row_, row_line_, "NUL byte at offset " + std::to_string(row_offset_));
  if (!utf8_.feed(static_cast<unsigned char>(c))) {
    fail(row_, row_line_,
         "invalid UTF-8 at byte offset " + std::to_string(row_offset_) +
             detail::encoding_hint(in_.encoding()));
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
      if (in_.read_failed()) fail_input(row_, line_);
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
  const char delim = delimiter_;
  const char quote = quote_;
  for (;;) {
    // One field per iteration; fields beyond store_limit are counted but not kept.
    std::string* field = &discard_;
    if (n_fields_ < store_limit) {
      if (fields_.size() <= n_fields_) fields_.emplace_back();
      field = &fields_[n_fields_];
    }
    field->clear();
    int c = next_byte();
    if (c == quote) {
      const std::int64_t quote_line = line_;
      for (;;) {
        c = next_byte();
        if (c == eof) {
          fail(row_, row_line_,
               "unterminated quoted field (opened on line " + std::to_string(quote_line) + ")");
        }
        if (c == quote) {
          if (in_.peek() != quote) break;
          c = next_byte();
        } else if (c == '\n' || (c == '\r' && in_.peek() != '\n')) {
          ++line_;
        }
        append(*field, c);
      }
      c = next_byte();
      if (c != delim && c != '\n' && c != '\r' && c != eof) {
        fail(row_, row_line_,
             "unexpected character after closing quote in field " + std::to_string(n_fields_ + 1) +
                 " at byte offset " + std::to_string(row_offset_ - 1));
      }
    } else {
      while (c != delim && c != '\n' && c != '\r' && c != eof) {
        append(*field, c);
        c = next_byte();
      }
    }
    ++n_fields_;
    if (c == delim) continue;
    if (c == '\r' && in_.peek() == '\n') in_.get();
    if (c != eof) ++line_;
    if (!utf8_.complete()) {
      fail(row_, row_line_,
           "invalid UTF-8 at byte offset " + std::to_string(row_offset_ - 1) +
               detail::encoding_hint(in_.encoding()));
    }
    return true;
  }
}

void csv_reader::skip_lines() {
  for (std::size_t i = 0; i < options_.data.skip_lines; ++i) {
    int c = in_.get();
    while (c != eof && c != '\n' && c != '\r') c = in_.get();
    if (c == eof) {
      if (in_.read_failed()) fail_input(0, line_);
      return;
    }
    if (c == '\r' && in_.peek() == '\n') in_.get();
    ++line_;
  }
}

void csv_reader::read_header() {
  header_read_ = true;
  // A UTF-8 byte order mark is not part of the first column name.
  if (in_.peek() == 0xEF) {
    in_.get();
    if (in_.get() != 0xBB || in_.get() != 0xBF) {
      fail(0, 1, "header: invalid UTF-8 at byte offset 0" + detail::encoding_hint(in_.encoding()));
    }
  }
  if (in_.read_failed()) fail_input(0, 1);
  skip_lines();
  if (delimiter_ == '\0') {
    const auto sample = in_.lookahead(sniff_bytes);
    if (in_.read_failed() && sample.empty()) fail_input(0, line_);
    delimiter_ = sniff_delimiter(sample, quote_, sample.size() < sniff_bytes, sniffed_);
  }
  if (!options_.data.header) {
    header_ = options_.data.columns;
    paths_ = column_paths(header_);
    return;
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
  paths_ = column_paths(header_);
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
         std::to_string(n_fields_) + (n_fields_ == 1 ? " field" : " fields") +
             (options_.data.header ? ", header has " : ", columns are ") +
             std::to_string(header_.size()));
  }
  out.number = row_;
  out.value = nlohmann::json::object();
  for (std::size_t i = 0; i < header_.size(); ++i) {
    const std::vector<std::string>& path = paths_[i];
    if (path.empty()) {
      out.value.emplace(header_[i], fields_[i]);
      continue;
    }
    nlohmann::json* at = &out.value;
    for (std::size_t k = 0; k + 1 < path.size(); ++k) at = &(*at)[path[k]];
    (*at)[path.back()] = fields_[i];
  }
  out.text.clear();
  return true;
}

}  // namespace weft::document
