// The errors Weft's actors answer with (errors.hpp).

#include "actors/errors.hpp"

#include <caf/all.hpp>

namespace weft::actors {

caf::error failure(const std::string& why) { return caf::make_error(caf::sec::runtime_error, why); }

caf::error refused(const std::string& why) { return failure("refused: " + why); }

std::string error_text(caf::actor_system& sys, const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() >= 1 && ctx.match_element<std::string>(ctx.size() - 1))
    return ctx.get_as<std::string>(ctx.size() - 1);
  return sys.render(err);
}

}  // namespace weft::actors
