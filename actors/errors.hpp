#pragma once

// The errors Weft's actors answer with, and their text for people.
//
// Every error a Weft actor makes is a caf::error of the category
// `weft_error_category` with a `weft_error` code and, as its context, one
// string for people. CAF serializes code, category and context, so the kind of
// a failure (a storage error's errc among them) survives the actor and node
// boundary and a caller branches on it with weft_error_of(). Every node and
// client registers the renderer (register_weft_errors) so CAF's own rendering
// names the code too. Other modules include this header through actors.hpp.

#include <caf/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "storage/storage_error.hpp"

namespace weft::actors {

/// What went wrong, as callers branch on it. The first five are storage's
/// kinds (storage/storage_error.hpp) with the same meaning.
enum class weft_error : uint8_t {
  /// The database cannot be reached right now; the same request may succeed later.
  unavailable = 1,
  /// A write collided with other data or another writer; the unit was not applied.
  conflict,
  /// The row asked for does not exist.
  not_found,
  /// Stored data cannot be read as what Weft expects; retrying will not help.
  corrupt,
  /// The request or the configuration is wrong; retrying will not help.
  invalid,
  /// A peer or client was refused (handshake, trust, a malformed message).
  refused,
  /// Anything else; the text says what.
  failed,
  /// Not a failure: an engine's long poll ended with no batch for it; it asks again.
  /// Keep it the last code (weft_error_of checks the range).
  no_work,
};

/// The category atom of Weft's errors.
caf::atom_value weft_error_category();

/// Stable lower-case name of a code ("unavailable", ..., "refused", "failed").
const char* to_string(weft_error code) noexcept;

/// An error of `code` carrying `why` for people (error_text gives it back).
caf::error make_weft_error(weft_error code, const std::string& why);

/// make_weft_error(failed, why).
caf::error failure(const std::string& why);

/// make_weft_error(refused, "refused: " + why).
caf::error refused(const std::string& why);

/// A storage error as it crosses the actor boundary: its kind and its text.
caf::error from_storage(const storage::storage_error& e);

/// The Weft code of `err`, or nothing for an empty error or another category.
std::optional<weft_error> weft_error_of(const caf::error& err);

/// Text of an error for people: the message a Weft actor put in it, or CAF's
/// rendering of the code. Any error is fine, the empty one too ("no error").
std::string error_text(caf::actor_system& sys, const caf::error& err);

/// Adds Weft's error category and its renderer to a CAF configuration; every
/// node and client calls it.
void register_weft_errors(caf::actor_system_config& cfg);

/// `text` made safe for a log line (for what a peer or client sent):
/// trust::log_text, i.e. control characters and bytes that are not UTF-8
/// escaped as `\xNN`, cut after `max` bytes with "…(N bytes)".
std::string sanitised(const std::string& text, std::size_t max = 200);

}  // namespace weft::actors
