// weft_weasyprint_input: the sample invoices as one plain HTML file for WeasyPrint
// (scripts/bench_weasyprint.sh), so that WeasyPrint and Weft render the same documents.
//
//   weft_weasyprint_input --count N --out DIR [--seed S]
//
// Generates N invoices (weft_gen_invoices' records, same seed, same data), merges each through
// actors/document/samples/weasyprint/invoice.mustache into one <section> of DIR/invoices.html
// (styles from invoice.css beside it), writes each unpaid invoice's GiroCode as a PNG
// (DIR/qr/<invoice>.png, drawn by weft_barcode: WeasyPrint has no barcodes) and copies the logo.
// Prints "documents=N qr_codes=Q".

#include <cairo.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "actors/document/barcode/barcode.hpp"
#include "actors/document/samples/invoice_generator.hpp"
#include "actors/document/template_engine.hpp"

namespace fs = std::filesystem;
namespace wd = weft::document;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The QR code at 4 pixels per module, as WeasyPrint would get it from any barcode tool.
void write_qr(const std::string& value, const fs::path& path) {
  const auto code = wd::barcode::encode(wd::barcode_type::qrcode, value);
  // 4 px per module; a GiroCode is 45 to 57 modules wide with its quiet zone.
  const int side = 240;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side);
  cairo_t* cr = cairo_create(surface);
  code.draw(cr, 0, 0, side, side * code.aspect());
  cairo_surface_write_to_png(surface, path.c_str());
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long count = 100;
  unsigned long long seed = 42;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--count") {
      count = std::stoul(v);
    } else if (k == "--seed") {
      seed = std::stoull(v);
    } else if (k == "--out") {
      out = v;
    }
  }
  if (out.empty()) {
    std::fprintf(stderr, "usage: weft_weasyprint_input --count N --out DIR [--seed S]\n");
    return 2;
  }
  const fs::path samples = fs::path(WEFT_SOURCE_DIR) / "actors/document/samples";
  fs::create_directories(fs::path(out) / "qr");
  fs::copy_file(samples / "resources/logo.png", fs::path(out) / "logo.png",
                fs::copy_options::overwrite_existing);
  wd::template_engine engine(wd::escape_mode::html);
  auto section = engine.compile_file(samples / "weasyprint/invoice.mustache");
  std::ofstream html(fs::path(out) / "invoices.html", std::ios::binary | std::ios::trunc);
  html << "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Invoices</title>\n"
       << "<style>\n"
       << read_text(samples / "weasyprint/invoice.css") << "</style>\n</head>\n<body>\n";
  wd::samples::invoice_generator generator(seed);
  unsigned long qr_codes = 0;
  std::string text;
  for (unsigned long i = 0; i < count; ++i) {
    auto record = generator.next();
    if (!record.value("paid", false)) {
      const auto name = "qr/" + record["invoice"].get<std::string>() + ".png";
      write_qr(record["payment_code"].get<std::string>(), fs::path(out) / name);
      record["qr_png"] = name;
      ++qr_codes;
    }
    text.clear();
    section.render(record, text);
    html << text;
  }
  html << "</body>\n</html>\n";
  html.close();
  if (!html) {
    std::fprintf(stderr, "weft_weasyprint_input: cannot write %s/invoices.html\n", out.c_str());
    return 1;
  }
  std::printf("documents=%lu qr_codes=%lu\n", count, qr_codes);
  return 0;
}
