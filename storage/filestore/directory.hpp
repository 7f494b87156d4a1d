#pragma once

// Walking and creating directories below the file store's root without ever
// following a symbolic link out of it: every step is relative to an open
// directory descriptor (openat with O_NOFOLLOW, unlinkat, mkdirat), so a link
// planted in place of a directory — or swapped in while a sweep runs — is
// refused instead of followed.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <utility>

namespace weft::filestore {

/// An open directory, by descriptor, closed by the destructor. Every step of the walk
/// goes through one: a directory is opened relative to its parent with O_NOFOLLOW, so a
/// symbolic link planted (or swapped in during the sweep) in place of a directory is
/// never followed out of the root, and files are removed with unlinkat() relative to the
/// directory that was opened, never by a path string resolved again.
class directory {
 public:
  /// `name` below the directory `parent` (AT_FDCWD and an absolute path for the root);
  /// nothing when it is not a directory, is a link, or cannot be opened.
  static std::optional<directory> open(int parent, const char* name, bool follow = false);
  directory(directory&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  directory& operator=(directory&&) = delete;
  directory(const directory&) = delete;
  ~directory() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

  /// Calls `each(name)` for every entry but "." and "..", reading one entry at a time;
  /// stops when `each` returns false. Entries removed meanwhile may or may not be seen.
  template <class F>
  void for_each(F each) const {
    const int dup = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return;
    DIR* d = ::fdopendir(dup);
    if (d == nullptr) {
      ::close(dup);
      return;
    }
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (!each(name)) break;
    }
    ::closedir(d);
  }

 private:
  explicit directory(int fd) : fd_(fd) {}
  int fd_;
};

/// Creates `relative` (a path of plain names, "jobs/42/input") below `root`, one
/// component at a time with mkdirat and opened with O_NOFOLLOW, and returns the
/// deepest one. Throws std::runtime_error naming the component when one exists
/// as a link or a file, or cannot be made: a planted `jobs/<id>` link is never
/// followed when a job is created.
directory make_directories(const std::string& root, const std::string& relative);

}  // namespace weft::filestore
