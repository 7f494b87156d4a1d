// weft_mapping_bench: mapping throughput per data format, on the same invoices.
//
//   weft_mapping_bench [--records N] [--dir DIR]
//
// Writes N sample invoices (default 100,000) as CSV, NDJSON, a JSON array (records at
// /invoices) and XML (records at /invoices/invoice) into DIR, then reads each file the way the
// mapper does — the reader, the blank-variable count against the sample template, and the
// record's JSON text as it would be stored — and prints records/s and MB/s per format as a
// Markdown table. The database insert is not timed (it is the same for every format).
// scripts/bench_mapping.sh builds and runs it; docs/benchmark.md has the figures.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "actors/document/data_format.hpp"
#include "actors/document/field_usage.hpp"
#include "actors/document/samples/invoice_generator.hpp"

namespace fs = std::filesystem;
namespace wd = weft::document;

namespace {

struct format_case {
  const char* name;
  const char* file;
  const char* record_path;
};

long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t records = 100000;
  fs::path dir = fs::temp_directory_path() / "weft-mapping-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--records") {
      records = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (arg == "--dir") {
      dir = argv[i + 1];
    } else {
      std::cerr << "usage: weft_mapping_bench [--records N] [--dir DIR]\n";
      return 2;
    }
  }
  fs::create_directories(dir);
  const format_case cases[] = {{"CSV", "invoices.csv", ""},
                               {"NDJSON", "invoices.ndjson", ""},
                               {"JSON array", "invoices.json", "/invoices"},
                               {"XML", "invoices.xml", "/invoices/invoice"}};
  for (const auto& c : cases) {
    std::ofstream out(dir / c.file, std::ios::binary | std::ios::trunc);
    wd::samples::invoice_generator gen;
    const std::string name = c.file;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0) {
      gen.write_csv(out, records);
    } else if (name.find(".ndjson") != std::string::npos) {
      gen.write_ndjson(out, records);
    } else if (name.find(".json") != std::string::npos) {
      gen.write_json(out, records);
    } else {
      gen.write_xml(out, records);
    }
  }
  const auto fields = wd::fields_of_template(fs::path(WEFT_SOURCE_DIR) /
                                             "actors/document/samples/invoice.mustache");

  std::printf("| format | file MB | records | seconds | records/s | MB/s |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const auto& c : cases) {
    const auto path = dir / c.file;
    const double mb = static_cast<double>(fs::file_size(path)) / 1e6;
    wd::reader_options options;
    options.data.record_path = c.record_path;
    const auto start = std::chrono::steady_clock::now();
    auto reader = wd::open_record_reader(path, std::nullopt, options);
    wd::field_usage usage(fields);
    wd::record r;
    std::uint64_t n = 0, bytes = 0;
    while (reader->next(r)) {
      ++n;
      usage.add(r, c.file);
      // What the mapper stores: the text as read, or the value serialised.
      bytes += r.text.empty() ? r.value.dump().size() : r.text.size();
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("| %s | %.1f | %llu | %.2f | %.0f | %.1f |\n", c.name, mb,
                static_cast<unsigned long long>(n), s, static_cast<double>(n) / s, mb / s);
    if (n != records) {
      std::cerr << c.file << ": " << n << " records, expected " << records << "\n";
      return 1;
    }
    (void)bytes;
  }
  std::printf("\npeak RSS of the benchmark process: %ld MiB\n", peak_rss_mib());
  return 0;
}
