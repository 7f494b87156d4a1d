#include "actors/planning/batch_json.hpp"

#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace weft::planning {

namespace {

using nlohmann::json;

nlohmann::json array_of(const std::string& text, const char* what) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    throw std::invalid_argument(std::string{what} + ": not a JSON array");
  if (j.size() > max_batches_per_message)
    throw std::invalid_argument(std::string{what} + ": " + std::to_string(j.size()) +
                                " entries, at most " + std::to_string(max_batches_per_message));
  return j;
}

int64_t integer(const json& e, const char* field, const char* what) {
  auto f = e.find(field);
  if (f == e.end() || !f->is_number_integer())
    throw std::invalid_argument(std::string{what} + ": \"" + field + "\" is not an integer");
  return f->get<int64_t>();
}

int32_t int32(const json& e, const char* field, const char* what) {
  auto v = integer(e, field, what);
  if (v < 0 || v > std::numeric_limits<int32_t>::max())
    throw std::invalid_argument(std::string{what} + ": \"" + field + "\" is out of range");
  return static_cast<int32_t>(v);
}

/// The fields every entry has: job, type, batch, attempt.
batch common(const json& e, const char* what) {
  if (!e.is_object())
    throw std::invalid_argument(std::string{what} + ": an entry is not an object");
  batch b;
  b.job_id = integer(e, "job", what);
  auto t = e.find("type");
  if (t == e.end() || !t->is_string() || (*t != "merge" && *t != "weaver"))
    throw std::invalid_argument(std::string{what} + ": \"type\" is not merge or weaver");
  b.type = *t == "merge" ? engine_type::merge : engine_type::weaver;
  b.batch_no = int32(e, "batch", what);
  b.attempt = int32(e, "attempt", what);
  return b;
}

json common_json(const batch& b) {
  return {{"job", b.job_id},
          {"type", to_string(b.type)},
          {"batch", b.batch_no},
          {"attempt", b.attempt}};
}

}  // namespace

std::string batches_to_json(const std::vector<batch>& batches) {
  auto out = json::array();
  for (const auto& b : batches) {
    auto e = common_json(b);
    e["first"] = b.first_seq;
    e["last"] = b.last_seq;
    out.push_back(std::move(e));
  }
  return out.dump();
}

std::vector<batch> batches_from_json(const std::string& text) {
  const char* what = "batches";
  std::vector<batch> out;
  for (const auto& e : array_of(text, what)) {
    auto b = common(e, what);
    b.first_seq = integer(e, "first", what);
    b.last_seq = integer(e, "last", what);
    out.push_back(b);
  }
  return out;
}

std::string finished_to_json(const std::vector<finished_batch>& finished) {
  auto out = json::array();
  for (const auto& f : finished) {
    auto e = common_json(f.b);
    e["accepted"] = f.accepted;
    out.push_back(std::move(e));
  }
  return out.dump();
}

std::vector<finished_batch> finished_from_json(const std::string& text) {
  const char* what = "finished batches";
  std::vector<finished_batch> out;
  for (const auto& e : array_of(text, what)) {
    finished_batch f;
    f.b = common(e, what);
    auto a = e.find("accepted");
    if (a == e.end() || !a->is_boolean())
      throw std::invalid_argument(std::string{what} + ": \"accepted\" is not true or false");
    f.accepted = a->get<bool>();
    out.push_back(f);
  }
  return out;
}

}  // namespace weft::planning
