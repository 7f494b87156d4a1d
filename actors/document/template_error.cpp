#include "actors/document/template_error.hpp"

#include <utility>

namespace weft::document {

template_error::template_error(std::string template_name, std::size_t line, std::size_t column,
                               std::string reason)
    : std::runtime_error(template_name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                         ": " + reason),
      template_name_(std::move(template_name)),
      line_(line),
      column_(column),
      reason_(std::move(reason)) {}

}  // namespace weft::document
