// weft_document_bench: throughput of the document hot path on one core (not a test).
//
//   weft_document_bench [records=20000] [template=actors/document/samples/invoice.mustache]
//
// Prints records/s for: reading NDJSON, rendering, render + txt, render + html, render + PDF
// (1000 documents per file, as the weaver caps files), and libharu's memory per PDF page.

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "actors/document/data_format.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/output_writer.hpp"
#include "actors/document/pdf_writer.hpp"
#include "actors/document/samples/invoice_generator.hpp"
#include "actors/document/template_engine.hpp"

namespace wd = weft::document;
using bench_clock = std::chrono::steady_clock;

namespace {

double seconds_since(bench_clock::time_point t0) {
  return std::chrono::duration<double>(bench_clock::now() - t0).count();
}

void report(const char* what, std::size_t n, double s) {
  std::printf("%-34s %8zu records in %7.3f s = %9.0f records/s\n", what, n, s,
              static_cast<double>(n) / s);
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  const std::filesystem::path tpl_path = argc > 2 ? std::filesystem::path(argv[2])
                                                  : std::filesystem::path(WEFT_SOURCE_DIR) /
                                                        "actors/document/samples/invoice.mustache";
  const auto dir = std::filesystem::temp_directory_path() / "weft_document_bench";
  std::filesystem::create_directories(dir);
  const auto data_path = dir / "invoices.ndjson";
  {
    std::ofstream out(data_path, std::ios::binary);
    wd::samples::invoice_generator(7).write_ndjson(out, n);
  }

  std::vector<nlohmann::json> records;
  records.reserve(n);
  auto t0 = bench_clock::now();
  {
    auto reader = wd::open_record_reader(data_path);
    wd::record r;
    while (reader->next(r)) records.push_back(std::move(r.value));
  }
  report("read NDJSON", records.size(), seconds_since(t0));

  struct run {
    wd::output_format format;
    bool compress;
  };
  for (auto [format, compress] :
       {run{wd::output_format::txt, true}, run{wd::output_format::html, true},
        run{wd::output_format::pdf, true}, run{wd::output_format::pdf, false}}) {
    auto tpl = wd::template_engine(wd::template_escape_for(format)).compile_file(tpl_path);
    std::string text;
    if (format == wd::output_format::txt) {
      t0 = bench_clock::now();
      std::size_t bytes = 0;
      for (const auto& r : records) {
        text.clear();
        tpl.render(r, text);
        bytes += text.size();
      }
      const double s = seconds_since(t0);
      report("render only", records.size(), s);
      std::printf("%-34s %8.0f bytes per document\n", "", static_cast<double>(bytes) / n);
    }
    t0 = bench_clock::now();
    std::uint64_t pages = 0;
    std::uint64_t files = 0;
    std::unique_ptr<wd::output_writer> writer;
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (!writer) {
        wd::output_options options;
        options.compress = compress;
        writer = wd::make_output_writer(
            format, dir / ("out-" + std::to_string(files++) + std::string(wd::extension(format))),
            options);
      }
      text.clear();
      tpl.render(records[i], text);
      writer->add_document(text);
      if ((i + 1) % 1000 == 0 || i + 1 == records.size()) {
        pages += writer->finish().pages;
        writer.reset();
      }
    }
    const double s = seconds_since(t0);
    const std::string label =
        "render + " + std::string(wd::to_string(format)) +
        (format == wd::output_format::pdf && !compress ? " (uncompressed)" : "");
    report(label.c_str(), records.size(), s);
    std::printf("%-34s %8.0f pages/s (%llu pages)\n", "", static_cast<double>(pages) / s,
                static_cast<unsigned long long>(pages));
  }

  // libharu keeps every page in memory until the file is saved: measure the growth.
  {
    auto tpl = wd::template_engine(wd::escape_mode::none).compile_file(tpl_path);
    const std::size_t docs = std::min<std::size_t>(records.size(), 2000);
    const std::size_t before = heap_in_use();
    wd::pdf_writer writer(dir / "memory.pdf", {});
    std::string text;
    for (std::size_t i = 0; i < docs; ++i) {
      text.clear();
      tpl.render(records[i], text);
      writer.add_document(text);
    }
    const std::size_t after = heap_in_use();
    const auto pages = writer.pages();
    std::printf("PDF memory before save: %zu bytes for %llu pages = %.0f bytes/page\n",
                after - before, static_cast<unsigned long long>(pages),
                static_cast<double>(after - before) / static_cast<double>(pages));
    const auto stats = writer.finish();
    std::printf("PDF file: %llu bytes = %.0f bytes/page on disk\n",
                static_cast<unsigned long long>(stats.bytes),
                static_cast<double>(stats.bytes) / static_cast<double>(pages));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
