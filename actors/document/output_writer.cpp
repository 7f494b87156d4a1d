#include "actors/document/output_writer.hpp"

#include "actors/document/html_writer.hpp"
#include "actors/document/pdf_writer.hpp"
#include "actors/document/text_writer.hpp"

namespace weft::document {

std::unique_ptr<output_writer> make_output_writer(output_format format,
                                                  const std::filesystem::path& path,
                                                  const output_options& options) {
  switch (format) {
    case output_format::pdf:
      return std::make_unique<pdf_writer>(path, options);
    case output_format::txt:
      return std::make_unique<text_writer>(path, options);
    default:
      return std::make_unique<html_writer>(path, options);
  }
}

}  // namespace weft::document
