// weft_gen_invoices: writes N sample invoice records as NDJSON, CSV, JSON or XML,
// deterministically.
//
//   weft_gen_invoices --count N [--format ndjson|csv|json|xml] [--seed S] [--max-items M]
//                     [--long-every K] --out FILE|-
//
// About one invoice in K (default 10; 0: none) has 25 to 64 items instead of 1 to M.
//
// The format defaults to the output file's extension (.csv, .json, .xml; else NDJSON).
// JSON holds the records at /invoices, XML at /invoices/invoice.

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "actors/document/samples/invoice_generator.hpp"

namespace {

int usage(const char* why) {
  std::cerr << "weft_gen_invoices: " << why << "\n"
            << "usage: weft_gen_invoices --count N [--format ndjson|csv|json|xml] [--seed S] "
               "[--max-items M] [--long-every K] --out FILE|-\n";
  return 2;
}

bool parse_number(const char* text, unsigned long long& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long long count = 0;
  unsigned long long seed = 42;
  unsigned long long max_items = 8;
  unsigned long long long_every = 10;
  bool have_count = false;
  std::string format;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage(("missing value after " + arg).c_str());
    const char* value = argv[++i];
    if (arg == "--count") {
      if (!parse_number(value, count)) return usage("--count needs a number");
      have_count = true;
    } else if (arg == "--seed") {
      if (!parse_number(value, seed)) return usage("--seed needs a number");
    } else if (arg == "--max-items") {
      if (!parse_number(value, max_items) || max_items == 0 || max_items > 1000) {
        return usage("--max-items needs a number from 1 to 1000");
      }
    } else if (arg == "--long-every") {
      if (!parse_number(value, long_every) || long_every > 1000000) {
        return usage("--long-every needs a number from 0 to 1000000");
      }
    } else if (arg == "--format") {
      format = value;
    } else if (arg == "--out") {
      out_path = value;
    } else {
      return usage(("unknown option " + arg).c_str());
    }
  }
  if (!have_count) return usage("--count is required");
  if (out_path.empty()) return usage("--out is required");
  if (format.empty()) {
    const auto ends_with = [&](const std::string& ext) {
      return out_path.size() > ext.size() &&
             out_path.compare(out_path.size() - ext.size(), ext.size(), ext) == 0;
    };
    format = ends_with(".csv")    ? "csv"
             : ends_with(".json") ? "json"
             : ends_with(".xml")  ? "xml"
                                  : "ndjson";
  }
  if (format != "csv" && format != "ndjson" && format != "json" && format != "xml")
    return usage("--format is csv, ndjson, json or xml");

  std::ofstream file;
  std::ostream* out = &std::cout;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "weft_gen_invoices: cannot create " << out_path << ": " << std::strerror(errno)
                << "\n";
      return 1;
    }
    out = &file;
  }
  weft::document::samples::invoice_generator gen(seed, static_cast<int>(max_items),
                                                 static_cast<int>(long_every));
  if (format == "csv") {
    gen.write_csv(*out, count);
  } else if (format == "json") {
    gen.write_json(*out, count);
  } else if (format == "xml") {
    gen.write_xml(*out, count);
  } else {
    gen.write_ndjson(*out, count);
  }
  out->flush();
  if (!*out) {
    std::cerr << "weft_gen_invoices: write failed\n";
    return 1;
  }
  return 0;
}
