// weft_document_bench: throughput of the document hot path on one core (not a test).
//
//   weft_document_bench [records=2000] [file_documents=10000]
//
// Prints: records/s reading NDJSON and rendering; render + txt and html; the layout engine's
// pages/s for a dense invoice page (actors/document/samples/invoice_bench.mustache) split into
// layout only and layout + PDF painting, 1000 documents per file; then one PDF file of
// `file_documents` invoices: bytes per page, and the process's peak RSS.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "actors/document/data_format.hpp"
#include "actors/document/layout/document_layout.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/output_writer.hpp"
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

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000;
  const std::size_t file_docs = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000;
  const std::filesystem::path src(WEFT_SOURCE_DIR);
  const auto dir = std::filesystem::temp_directory_path() / "weft_document_bench";
  std::filesystem::create_directories(dir);
  const auto data_path = dir / "invoices.ndjson";
  {
    std::ofstream out(data_path, std::ios::binary);
    // up to 20 line items: the dense page of docs/benchmark.md
    wd::samples::invoice_generator(7, 20).write_ndjson(out, std::max(n, file_docs));
  }

  std::vector<nlohmann::json> records;
  auto t0 = bench_clock::now();
  {
    auto reader = wd::open_record_reader(data_path);
    wd::record r;
    while (reader->next(r)) records.push_back(std::move(r.value));
  }
  report("read NDJSON", records.size(), seconds_since(t0));

  {
    auto tpl = wd::template_engine(wd::escape_mode::none)
                   .compile_file(src / "actors/document/samples/invoice.mustache");
    std::string text;
    t0 = bench_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      text.clear();
      tpl.render(records[i], text);
    }
    report("render only (text invoice)", n, seconds_since(t0));
  }

  auto tpl = wd::template_engine(wd::escape_mode::html)
                 .compile_file(src / "actors/document/samples/invoice_bench.mustache");
  std::string text;
  {
    // layout only: parse, style, break lines, paginate; nothing painted
    wd::layout::layout_engine engine({});
    std::uint64_t pages = 0;
    const double c0 = cpu_seconds();
    t0 = bench_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      text.clear();
      tpl.render(records[i], text);
      pages += engine.layout(text).page_count();
    }
    const double s = seconds_since(t0), cpu = cpu_seconds() - c0;
    report("render + layout", n, s);
    std::printf("%-34s %8.0f pages/s wall, %.0f pages per CPU second (%llu pages)\n", "",
                static_cast<double>(pages) / s, static_cast<double>(pages) / cpu,
                static_cast<unsigned long long>(pages));
  }
  {
    std::uint64_t pages = 0, bytes = 0, files = 0;
    std::unique_ptr<wd::output_writer> writer;
    const double c0 = cpu_seconds();
    t0 = bench_clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (!writer)
        writer = wd::make_output_writer(wd::output_format::pdf,
                                        dir / ("out-" + std::to_string(files++) + ".pdf"));
      text.clear();
      tpl.render(records[i], text);
      writer->add_document(text);
      if ((i + 1) % 1000 == 0 || i + 1 == n) {
        auto st = writer->finish();
        pages += st.pages;
        bytes += st.bytes;
        writer.reset();
      }
    }
    const double s = seconds_since(t0), cpu = cpu_seconds() - c0;
    report("render + layout + PDF", n, s);
    std::printf("%-34s %8.0f pages/s wall, %.0f pages per CPU second (%llu pages, %.0f B/page)\n",
                "", static_cast<double>(pages) / s, static_cast<double>(pages) / cpu,
                static_cast<unsigned long long>(pages),
                static_cast<double>(bytes) / static_cast<double>(pages));
  }
  if (file_docs > 0) {
    t0 = bench_clock::now();
    auto writer = wd::make_output_writer(wd::output_format::pdf, dir / "big.pdf");
    for (std::size_t i = 0; i < file_docs; ++i) {
      text.clear();
      tpl.render(records[i % records.size()], text);
      writer->add_document(text);
    }
    auto st = writer->finish();
    std::printf("one file of %zu documents: %llu pages, %llu bytes = %.0f bytes/page, %.1f s\n",
                file_docs, static_cast<unsigned long long>(st.pages),
                static_cast<unsigned long long>(st.bytes),
                static_cast<double>(st.bytes) / static_cast<double>(st.pages), seconds_since(t0));
  }
  std::printf("peak RSS: %.0f MB\n", peak_rss_mb());
  std::filesystem::remove_all(dir);
  return 0;
}
