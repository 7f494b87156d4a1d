#include "storage/filestore/directory.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace weft::filestore {

std::optional<directory> directory::open(int parent, const char* name, bool follow) {
  const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  const int fd = ::openat(parent, name, flags);
  if (fd < 0) return std::nullopt;
  return directory(fd);
}

directory make_directories(const std::string& root, const std::string& relative) {
  auto current = directory::open(AT_FDCWD, root.c_str(), true);
  if (!current)
    throw std::runtime_error("cannot open the file store " + root + ": " + std::strerror(errno));
  std::string done = root;
  std::size_t from = 0;
  while (from < relative.size()) {
    auto to = relative.find('/', from);
    if (to == std::string::npos) to = relative.size();
    const std::string name = relative.substr(from, to - from);
    from = to + 1;
    if (name.empty() || name == ".") continue;
    if (name == "..") throw std::runtime_error("refusing '..' in " + relative);
    done += "/" + name;
    if (::mkdirat(current->fd(), name.c_str(), 0750) != 0 && errno != EEXIST)
      throw std::runtime_error("cannot create " + done + ": " + std::strerror(errno));
    auto next = directory::open(current->fd(), name.c_str());
    if (!next)
      throw std::runtime_error(done +
                               " is not a directory (a link or a file is in its place: "
                               "refused, links are never followed below the file store)");
    current.emplace(std::move(*next));
  }
  return std::move(*current);
}

}  // namespace weft::filestore
