#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::document {

/// What the user says about a data file beyond its format: the CSV dialect, the character
/// encoding, where the records are in a JSON or XML document, and how strict mapping is.
/// docs/jobs.md "Data" describes every field; the CLI options are named after them.
struct data_options {
  /// CSV field separator; '\0' means "auto": sniffed from the header line and the first rows.
  char delimiter = '\0';
  /// CSV quote character.
  char quote = '"';
  /// True when the first CSV row names the columns; false needs `columns`.
  bool header = true;
  /// Column names of a headerless CSV file, in order.
  std::vector<std::string> columns;
  /// Physical lines skipped before the CSV header (titles, export notes).
  std::size_t skip_lines = 0;
  /// Character encoding; empty means UTF-8 unless the file starts with a UTF-16 byte order
  /// mark. See supported_encodings().
  std::string encoding;
  /// Where the records are: "/data/items" in a JSON document, "/invoices/invoice" in XML.
  /// Empty: the top-level array (JSON), the children of the root element (XML).
  std::string record_path;
  /// When true a template variable missing from any record fails the job, naming the record.
  bool strict = false;
};

/// "," ";" "|" "\t" (or "tab") and "auto" (returned as '\0'); nullopt for anything else.
std::optional<char> parse_delimiter(std::string_view name);
/// The delimiter as users write it: "," ";" "|" "tab" or "auto".
std::string delimiter_name(char delimiter);

/// The encodings accepted for data files, as users write them.
const std::vector<std::string>& supported_encodings();
/// The iconv name of a supported encoding (any case, "latin1", "cp1252" … accepted);
/// "UTF-8" for an empty name; nullopt for an unknown one.
std::optional<std::string> iconv_encoding_name(std::string_view name);

/// Splits "/a/b/c" into {"a", "b", "c"}; "" and "/" give {}. Nullopt when a step is empty
/// ("/a//b") or the path does not start with '/'.
std::optional<std::vector<std::string>> split_record_path(std::string_view path);

/// Problems with `options` that can be told without the file: an unknown encoding, a headerless
/// CSV without columns, duplicate or empty column names, a bad record path, the same character
/// as delimiter and quote. Empty when there are none; else one sentence naming the option.
std::string check_data_options(const data_options& options);

/// The options as a JSON object; default values are left out.
nlohmann::json to_json(const data_options& options);
/// The options from to_json()'s object (missing keys keep their defaults).
/// @throws std::invalid_argument naming the key when a value has the wrong type or is unknown.
data_options data_options_from_json(const nlohmann::json& j);

/// The data options stored in a job's options JSON, under "data" (defaults when absent).
/// @throws std::invalid_argument as data_options_from_json().
data_options data_options_of_job(const std::string& job_options_json);

}  // namespace weft::document
