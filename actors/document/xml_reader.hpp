#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/document/data_error.hpp"
#include "actors/document/reader_options.hpp"
#include "actors/document/record_reader.hpp"

namespace weft::document {

/// Reads records from an XML document, streaming with libxml2's xmlTextReader (never a tree of
/// the whole document: only the element being turned into a record is held).
///
/// Records are the elements at options.data.record_path ("/invoices/invoice"; a step may be
/// `*`; by default the children of the root element). Each becomes the nested data a JSON
/// record would give, so that one template serves both:
/// * attributes are `@name` members (namespace declarations are left out);
/// * child elements are members named after their local name; a repeated child is a list;
/// * an element with only text is that text (a string; exactly `true` or `false` is a
///   boolean, as in JSON); text beside attributes or children is the `#text` member. The record
///   itself is always an object.
/// Names are local names: `<inv:total>` is `total`; path steps match the local name, or the
/// prefixed name when the step has a prefix.
///
/// Safety: no network access, no DTD loaded, entities declared in a DTD are refused where they
/// are used (so no billion laughs and no external entities); predefined entities and character
/// references work. A malformed document fails with the line and column libxml2 reports.
/// The encoding comes from the document (BOM, XML declaration) unless options.data.encoding
/// names one.
class xml_reader : public record_reader {
 public:
  /// Reads from `in`, which must outlive the reader.
  xml_reader(std::istream& in, reader_options options = {});
  /// Opens `path`. @throws data_error when it cannot be opened.
  explicit xml_reader(const std::filesystem::path& path, reader_options options = {});
  ~xml_reader() override;

  bool next(record& out) override;
  std::string describe() const override;

  /// What libxml2 reported first (set by its error callback).
  struct parse_problem {
    std::string message;
    int line = 0;
    int column = 0;
  };

 private:
  void open();
  /// Builds the record whose start element the reader is on.
  nlohmann::json read_record();
  bool read();
  [[noreturn]] void fail(std::int64_t line, std::string reason);
  [[noreturn]] void fail_parse();

  std::unique_ptr<std::ifstream> file_;
  reader_options options_;
  std::istream* in_;
  void* reader_ = nullptr;  // xmlTextReaderPtr
  std::vector<std::string> path_;
  std::vector<std::string> open_names_;  // qualified names of the open elements on the path
  std::string root_;
  parse_problem problem_;
  std::int64_t row_ = 0;
  std::int64_t row_line_ = 0;
  bool done_ = false;
  std::optional<data_error> failed_;
};

}  // namespace weft::document
