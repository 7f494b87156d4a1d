#pragma once

// The effective settings travel between the inspector and the scheduler of one
// node as a shared pointer: a local message only, never serialized.

#include <caf/allowed_unsafe_message_type.hpp>
#include <memory>

#include "config/settings.hpp"

namespace weft::actors {
using settings_ptr = std::shared_ptr<const config::settings>;
}  // namespace weft::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::actors::settings_ptr)
