#include "actors/planning/record_mapping.hpp"

#include <spdlog/spdlog.h>

#include <system_error>

#include "actors/document/data_error.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::planning {

namespace {

/// The bytes `value` takes in a statement: MariaDB's client escapes quotes,
/// backslashes and control characters with a backslash.
std::size_t statement_bytes(const std::string& value) {
  std::size_t n = value.size();
  for (char c : value) {
    const bool escaped =
        c == '\'' || c == '"' || c == '\\' || c == '\0' || c == '\n' || c == '\r' || c == '\x1a';
    if (escaped) ++n;
  }
  return n;
}

constexpr std::size_t row_overhead = 1024;  // the INSERT around the row's values

}  // namespace

record_mapper::record_mapper(const std::filesystem::path& template_path,
                             const document::reader_options& options,
                             std::size_t max_statement_bytes)
    : source_name_(options.source_name),
      usage_(document::fields_of_template(template_path), options.data.strict),
      max_statement_bytes_(max_statement_bytes) {}

storage::record_row record_mapper::row(int64_t seq, document::record& r) {
  usage_.add(r, source_name_);
  std::string body = r.text.empty() ? r.value.dump() : std::move(r.text);
  // A row the database can never take fails the job here, naming it; sent anyway it would
  // look like a lost connection and be retried for ever.
  const std::size_t row_bytes = statement_bytes(body);
  if (row_bytes + row_overhead > max_statement_bytes_)
    throw document::data_error(source_name_, seq, 0,
                               "the record is " + std::to_string(row_bytes) +
                                   " bytes in SQL: more than the database takes in one statement "
                                   "(max_allowed_packet = " +
                                   std::to_string(max_statement_bytes_) + " bytes)");
  return {seq, std::move(body)};
}

nlohmann::json record_mapper::report(const std::string& reader_description) const {
  return document::mapping_report(reader_description, usage_);
}

void log_mapping(int64_t job, const std::string& source_name, const std::string& description,
                 const nlohmann::json& report) {
  spdlog::info("job {}: {}: {}", job, source_name, description);
  for (const auto& line : report["warnings"])
    spdlog::warn("job {}: {}", job, line.get<std::string>());
}

std::optional<inline_mapping> map_inline(const std::filesystem::path& data_path,
                                         document::data_format format,
                                         const document::reader_options& options,
                                         const std::filesystem::path& template_path,
                                         std::size_t max_statement_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(data_path, ec);
  if (ec || size > inline_mapping_max_bytes) return std::nullopt;
  try {
    auto reader = document::open_record_reader(data_path, format, options);
    record_mapper mapper(template_path, options, max_statement_bytes);
    inline_mapping out;
    document::record r;
    int64_t count = 0;
    while (reader->next(r)) {
      if (++count > inline_mapping_max_records) return std::nullopt;
      out.mapped.records.push_back(mapper.row(count, r));
    }
    if (count == 0) return std::nullopt;
    out.description = reader->describe();
    out.report = mapper.report(out.description);
    out.mapped.report_json = out.report.dump();
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // the mapper says what is wrong, naming the row, as for any job
  }
}

}  // namespace weft::planning
