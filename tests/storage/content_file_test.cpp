// The content-item file format (storage/filestore/content_file.hpp): frames written by the merge
// engine read back by the weaver, and corrupt files refused without trusting their lengths.

#define BOOST_TEST_MODULE content_file
#include "storage/filestore/content_file.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

using weft::filestore::content_reader;
using weft::filestore::content_writer;

namespace {

struct scratch {
  std::filesystem::path dir;
  scratch() {
    std::string pattern = "/tmp/weft-content-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
  }
  ~scratch() { std::filesystem::remove_all(dir); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return (dir / name).string();
  }
};

std::string frame_header(std::uint64_t seq, std::uint32_t len) {
  std::string h;
  for (int i = 0; i < 8; ++i) h += static_cast<char>(seq >> (8 * i));
  for (int i = 0; i < 4; ++i) h += static_cast<char>(len >> (8 * i));
  return h;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_back_what_was_written) {
  scratch s;
  const auto path = (s.dir / "m1.a1.bin").string();
  content_writer w(path);
  w.add(7, "first");
  w.add(8, "");
  w.add(9, std::string(70000, 'x'));
  BOOST_TEST(w.finish() == 3 * 12 + 5 + 70000);
  content_reader r(path);
  std::int64_t seq = 0;
  std::string text;
  BOOST_REQUIRE(r.next(seq, text));
  BOOST_TEST(seq == 7);
  BOOST_TEST(text == "first");
  BOOST_REQUIRE(r.next(seq, text));
  BOOST_TEST(text.empty());
  BOOST_REQUIRE(r.next(seq, text));
  BOOST_TEST(text.size() == 70000u);
  BOOST_TEST(!r.next(seq, text));
}

// Two writers of one name at once (two grants of one attempt: never meant to happen, the
// last guard) do not write into one file: each has a .part of its own, the one that finishes
// last replaces the other's file whole, and no .part file is left.
BOOST_AUTO_TEST_CASE(two_writers_of_one_name_do_not_mix_or_truncate_each_other) {
  scratch s;
  const auto path = (s.dir / "m3.a1.bin").string();
  content_writer a(path);
  content_writer b(path);
  a.add(1, std::string(5000, 'a'));
  b.add(1, "b");  // shorter: sharing one file, a's tail would survive behind b's frame
  a.add(2, std::string(5000, 'a'));
  BOOST_TEST(a.finish() == 2 * (12 + 5000));
  BOOST_TEST(b.finish() == 12 + 1);
  content_reader r(path);
  std::int64_t seq = 0;
  std::string text;
  BOOST_REQUIRE(r.next(seq, text));
  BOOST_TEST(text == "b");
  BOOST_TEST(!r.next(seq, text));
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(s.dir)) {
    ++files;
    BOOST_TEST(e.path().filename() == "m3.a1.bin");
  }
  BOOST_TEST(files == 1);
}

// Found by fuzzing (tests/fuzz/corpus/content/regression-huge-length): a frame claiming 4 GB
// made the reader allocate 4 GB before noticing the file is 12 bytes long.
BOOST_AUTO_TEST_CASE(refuses_a_frame_longer_than_the_rest_of_the_file) {
  scratch s;
  const auto path = s.write("bad.bin", frame_header(1, 0xFFFFFFFCu) + "abc");
  content_reader r(path);
  std::int64_t seq = 0;
  std::string text;
  try {
    r.next(seq, text);
    BOOST_ERROR("a 4 GB frame in a 15-byte file was accepted");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("truncated frame (length 4294967292 past the end") !=
               std::string::npos);
  }
  BOOST_TEST(text.capacity() < 1024u);
}

BOOST_AUTO_TEST_CASE(refuses_a_truncated_header_or_frame) {
  scratch s;
  std::int64_t seq = 0;
  std::string text;
  content_reader header(s.write("h.bin", frame_header(1, 3).substr(0, 10)));
  BOOST_CHECK_THROW(header.next(seq, text), std::runtime_error);
  content_reader body(s.write("b.bin", frame_header(1, 3) + "ab"));
  BOOST_CHECK_THROW(body.next(seq, text), std::runtime_error);
  content_reader empty(s.write("e.bin", ""));
  BOOST_TEST(!empty.next(seq, text));
}
