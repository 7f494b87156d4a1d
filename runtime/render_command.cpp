#include <iostream>

#include "actors/document/data_error.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/record_reader.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"

namespace weft::runtime {

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
      std::cout << tmpl.render(r.value);
      return exit_ok;
    }
    std::cerr << "caf-node: " << args.data << " has no record " << args.record << "\n";
    return exit_usage;
  } catch (const document::template_error& e) {
    std::cerr << "caf-node: template error: " << e.what() << "\n";
  } catch (const document::data_error& e) {
    std::cerr << "caf-node: data error: " << e.what() << "\n";
  }
  return exit_usage;
}

}  // namespace weft::runtime
