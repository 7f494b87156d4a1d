// Fuzzes the REST API's multipart/form-data parser (actors/http/multipart): the
// first byte picks the piece size the body is fed in, the rest is the body
// (boundary "b"). It must never crash, and a body it accepts must not hand
// on more bytes than it was given.

#include <cstdint>
#include <string>

#include "actors/http/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 64;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  weft::http::multipart_parser p("b", 16);
  std::size_t handed = 0;
  p.on_part = [](const weft::http::multipart_parser::part& part) { return !part.name.empty(); };
  p.on_data = [&](const char*, std::size_t n) {
    handed += n;
    return true;
  };
  p.on_part_end = [] { return true; };
  for (std::size_t at = 0; at < body.size(); at += step)
    if (!p.feed(body.data() + at, std::min(step, body.size() - at))) break;
  if (handed > body.size()) __builtin_trap();
  return 0;
}
