#pragma once

#include <kainjow/mustache.hpp>
#ifndef WEFT_KAINJOW_PATCHED
#error "kainjow/mustache.hpp must be the patched copy in actors/document/third_party"
#endif
#include <nlohmann/json.hpp>

namespace weft::document {

/// Converts a JSON value to kainjow's data tree.
///
/// Objects and arrays keep their shape; strings stay strings; integers print without a decimal
/// point ("42"); other numbers print in their shortest exact form ("12.5"), integral ones without
/// ".0"; true/false are true/false (so they open or skip sections); null is false.
/// @throws std::invalid_argument when the value nests deeper than 512 levels.
kainjow::mustache::data to_mustache_data(const nlohmann::json& value);

}  // namespace weft::document
