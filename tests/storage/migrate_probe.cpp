// weft_migrate_probe [--ready-fd R --go-fd N] URL [PASSWORD_FILE]
//
// Opens the database without migrating, writes one byte to fd R, waits until
// fd N reaches end of file (so that a test can release several connected
// probes at the same moment), migrates, and prints "version V applied A".
// Exit 0 on success, 1 with the error.

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "storage/database.hpp"

int main(int argc, char** argv) {
  using namespace weft::storage;
  int ready_fd = -1;
  int go_fd = -1;
  int arg = 1;
  if (argc > 4 && std::string(argv[1]) == "--ready-fd" && std::string(argv[3]) == "--go-fd") {
    ready_fd = std::atoi(argv[2]);
    go_fd = std::atoi(argv[4]);
    arg = 5;
  }
  if (argc - arg < 1 || argc - arg > 2) {
    std::cerr << "usage: weft_migrate_probe [--ready-fd R --go-fd N] URL [PASSWORD_FILE]\n";
    return 2;
  }
  std::string password;
  if (argc - arg == 2) {
    std::ifstream in(argv[arg + 1]);
    std::getline(in, password);
  }
  try {
    auto spec = parse_database_url(argv[arg], password);
    auto db = database::open(spec, std::chrono::seconds(20), open_options{false, {}});
    if (go_fd >= 0) {
      char c = 'r';
      if (::write(ready_fd, &c, 1) != 1) return 1;
      ::close(ready_fd);
      while (::read(go_fd, &c, 1) > 0) {
      }
      ::close(go_fd);
    }
    auto report = db->migrate(std::chrono::seconds(60));
    std::cout << "version " << report.version << " applied " << report.applied << std::endl;
    return 0;
  } catch (const storage_error& e) {
    std::cout << "error " << to_string(e.code) << ": " << e.what() << std::endl;
    return 1;
  }
}
