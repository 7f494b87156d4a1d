#pragma once

// A job's resources: the images and fonts its template refers to (`<img src="logo.png">`), sent
// with `caf-node submit --resources DIR` or found in the cluster's resource folder
// ([files].resources). What a resource may be is decided here, once, for the client that lists
// a folder and for the node that receives the bytes: docs/templates.md "Resources".
//
// Part of weft_document; the standard library only.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft::document {

/// The kinds of file a resource may be, told by their first bytes (never by the name).
enum class resource_type { png, jpeg, truetype, opentype, woff, woff2 };

/// Bytes resource_type_of() needs to tell every type apart.
constexpr std::size_t resource_magic_bytes = 8;

/// The type whose signature `first_bytes` starts with; nothing for any other content (and for
/// fewer bytes than the signature needs).
std::optional<resource_type> resource_type_of(std::string_view first_bytes);

/// "PNG", "JPEG", "TrueType", "OpenType", "WOFF", "WOFF2".
std::string_view resource_type_name(resource_type type);

/// What the refusal of a file that is no resource says: "is not a PNG, JPEG, ... file".
extern const char* const resource_types_text;

/// Why `name` is not an acceptable resource name ("" when it is): a relative path of 1 to 8
/// '/'-separated components, each 1 to 200 letters, digits, '.', '-', '_' and not starting with
/// '.' (so no "..", no hidden files, nothing that leaves the resources folder).
std::string resource_name_problem(std::string_view name);

/// A resource found in a folder, for upload.
struct resource_file {
  std::filesystem::path path;  ///< where it is on disk
  std::string name;            ///< its name relative to the folder, '/'-separated
  std::uintmax_t size = 0;
  resource_type type = resource_type::png;
};

/// A folder whose content cannot be a job's resources; the message names the file.
class resource_error : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

/// Most files one listing returns before it refuses the folder (a guard against pointing
/// `--resources` at a home directory; the node's limit is [jobs].max_resources).
constexpr std::size_t max_listed_resources = 100000;

/// Every file below `dir`, sorted by name, checked: regular files only (a symbolic link, even
/// to a good file, a socket, a device are refused), acceptable names, known types by content.
/// Sub-folders are walked (they must not be links either).
/// @throws resource_error naming the first file that is refused and why.
std::vector<resource_file> list_resources(const std::filesystem::path& dir);

}  // namespace weft::document
