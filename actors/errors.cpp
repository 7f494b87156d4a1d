// The errors Weft's actors answer with (errors.hpp).

#include "actors/errors.hpp"

#include <caf/all.hpp>
#include <cstdio>

#include "actors/trust/log_text.hpp"

namespace weft::actors {

namespace {

weft_error code_of(storage::errc c) {
  switch (c) {
    case storage::errc::unavailable:
      return weft_error::unavailable;
    case storage::errc::conflict:
      return weft_error::conflict;
    case storage::errc::not_found:
      return weft_error::not_found;
    case storage::errc::corrupt:
      return weft_error::corrupt;
    case storage::errc::invalid:
      return weft_error::invalid;
    case storage::errc::fenced:  // a superseded master's write (docs/cluster.md)
      return weft_error::refused;
  }
  return weft_error::failed;
}

/// The last string of an error's context: the text a Weft actor put in it.
std::optional<std::string> context_text(const caf::error& err) {
  if (!err) return std::nullopt;
  const auto& ctx = err.context();
  if (ctx.size() >= 1 && ctx.match_element<std::string>(ctx.size() - 1))
    return ctx.get_as<std::string>(ctx.size() - 1);
  return std::nullopt;
}

}  // namespace

caf::atom_value weft_error_category() { return caf::atom("weft"); }

const char* to_string(weft_error code) noexcept {
  switch (code) {
    case weft_error::unavailable:
      return "unavailable";
    case weft_error::conflict:
      return "conflict";
    case weft_error::not_found:
      return "not_found";
    case weft_error::corrupt:
      return "corrupt";
    case weft_error::invalid:
      return "invalid";
    case weft_error::refused:
      return "refused";
    case weft_error::no_work:
      return "no_work";
    case weft_error::failed:
      return "failed";
  }
  return "unknown";
}

caf::error make_weft_error(weft_error code, const std::string& why) {
  return caf::error{static_cast<uint8_t>(code), weft_error_category(), caf::make_message(why)};
}

caf::error failure(const std::string& why) { return make_weft_error(weft_error::failed, why); }

caf::error refused(const std::string& why) {
  return make_weft_error(weft_error::refused, "refused: " + why);
}

caf::error from_storage(const storage::storage_error& e) {
  return make_weft_error(code_of(e.code), e.what());
}

std::optional<weft_error> weft_error_of(const caf::error& err) {
  if (!err || err.category() != weft_error_category()) return std::nullopt;
  auto c = err.code();
  if (c < static_cast<uint8_t>(weft_error::unavailable) ||
      c > static_cast<uint8_t>(weft_error::no_work))  // the last code
    return std::nullopt;
  return static_cast<weft_error>(c);
}

std::string error_text(caf::actor_system& sys, const caf::error& err) {
  if (!err) return "no error";
  if (auto text = context_text(err)) return *text;
  return sys.render(err);
}

void register_weft_errors(caf::actor_system_config& cfg) {
  cfg.add_error_category(weft_error_category(), [](uint8_t code, caf::atom_value,
                                                   const caf::message& ctx) {
    std::string out = "weft_error::";
    auto c = static_cast<weft_error>(code);
    out += code >= 1 && code <= static_cast<uint8_t>(weft_error::failed) ? to_string(c) : "unknown";
    if (ctx.size() >= 1 && ctx.match_element<std::string>(ctx.size() - 1))
      out += ": " + ctx.get_as<std::string>(ctx.size() - 1);
    return out;
  });
}

std::string sanitised(const std::string& text, std::size_t max) {
  return trust::log_text(text, max);
}

}  // namespace weft::actors
