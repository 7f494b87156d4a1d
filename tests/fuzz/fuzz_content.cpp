// Fuzzes the content-file reader (storage/filestore/content_reader), which the weaver uses to
// read a merge batch's rendered records back. The input is the file; it lives in an in-memory
// file (memfd), opened through /proc/self/fd, so nothing touches the disk.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "storage/filestore/content_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = ::memfd_create("weft-fuzz-content", 0);
  if (fd < 0) std::abort();
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    weft::filestore::content_reader reader(path);
    std::int64_t seq = 0;
    std::string text;
    std::size_t bytes = 0;
    while (reader.next(seq, text)) {
      bytes += 12 + text.size();
      if (bytes > size) std::abort();  // a frame cannot hold more than the file
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
