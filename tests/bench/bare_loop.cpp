// weft_bare_loop: the machine's limit for the benchmark (scripts/bench.sh).
//
//   weft_bare_loop --data FILE --template FILE [--format pdf] [--per-file N] [--out DIR]
//                  [--resources DIR]
//
// Renders every record of FILE through the template and lays the documents
// out into output files of N documents — the same code the merge and weaver
// engines run — in a plain loop on one core, with nothing else: no actors,
// no database, no content files. Parsing the data is not timed. Prints
// "bare_loop_records_per_s=X" (wall clock of the timed part) and, for the comparison with
// WeasyPrint, the pages written and the process's CPU seconds in the timed part:
// "bare_loop_pages=P bare_loop_cpu_seconds=C bare_loop_pages_per_cpu_s=X". --resources is the
// directory <img> files come from (the HTML sample invoice's logo).

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "actors/document/data_format.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/output_writer.hpp"
#include "actors/document/record_reader.hpp"
#include "actors/document/template_engine.hpp"

namespace wd = weft::document;

int main(int argc, char** argv) {
  // libharu allocates and frees a great deal per page; without this glibc
  // hands memory back to the kernel after every page and PDF output runs at
  // half speed (measured with weft_document_bench). Same setting in the
  // bare-loop benchmark, so that the comparison stays fair.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  std::string data, tmpl, format = "pdf", out = "/tmp/weft-bare-loop", resources;
  long per_file = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--data")
      data = v;
    else if (k == "--template")
      tmpl = v;
    else if (k == "--format")
      format = v;
    else if (k == "--per-file")
      per_file = std::stol(v);
    else if (k == "--out")
      out = v;
    else if (k == "--resources")
      resources = v;
  }
  if (data.empty() || tmpl.empty()) {
    std::fprintf(stderr,
                 "usage: weft_bare_loop --data FILE --template FILE [--format F] "
                 "[--per-file N] [--out DIR] [--resources DIR]\n");
    return 2;
  }
  auto fmt = wd::parse_output_format(format);
  if (!fmt) return 2;
  std::filesystem::create_directories(out);
  wd::template_engine engine(wd::template_escape_for(*fmt));
  auto compiled = engine.compile_file(tmpl);
  auto reader = wd::open_record_reader(data);

  wd::output_options options;
  options.resources_dir = resources;
  using clock = std::chrono::steady_clock;
  clock::duration busy{};
  double cpu = 0;  // CPU seconds of this process in the timed part
  std::uint64_t pages = 0;
  auto cpu_now = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  };
  std::vector<wd::record> chunk(1000);
  std::unique_ptr<wd::output_writer> writer;
  long in_file = 0, files = 0, total = 0;
  std::string text;
  for (;;) {
    std::size_t n = 0;
    while (n < chunk.size() && reader->next(chunk[n])) ++n;  // parsing: not timed
    if (n == 0) break;
    auto t0 = clock::now();
    const double c0 = cpu_now();
    for (std::size_t i = 0; i < n; ++i) {
      if (!writer) {
        auto path = out + "/bare-" + std::to_string(++files) + std::string{wd::extension(*fmt)};
        writer = wd::make_output_writer(*fmt, path, options);
      }
      text.clear();
      compiled.render(chunk[i].value, text);
      writer->add_document(text);
      if (++in_file == per_file) {
        pages += writer->finish().pages;
        writer.reset();
        in_file = 0;
      }
    }
    if (writer && n < chunk.size()) {
      pages += writer->finish().pages;
      writer.reset();
    }
    busy += clock::now() - t0;
    cpu += cpu_now() - c0;
    total += static_cast<long>(n);
  }
  if (writer) {
    const double c0 = cpu_now();
    pages += writer->finish().pages;
    cpu += cpu_now() - c0;
  }
  double s = std::chrono::duration<double>(busy).count();
  std::printf("bare_loop_records=%ld\nbare_loop_seconds=%.3f\nbare_loop_records_per_s=%.0f\n",
              total, s, total / s);
  std::printf("bare_loop_pages=%llu\nbare_loop_cpu_seconds=%.3f\nbare_loop_pages_per_cpu_s=%.1f\n",
              static_cast<unsigned long long>(pages), cpu, cpu > 0 ? pages / cpu : 0.0);
  std::filesystem::remove_all(out);
  return 0;
}
