// Resources: types by signature, names, folder listing. See resources.hpp.

#include "actors/document/resources.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>

namespace weft::document {

namespace fs = std::filesystem;

namespace {

bool starts_with(std::string_view bytes, std::string_view signature) {
  return bytes.size() >= signature.size() && bytes.substr(0, signature.size()) == signature;
}

constexpr std::size_t max_component = 200;
constexpr std::size_t max_depth = 8;

/// `name` shown safely in a message: printable ASCII kept, other bytes as '?', cut at 100.
std::string shown(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < 100; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (name.size() > 100) out += "...";
  return out;
}

void walk(const fs::path& root, const fs::path& dir, const std::string& prefix,
          std::vector<resource_file>& out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw resource_error(dir.string() + ": cannot read the folder: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    const std::string file = entry.path().filename().string();
    const std::string name = prefix + file;
    const std::string where = (root / name).string();
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0) {
      throw resource_error(where + ": cannot be read");
    }
    if (S_ISLNK(st.st_mode)) {
      throw resource_error(where +
                           " is a symbolic link; resources must be regular files (copy the file "
                           "into the folder)");
    }
    if (auto problem = resource_name_problem(name); !problem.empty()) {
      throw resource_error(where + ": " + problem);
    }
    if (S_ISDIR(st.st_mode)) {
      walk(root, entry.path(), name + "/", out);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      throw resource_error(where + " is not a regular file; resources must be regular files");
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::string head(resource_magic_bytes, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    if (!in && !in.eof()) throw resource_error(where + ": cannot be read");
    head.resize(static_cast<std::size_t>(in.gcount()));
    const auto type = resource_type_of(head);
    if (!type) throw resource_error(where + " " + resource_types_text);
    out.push_back({entry.path(), name, static_cast<std::uintmax_t>(st.st_size), *type});
    if (out.size() > max_listed_resources) {
      throw resource_error(root.string() + " holds more than " +
                           std::to_string(max_listed_resources) + " files");
    }
  }
  if (ec) throw resource_error(dir.string() + ": cannot read the folder: " + ec.message());
}

}  // namespace

const char* const resource_types_text =
    "is not a PNG, JPEG, TrueType, OpenType or WOFF file (told by its first bytes)";

std::optional<resource_type> resource_type_of(std::string_view b) {
  using namespace std::string_view_literals;
  if (starts_with(b, "\x89PNG\r\n\x1a\n"sv)) return resource_type::png;
  if (starts_with(b, "\xff\xd8\xff"sv)) return resource_type::jpeg;
  // TrueType outlines: version 1.0, Apple's 'true', or a collection ('ttcf').
  if (starts_with(b, "\x00\x01\x00\x00"sv) || starts_with(b, "true"sv) ||
      starts_with(b, "ttcf"sv)) {
    return resource_type::truetype;
  }
  if (starts_with(b, "OTTO"sv)) return resource_type::opentype;
  if (starts_with(b, "wOFF"sv)) return resource_type::woff;
  if (starts_with(b, "wOF2"sv)) return resource_type::woff2;
  return std::nullopt;
}

std::string_view resource_type_name(resource_type type) {
  switch (type) {
    case resource_type::png:
      return "PNG";
    case resource_type::jpeg:
      return "JPEG";
    case resource_type::truetype:
      return "TrueType";
    case resource_type::opentype:
      return "OpenType";
    case resource_type::woff:
      return "WOFF";
    case resource_type::woff2:
      return "WOFF2";
  }
  return "unknown";
}

std::string resource_name_problem(std::string_view name) {
  if (name.empty()) return "a resource needs a name";
  std::size_t depth = 0;
  std::size_t start = 0;
  for (;;) {
    const auto slash = name.find('/', start);
    const auto part =
        name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    ++depth;
    if (part.empty()) return "\"" + shown(name) + "\" has an empty path component";
    if (part[0] == '.') {
      return "\"" + shown(name) +
             "\" has a component starting with '.' (no \"..\", no hidden files)";
    }
    if (part.size() > max_component) {
      return "\"" + shown(name) + "\" has a component longer than " +
             std::to_string(max_component) + " characters";
    }
    for (char c : part) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
        return "\"" + shown(name) +
               "\": resource names hold letters, digits, '.', '-' and '_' only";
      }
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (depth > max_depth) {
    return "\"" + shown(name) + "\" is more than " + std::to_string(max_depth) + " folders deep";
  }
  return "";
}

std::vector<resource_file> list_resources(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) throw resource_error(dir.string() + ": no such folder");
  if (S_ISLNK(st.st_mode)) {
    throw resource_error(dir.string() + " is a symbolic link; give the folder itself");
  }
  if (!S_ISDIR(st.st_mode)) throw resource_error(dir.string() + " is not a folder");
  std::vector<resource_file> out;
  walk(dir, dir, "", out);
  std::sort(out.begin(), out.end(),
            [](const resource_file& a, const resource_file& b) { return a.name < b.name; });
  return out;
}

}  // namespace weft::document
