// Fuzzes the CSV reader (actors/document/csv_reader) with a dialect, an encoding and limits
// chosen by the first three input bytes; the rest is the file.

#include <cstdint>
#include <string>

#include "actors/document/csv_reader.hpp"
#include "tests/fuzz/reader_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft::fuzz::input in(data, size);
  auto options = weft::fuzz::reader_options_from(in);
  const auto dialect = in.byte();
  static const char delimiters[] = {'\0', ',', ';', '\t', '|', '\0', ',', '\0'};
  options.data.delimiter = delimiters[dialect & 7];
  options.data.quote = (dialect & 8) ? '\'' : '"';
  options.data.skip_lines = (dialect >> 4) & 3;
  if (dialect & 64) {
    options.data.header = false;
    options.data.columns = {"a", "b", "c"};
  }
  const std::string text(in.rest());
  weft::fuzz::read_all(text, weft::document::data_format::csv, options);
  if ((dialect & 128) && options.data.delimiter == '\0') {
    std::string why;
    (void)weft::document::sniff_delimiter(text, options.data.quote, true, why);
  }
  return 0;
}
