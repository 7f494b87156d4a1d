#include <cairo.h>

#include <iostream>

#include "actors/document/data_error.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/layout/document_layout.hpp"
#include "actors/document/output_error.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/output_writer.hpp"
#include "actors/document/record_reader.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"

namespace weft::runtime {

namespace {

/// The first page of `html` painted at 150 dpi.
void write_png(const std::string& html, const document::output_options& o, const std::string& png) {
  document::layout::layout_options lo;
  lo.resources_dir = o.resources_dir;
  lo.max_image_bytes = o.max_image_bytes;
  lo.strict = o.strict;
  document::layout::layout_engine engine(lo);
  auto doc = engine.layout(html);
  const double scale = 150.0 / 72.0;
  cairo_surface_t* surface = cairo_image_surface_create(
      CAIRO_FORMAT_RGB24, static_cast<int>(doc.page_width() * scale + 0.5),
      static_cast<int>(doc.page_height() * scale + 0.5));
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_scale(cr, scale, scale);
  engine.paint(cr, doc, 0);
  cairo_destroy(cr);
  const cairo_status_t status = cairo_surface_write_to_png(surface, png.c_str());
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    throw document::output_error("cannot write " + png + ": " + cairo_status_to_string(status));
}

}  // namespace

int cmd_render(const render_args& args) {
  try {
    auto format = document::parse_output_format(args.format);
    if (!format) {
      std::cerr << "caf-node: unknown format '" << args.format << "' (use pdf, txt or html)\n";
      return exit_usage;
    }
    std::optional<document::data_format> data_format;
    if (!args.data_format.empty()) {
      data_format = document::parse_data_format(args.data_format);
      if (!data_format) {
        std::cerr << "caf-node: unknown data format '" << args.data_format << "'\n";
        return exit_usage;
      }
    }
    if (args.record < 1) {
      std::cerr << "caf-node: --record counts from 1\n";
      return exit_usage;
    }
    if ((!args.out.empty() || !args.png.empty()) && *format != document::output_format::pdf) {
      std::cerr << "caf-node: --out and --png need --format pdf\n";
      return exit_usage;
    }
    document::template_engine engine(document::template_escape_for(*format));
    auto tmpl = engine.compile_file(args.template_file);
    document::reader_options options;
    if (!args.csv_delimiter.empty()) {
      auto delimiter = document::parse_delimiter(args.csv_delimiter);
      if (!delimiter) {
        std::cerr << "caf-node: --csv-delimiter: '" << args.csv_delimiter
                  << "' is not one of , ; | tab auto\n";
        return exit_usage;
      }
      options.data.delimiter = *delimiter;
    }
    options.data.encoding = args.data_encoding;
    options.data.record_path = args.record_path;
    auto reader = document::open_record_reader(args.data, data_format, options);
    document::record r;
    while (reader->next(r)) {
      if (r.number < args.record) continue;
      const std::string text = tmpl.render(r.value);
      if (args.out.empty() && args.png.empty()) {
        std::cout << text;
        return exit_ok;
      }
      document::output_options out;
      out.resources_dir = args.resources;
      out.strict = args.strict;
      if (!args.out.empty()) {
        // The template's own text is checked first: warnings name its line:column.
        out.template_path = args.template_file;
        auto writer = document::make_output_writer(*format, args.out, out);
        writer->next_record(static_cast<std::int64_t>(r.number));
        writer->add_document(text);
        for (const auto& w : writer->warnings()) std::cerr << "caf-node: warning: " << w << "\n";
        auto stats = writer->finish();
        std::cerr << "caf-node: " << stats.path.string() << ": " << stats.pages << " page"
                  << (stats.pages == 1 ? "" : "s") << ", " << stats.bytes << " bytes\n";
      }
      if (!args.png.empty()) write_png(text, out, args.png);
      return exit_ok;
    }
    std::cerr << "caf-node: " << args.data << " has no record " << args.record << "\n";
    return exit_usage;
  } catch (const document::template_error& e) {
    std::cerr << "caf-node: template error: " << e.what() << "\n";
  } catch (const document::data_error& e) {
    std::cerr << "caf-node: data error: " << e.what() << "\n";
  } catch (const document::output_error& e) {
    std::cerr << "caf-node: layout error: " << e.what() << "\n";
  } catch (const document::layout::layout_error& e) {
    std::cerr << "caf-node: layout error: " << e.what() << "\n";
  }
  return exit_usage;
}

}  // namespace weft::runtime
