// weft_lease_probe --ready-fd R --go-fd N URL PASSWORD_FILE|- NAME HOLDER LOCK_AT_MOST_MS
//
// Opens the (migrated) database, writes one byte to fd R, waits until fd N reaches end
// of file (so that a test releases several connected probes at the same moment), tries
// to take lease NAME once and prints "won TOKEN" or "lost". Exit 0, or 1 with the error.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "storage/database.hpp"
#include "storage/lease_store.hpp"

int main(int argc, char** argv) {
  using namespace weft::storage;
  if (argc != 10 || std::string(argv[1]) != "--ready-fd" || std::string(argv[3]) != "--go-fd") {
    std::cerr << "usage: weft_lease_probe --ready-fd R --go-fd N URL PASSWORD_FILE|- NAME HOLDER "
                 "LOCK_AT_MOST_MS\n";
    return 2;
  }
  const int ready_fd = std::atoi(argv[2]);
  const int go_fd = std::atoi(argv[4]);
  std::string password;
  if (std::string(argv[6]) != "-") {
    std::ifstream in(argv[6]);
    std::getline(in, password);
  }
  try {
    auto db = database::open(parse_database_url(argv[5], password), std::chrono::seconds(20),
                             open_options{false, {}});
    lease_store leases(*db);
    leases.describe();  // the session is connected and warm before the start signal
    char c = 'r';
    if (::write(ready_fd, &c, 1) != 1) return 1;
    ::close(ready_fd);
    while (::read(go_fd, &c, 1) > 0) {
    }
    ::close(go_fd);
    auto token =
        leases.try_acquire(argv[7], argv[8], std::chrono::milliseconds(std::atoll(argv[9])));
    if (token)
      std::cout << "won " << *token << std::endl;
    else
      std::cout << "lost" << std::endl;
    return 0;
  } catch (const storage_error& e) {
    std::cout << "error " << to_string(e.code) << ": " << e.what() << std::endl;
    return 1;
  }
}
