// Fuzzes the JSON-document and XML readers (actors/document/json_reader, xml_reader): two bytes
// of encoding and limits, a byte choosing the format (bit 0) and whether a record path
// follows, then (if so) the record path up to a newline, then the file.

#include <cstdint>
#include <string>

#include "tests/fuzz/reader_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft::fuzz::input in(data, size);
  auto options = weft::fuzz::reader_options_from(in);
  const auto choice = in.byte();
  if (choice & 2) options.data.record_path = std::string(in.until('\n'));
  const auto format =
      (choice & 1) ? weft::document::data_format::xml : weft::document::data_format::json;
  weft::fuzz::read_all(std::string(in.rest()), format, options);
  return 0;
}
