#include "actors/document/to_mustache_data.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace weft::document {

namespace {

using kainjow::mustache::data;

constexpr int max_depth = 512;

std::string format_number(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  return nlohmann::json(v).dump();
}

data convert(const nlohmann::json& j, int depth) {
  if (depth > max_depth) throw std::invalid_argument("record nests deeper than 512 levels");
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      data d(data::type::object);
      for (auto it = j.begin(); it != j.end(); ++it) d[it.key()] = convert(it.value(), depth + 1);
      return d;
    }
    case nlohmann::json::value_t::array: {
      data d(data::type::list);
      // kainjow only offers a copying push_back; its list is a plain vector we own, so move the
      // elements in instead (and reserve, as basic_data's move is not noexcept).
      auto& items = const_cast<kainjow::mustache::list&>(d.list_value());
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(convert(e, depth + 1));
      return d;
    }
    case nlohmann::json::value_t::string:
      return data(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::number_integer:
      return data(std::to_string(j.get<std::int64_t>()));
    case nlohmann::json::value_t::number_unsigned:
      return data(std::to_string(j.get<std::uint64_t>()));
    case nlohmann::json::value_t::number_float:
      return data(format_number(j.get<double>()));
    case nlohmann::json::value_t::boolean:
      return data(j.get<bool>());
    default:
      return data(false);
  }
}

}  // namespace

kainjow::mustache::data to_mustache_data(const nlohmann::json& value) { return convert(value, 0); }

}  // namespace weft::document
