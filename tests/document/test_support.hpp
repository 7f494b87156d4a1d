#pragma once

// Helpers shared by the document suites. Include after <boost/test/unit_test.hpp>.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include "actors/document/data_error.hpp"
#include "actors/document/record_reader.hpp"
#include "tests/support/child_process.hpp"

namespace weft::document::test {

/// Reads every record; rethrows the reader's data_error.
inline std::vector<record> read_all(record_reader& reader) {
  std::vector<record> out;
  record r;
  while (reader.next(r)) out.push_back(r);
  return out;
}

/// The data_error that `read()` throws; fails the test case when it throws none.
template <class F>
data_error data_error_of(F&& read) {
  try {
    read();
  } catch (const data_error& e) {
    return e;
  }
  BOOST_FAIL("no data_error for input");
  throw std::logic_error("unreachable");
}

/// Whether `e`'s message contains `what`; shows the message when it does not.
inline bool says(const data_error& e, const std::string& what) {
  const bool found = std::string(e.what()).find(what) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("message: " << e.what());
  return found;
}

/// A fresh directory under the temporary directory, removed at scope exit.
using weft::test::temp_dir;

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

/// A stream of `prefix`, then `count` copies of `fill`, then `suffix`, made on the fly so that
/// tests can feed huge inputs without holding them; counts the bytes handed out.
class generated_buf : public std::streambuf {
 public:
  generated_buf(std::string prefix, char fill, std::uint64_t count, std::string suffix)
      : prefix_(std::move(prefix)), fill_(fill), count_(count), suffix_(std::move(suffix)) {}
  std::uint64_t produced() const { return produced_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    chunk_.clear();
    while (chunk_.size() < 4096) {
      if (prefix_pos_ < prefix_.size()) {
        chunk_.push_back(prefix_[prefix_pos_++]);
      } else if (count_ > 0) {
        chunk_.push_back(fill_);
        --count_;
      } else if (suffix_pos_ < suffix_.size()) {
        chunk_.push_back(suffix_[suffix_pos_++]);
      } else {
        break;
      }
    }
    if (chunk_.empty()) return traits_type::eof();
    produced_ += chunk_.size();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string prefix_;
  char fill_;
  std::uint64_t count_;
  std::string suffix_;
  std::size_t prefix_pos_ = 0;
  std::size_t suffix_pos_ = 0;
  std::string chunk_;
  std::uint64_t produced_ = 0;
};

}  // namespace weft::document::test
