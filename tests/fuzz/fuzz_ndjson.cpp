// Fuzzes the NDJSON reader (actors/document/ndjson_reader) with an encoding and limits chosen
// by the first two input bytes; the rest is the file.

#include <cstdint>
#include <string>

#include "tests/fuzz/reader_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft::fuzz::input in(data, size);
  auto options = weft::fuzz::reader_options_from(in);
  weft::fuzz::read_all(std::string(in.rest()), weft::document::data_format::ndjson, options);
  return 0;
}
