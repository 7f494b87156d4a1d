// A job's resources (actors/document/resources.hpp): types by their first bytes, names that stay
// inside the resources folder, and the listing `submit --resources` uploads — regular files
// only, every refusal naming the file.

#define BOOST_TEST_MODULE document_resources
#include "actors/document/resources.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>

#include "tests/support/child_process.hpp"

using namespace weft::document;
using weft::test::temp_dir;
namespace fs = std::filesystem;

namespace {

const std::string png_bytes = std::string("\x89PNG\r\n\x1a\n", 8) + "rest of a png";
const std::string jpeg_bytes = "\xff\xd8\xff\xe0 rest of a jpeg";

resource_error listing_error(const fs::path& dir) {
  try {
    list_resources(dir);
  } catch (const resource_error& e) {
    return e;
  }
  BOOST_FAIL("no resource_error for " << dir);
  throw std::logic_error("unreachable");
}

bool says(const std::exception& e, const std::string& what) {
  const bool found = std::string(e.what()).find(what) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("message: " << e.what());
  return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE(types_are_told_by_their_first_bytes) {
  BOOST_TEST((resource_type_of(png_bytes) == resource_type::png));
  BOOST_TEST((resource_type_of(jpeg_bytes) == resource_type::jpeg));
  BOOST_TEST((resource_type_of(std::string("\0\1\0\0\0\x10", 6)) == resource_type::truetype));
  BOOST_TEST((resource_type_of("ttcf\0\1\0\0") == resource_type::truetype));
  BOOST_TEST((resource_type_of("OTTO\0\x0b") == resource_type::opentype));
  BOOST_TEST((resource_type_of("wOFF\0\1\0\0") == resource_type::woff));
  BOOST_TEST((resource_type_of("wOF2\0\1\0\0") == resource_type::woff2));
  BOOST_TEST(!resource_type_of("GIF89a...").has_value());
  BOOST_TEST(!resource_type_of("<svg xmlns=").has_value());
  BOOST_TEST(!resource_type_of("\x89PN").has_value());  // too short to tell
  BOOST_TEST(!resource_type_of("").has_value());
  BOOST_TEST(resource_type_name(resource_type::woff2) == "WOFF2");
}

BOOST_AUTO_TEST_CASE(names_stay_inside_the_resources_folder) {
  BOOST_TEST(resource_name_problem("logo.png").empty());
  BOOST_TEST(resource_name_problem("fonts/Noto_Sans-Regular.ttf").empty());
  BOOST_TEST(resource_name_problem("a/b/c/d/e/f/g/h.png").empty());
  BOOST_TEST(resource_name_problem("../escape.png").find("starting with '.'") != std::string::npos);
  BOOST_TEST(resource_name_problem("a/../../escape.png").find("'.'") != std::string::npos);
  BOOST_TEST(resource_name_problem("/etc/passwd").find("empty path component") !=
             std::string::npos);
  BOOST_TEST(resource_name_problem("a//b.png").find("empty path component") != std::string::npos);
  BOOST_TEST(resource_name_problem(".hidden.png").find("'.'") != std::string::npos);
  BOOST_TEST(resource_name_problem("my logo.png").find("letters, digits") != std::string::npos);
  BOOST_TEST(resource_name_problem("a\\b.png").find("letters, digits") != std::string::npos);
  BOOST_TEST(resource_name_problem("a/b/c/d/e/f/g/h/i.png").find("more than 8 folders") !=
             std::string::npos);
  BOOST_TEST(resource_name_problem(std::string(201, 'x')).find("longer than 200") !=
             std::string::npos);
  BOOST_TEST(!resource_name_problem("").empty());
}

BOOST_AUTO_TEST_CASE(a_folder_is_listed_with_sub_folders_sorted_by_name) {
  temp_dir dir("resources");
  dir.write("logo.png", png_bytes);
  fs::create_directories(dir / "img");
  dir.write("img/photo.jpg", jpeg_bytes);
  dir.write("font.otf", "OTTO font body");
  const auto files = list_resources(dir.path());
  BOOST_REQUIRE_EQUAL(files.size(), 3u);
  BOOST_TEST(files[0].name == "font.otf");
  BOOST_TEST((files[0].type == resource_type::opentype));
  BOOST_TEST(files[1].name == "img/photo.jpg");
  BOOST_TEST((files[1].type == resource_type::jpeg));
  BOOST_TEST(files[2].name == "logo.png");
  BOOST_TEST(files[2].size == png_bytes.size());
  BOOST_TEST(files[2].path == dir / "logo.png");
}

BOOST_AUTO_TEST_CASE(a_symbolic_link_is_refused_even_to_a_good_file) {
  temp_dir dir("resources");
  auto target = dir.write("real.png", png_bytes);
  fs::create_directories(dir / "res");
  dir.write("res/logo.png", png_bytes);
  fs::create_symlink(target, dir / "res/link.png");
  const auto e = listing_error(dir / "res");
  BOOST_TEST(says(e, "res/link.png is a symbolic link"));
  BOOST_TEST(says(e, "regular files"));
}

BOOST_AUTO_TEST_CASE(a_linked_sub_folder_or_linked_folder_is_refused) {
  temp_dir dir("resources");
  fs::create_directories(dir / "elsewhere");
  dir.write("elsewhere/logo.png", png_bytes);
  fs::create_directories(dir / "res");
  fs::create_directory_symlink(dir / "elsewhere", dir / "res/img");
  BOOST_TEST(says(listing_error(dir / "res"), "res/img is a symbolic link"));
  fs::create_directory_symlink(dir / "elsewhere", dir / "linked");
  BOOST_TEST(says(listing_error(dir / "linked"), "linked is a symbolic link"));
}

BOOST_AUTO_TEST_CASE(a_file_of_unknown_type_is_refused_naming_it) {
  temp_dir dir("resources");
  dir.write("logo.png", png_bytes);
  dir.write("notes.png", "just text, called .png");
  const auto e = listing_error(dir.path());
  BOOST_TEST(says(e, "notes.png is not a PNG, JPEG, TrueType, OpenType or WOFF file"));
}

BOOST_AUTO_TEST_CASE(special_files_and_bad_names_are_refused) {
  temp_dir dir("resources");
  BOOST_REQUIRE_EQUAL(::mkfifo((dir / "pipe").c_str(), 0600), 0);
  BOOST_TEST(says(listing_error(dir.path()), "pipe is not a regular file"));
  fs::remove(dir / "pipe");
  dir.write("my logo.png", png_bytes);
  BOOST_TEST(says(listing_error(dir.path()), "letters, digits"));
  fs::remove(dir / "my logo.png");
  dir.write(".hidden.png", png_bytes);
  BOOST_TEST(says(listing_error(dir.path()), "starting with '.'"));
  BOOST_TEST(says(listing_error(dir / "nowhere"), "no such folder"));
  BOOST_TEST(says(listing_error(dir / ".hidden.png"), "is not a folder"));
}
