#include "config/secret_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "config/config_error.hpp"

namespace weft::config {

std::string read_secret_file(const std::string& path) {
  auto fail = [&](const std::string& reason) { throw config_error("", 0, 0, "", reason); };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail("cannot read " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    std::ostringstream mode;
    mode << std::oct << (st.st_mode & 0777);
    fail(path + " is readable or writable by group or others (mode 0" + mode.str() +
         "); run: chmod 600 " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path + ": " + std::strerror(errno));
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("cannot read " + path);
  while (!contents.empty() && (contents.back() == '\n' || contents.back() == '\r'))
    contents.pop_back();
  if (contents.empty()) fail(path + " is empty");
  return contents;
}

}  // namespace weft::config
