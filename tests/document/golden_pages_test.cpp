#define BOOST_TEST_MODULE document_golden_pages
// Golden pages: templates in tests/document/golden/ (and the demo's sample invoice) rendered to
// PDF, every page rasterised by pdftoppm at 50 dpi and compared with the reference PNG beside
// the template (NAME.png, NAME-p2.png, ...), within a small
// tolerance (anti-aliasing and font-rendering noise). scripts/update_golden_pages.sh
// regenerates the references on purpose; this test never writes them.
#include <cairo.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/document/output_writer.hpp"
#include "actors/document/template_engine.hpp"
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

/// The share of pixels of `actual` that differ from `expected` by more than anti-aliasing does.
double differing_share(const png& actual, const png& expected) {
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
  return static_cast<double>(differing) / (actual.width() * actual.height());
}

/// The reference of page `page` (from 1): NAME.png for the first, NAME-pN.png for the others.
std::filesystem::path reference(const std::string& name, std::size_t page) {
  return golden / (page == 1 ? name + ".png" : name + "-p" + std::to_string(page) + ".png");
}

/// Lays `html` out as one PDF document and compares every page with its reference: as many
/// pages as references, each within the tolerance.
void check_pages(const std::string& name, const std::string& html,
                 const std::filesystem::path& resources = golden) {
  temp_dir dir("golden");
  output_options o;
  o.resources_dir = resources;
  auto w = make_output_writer(output_format::pdf, dir / (name + ".pdf"), o);
  w->add_document(html);
  for (const auto& x : w->warnings()) BOOST_TEST_MESSAGE(name << ": warning: " << x);
  const auto pages = w->finish().pages;
  BOOST_REQUIRE_GE(pages, 1u);
  BOOST_CHECK_MESSAGE(
      !std::filesystem::exists(reference(name, pages + 1)),
      name << ": " << pages << " pages, but there is a reference of page " << pages + 1);
  for (std::size_t page = 1; page <= pages; ++page) {
    BOOST_TEST_CONTEXT(name << " page " << page) {
      const std::string n = std::to_string(page);
      const auto out = dir / (name + "-" + n);
      const std::string cmd = "pdftoppm -r 50 -png -f " + n + " -l " + n + " -singlefile '" +
                              (dir / (name + ".pdf")).string() + "' '" + out.string() + "'";
      BOOST_REQUIRE_EQUAL(std::system(cmd.c_str()), 0);
      png actual(out.string() + ".png");
      png expected(reference(name, page));
      BOOST_REQUIRE(actual.ok());
      BOOST_REQUIRE_MESSAGE(expected.ok(), "no reference "
                                               << reference(name, page).filename()
                                               << ": run scripts/update_golden_pages.sh");
      BOOST_REQUIRE_EQUAL(actual.width(), expected.width());
      BOOST_REQUIRE_EQUAL(actual.height(), expected.height());
      const double share = differing_share(actual, expected);
      BOOST_TEST_MESSAGE(name << " page " << page << ": " << share * 100
                              << "% of the pixels differ");
      // 0.5% of the page: a moved line of text or a lost border is far more.
      BOOST_CHECK_LE(share, 0.005);
    }
  }
}

void check_page(const std::string& name) { check_pages(name, slurp(golden / (name + ".html"))); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_400_row_table_page) { check_page("table"); }
BOOST_AUTO_TEST_CASE(every_element_and_property) { check_page("elements"); }
BOOST_AUTO_TEST_CASE(mixed_scripts) { check_page("scripts"); }
BOOST_AUTO_TEST_CASE(every_barcode_type) { check_page("barcodes"); }

// The demo's invoice (actors/document/samples/invoice.html.mustache, its logo) merged with the
// record in golden/invoice.ndjson (weft_gen_invoices --seed 42, record 231: 64 items, so the
// items table crosses pages with its header repeated, the totals and QR code at the end).
BOOST_AUTO_TEST_CASE(the_sample_invoice_every_page) {
  const std::filesystem::path samples =
      std::filesystem::path(WEFT_SOURCE_DIR) / "actors/document/samples";
  template_engine engine(escape_mode::html);
  auto tmpl = engine.compile_file(samples / "invoice.html.mustache");
  std::string record = slurp(golden / "invoice.ndjson");
  check_pages("invoice", tmpl.render(nlohmann::json::parse(record)), samples / "resources");
}
