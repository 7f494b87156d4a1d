#pragma once

// The errors Weft's actors answer with, and their text for people. Every
// actor uses these; other modules include this header through actors.hpp.

#include <caf/fwd.hpp>
#include <string>

namespace weft::actors {

/// An error carrying `why` for people (error_text gives it back).
caf::error failure(const std::string& why);

/// A refusal of a peer's or client's request: `failure("refused: " + why)`.
caf::error refused(const std::string& why);

/// Text of a CAF error for people: the message a Weft actor put in it, or
/// CAF's rendering of the error code.
std::string error_text(caf::actor_system& sys, const caf::error& err);

}  // namespace weft::actors
