#define BOOST_TEST_MODULE document_golden_pages
// Golden pages: templates in tests/document/golden/ rendered to PDF, page 1 rasterised by
// pdftoppm at 50 dpi and compared with the reference PNG beside the template, within a small
// tolerance (anti-aliasing and font-rendering noise). scripts/update_golden_pages.sh
// regenerates the references on purpose; this test never writes them.
#include <cairo.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "actors/document/output_writer.hpp"
#include "test_support.hpp"

using namespace weft::document;
using weft::document::test::temp_dir;

namespace {

const std::filesystem::path golden =
    std::filesystem::path(WEFT_SOURCE_DIR) / "tests/document/golden";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct png {
  cairo_surface_t* s;
  explicit png(const std::filesystem::path& p)
      : s(cairo_image_surface_create_from_png(p.c_str())) {}
  ~png() { cairo_surface_destroy(s); }
  bool ok() const { return cairo_surface_status(s) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(s); }
  int height() const { return cairo_image_surface_get_height(s); }
  /// r, g, b of pixel (x, y) (formats RGB24 and ARGB32 keep them in the low 3 bytes).
  void at(int x, int y, int rgb[3]) const {
    const unsigned char* row =
        cairo_image_surface_get_data(s) + y * cairo_image_surface_get_stride(s);
    std::uint32_t v;
    std::memcpy(&v, row + 4 * x, 4);
    rgb[0] = (v >> 16) & 0xFF;
    rgb[1] = (v >> 8) & 0xFF;
    rgb[2] = v & 0xFF;
  }
};

void check_page(const std::string& name) {
  temp_dir dir("golden");
  output_options o;
  o.resources_dir = golden;
  auto w = make_output_writer(output_format::pdf, dir / (name + ".pdf"), o);
  w->add_document(slurp(golden / (name + ".html")));
  for (const auto& x : w->warnings()) BOOST_TEST_MESSAGE(name << ": warning: " << x);
  w->finish();
  const std::string cmd = "pdftoppm -r 50 -png -f 1 -l 1 -singlefile '" +
                          (dir / (name + ".pdf")).string() + "' '" + (dir / name).string() + "'";
  BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
  png actual(dir / (name + ".png"));
  png expected(golden / (name + ".png"));
  BOOST_REQUIRE(actual.ok());
  BOOST_REQUIRE_MESSAGE(expected.ok(),
                        "no reference " << name << ".png: run scripts/update_golden_pages.sh");
  BOOST_REQUIRE_EQUAL(actual.width(), expected.width());
  BOOST_REQUIRE_EQUAL(actual.height(), expected.height());
  cairo_surface_flush(actual.s);
  cairo_surface_flush(expected.s);
  long differing = 0;
  for (int y = 0; y < actual.height(); ++y)
    for (int x = 0; x < actual.width(); ++x) {
      int a[3], b[3];
      actual.at(x, y, a);
      expected.at(x, y, b);
      for (int k = 0; k < 3; ++k)
        if (std::abs(a[k] - b[k]) > 48) {
          ++differing;
          break;
        }
    }
  const double share = static_cast<double>(differing) / (actual.width() * actual.height());
  BOOST_TEST_MESSAGE(name << ": " << differing << " pixels differ (" << share * 100 << "%)");
  // 0.5% of the page: a moved line of text or a lost border is far more.
  BOOST_CHECK_LE(share, 0.005);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_400_row_table_page) { check_page("table"); }
BOOST_AUTO_TEST_CASE(every_element_and_property) { check_page("elements"); }
BOOST_AUTO_TEST_CASE(mixed_scripts) { check_page("scripts"); }
BOOST_AUTO_TEST_CASE(every_barcode_type) { check_page("barcodes"); }
