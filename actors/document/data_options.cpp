#include "actors/document/data_options.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <stdexcept>

namespace weft::document {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<char> parse_delimiter(std::string_view name) {
  if (name == "auto") return '\0';
  if (name == "tab" || name == "\\t" || name == "\t") return '\t';
  if (name == "," || name == ";" || name == "|") return name[0];
  return std::nullopt;
}

std::string delimiter_name(char delimiter) {
  if (delimiter == '\0') return "auto";
  if (delimiter == '\t') return "tab";
  return std::string(1, delimiter);
}

const std::vector<std::string>& supported_encodings() {
  static const std::vector<std::string> names = {
      "utf-8", "windows-1252", "iso-8859-1", "iso-8859-15", "utf-16", "utf-16le", "utf-16be"};
  return names;
}

std::optional<std::string> iconv_encoding_name(std::string_view name) {
  const std::string n = lower(name);
  if (n.empty() || n == "utf-8" || n == "utf8") return "UTF-8";
  if (n == "windows-1252" || n == "cp1252") return "WINDOWS-1252";
  if (n == "iso-8859-1" || n == "latin1" || n == "latin-1") return "ISO-8859-1";
  if (n == "iso-8859-15" || n == "latin9" || n == "latin-9") return "ISO-8859-15";
  if (n == "utf-16") return "UTF-16";
  if (n == "utf-16le") return "UTF-16LE";
  if (n == "utf-16be") return "UTF-16BE";
  return std::nullopt;
}

std::optional<std::vector<std::string>> split_record_path(std::string_view path) {
  std::vector<std::string> steps;
  if (path.empty() || path == "/") return steps;
  if (path.front() != '/') return std::nullopt;
  std::size_t at = 1;
  for (;;) {
    const auto slash = path.find('/', at);
    const auto step = path.substr(at, slash == std::string_view::npos ? slash : slash - at);
    if (step.empty()) {
      // A trailing slash ("/a/b/") is harmless; an empty step inside is a typo.
      if (slash == std::string_view::npos) break;
      return std::nullopt;
    }
    steps.emplace_back(step);
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  return steps;
}

std::string check_data_options(const data_options& o) {
  if (!iconv_encoding_name(o.encoding)) {
    std::string known;
    for (const auto& e : supported_encodings()) known += (known.empty() ? "" : ", ") + e;
    return "unknown data encoding '" + o.encoding + "' (use " + known + ")";
  }
  if (o.quote == '\0' || o.quote == '\n' || o.quote == '\r')
    return "the CSV quote must be a visible character";
  if (o.delimiter != '\0' && o.delimiter == o.quote)
    return "the CSV delimiter and quote cannot be the same character";
  if (!o.header && o.columns.empty())
    return "a CSV file without a header row needs its column names (--csv-columns a,b,c)";
  if (o.header && !o.columns.empty())
    return "column names are given, but the CSV file has a header row (add --csv-no-header)";
  std::set<std::string> seen;
  for (std::size_t i = 0; i < o.columns.size(); ++i) {
    if (o.columns[i].empty()) return "column " + std::to_string(i + 1) + " has an empty name";
    if (!seen.insert(o.columns[i]).second) return "duplicate column name \"" + o.columns[i] + "\"";
  }
  if (!split_record_path(o.record_path))
    return "the record path '" + o.record_path + "' must look like /invoices/invoice";
  return {};
}

nlohmann::json to_json(const data_options& o) {
  const data_options d;
  nlohmann::json j = nlohmann::json::object();
  if (o.delimiter != d.delimiter) j["delimiter"] = delimiter_name(o.delimiter);
  if (o.quote != d.quote) j["quote"] = std::string(1, o.quote);
  if (o.header != d.header) j["header"] = o.header;
  if (!o.columns.empty()) j["columns"] = o.columns;
  if (o.skip_lines != d.skip_lines) j["skip_lines"] = o.skip_lines;
  if (!o.encoding.empty()) j["encoding"] = o.encoding;
  if (!o.record_path.empty()) j["record_path"] = o.record_path;
  if (o.strict) j["strict"] = true;
  return j;
}

data_options data_options_from_json(const nlohmann::json& j) {
  data_options o;
  if (j.is_null()) return o;
  if (!j.is_object()) throw std::invalid_argument("data options: not a JSON object");
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end()) return std::nullopt;
    if (!it->is_string())
      throw std::invalid_argument(std::string("data.") + key + ": not a string");
    return it->get<std::string>();
  };
  try {
    if (auto d = text("delimiter")) {
      auto parsed = parse_delimiter(*d);
      if (!parsed)
        throw std::invalid_argument("data.delimiter: '" + *d + "' is not one of , ; | tab auto");
      o.delimiter = *parsed;
    }
    if (auto q = text("quote")) {
      if (q->size() != 1) throw std::invalid_argument("data.quote: must be one character");
      o.quote = (*q)[0];
    }
    if (j.contains("header")) o.header = j.at("header").get<bool>();
    if (j.contains("columns")) o.columns = j.at("columns").get<std::vector<std::string>>();
    if (j.contains("skip_lines")) {
      // get<size_t> would turn -1 into 2^64-1 and a float such as 1e300 into undefined behaviour.
      const auto& n = j.at("skip_lines");
      if (!n.is_number_integer() || (!n.is_number_unsigned() && n.get<std::int64_t>() < 0))
        throw std::invalid_argument("data.skip_lines: must be an integer >= 0, not " +
                                    (n.is_number() ? n.dump() : std::string(n.type_name())));
      o.skip_lines = n.get<std::size_t>();
    }
    if (auto e = text("encoding")) o.encoding = *e;
    if (auto p = text("record_path")) o.record_path = *p;
    if (j.contains("strict")) o.strict = j.at("strict").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("data options: ") + e.what());
  }
  return o;
}

data_options data_options_of_job(const std::string& job_options_json) {
  if (job_options_json.empty()) return {};
  const auto j = nlohmann::json::parse(job_options_json, nullptr, false);
  if (!j.is_object() || !j.contains("data")) return {};
  return data_options_from_json(j.at("data"));
}

}  // namespace weft::document
