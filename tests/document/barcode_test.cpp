// weft_barcode: every type encoded, drawn as vectors onto a Cairo image surface, written to a
// PNG and read back by real decoders (zbarimg from zbar-tools; ZXingReader from
// zxing-cpp-tools, which also reads Data Matrix and PDF417; dmtxread from dmtx-utils for Data
// Matrix). Invalid values give a barcode_error that says what is wrong. GiroCode payloads.

#define BOOST_TEST_MODULE document_barcode
#include "actors/document/barcode/barcode.hpp"

#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>

#include "actors/document/barcode/girocode.hpp"
#include "tests/support/child_process.hpp"

using namespace weft::document;
using weft::test::run_command;
using weft::test::temp_dir;

namespace {

constexpr auto decode_timeout = std::chrono::seconds(60);

/// Draws `code` with `module_px` pixels per module onto a white PNG of the symbol's size plus a
/// margin, the way a page would show it, and returns the file's path.
std::string draw_png(const barcode& code, const temp_dir& dir, const std::string& name,
                     double width_px) {
  const double height_px = std::round(width_px * code.aspect());
  const int margin = 20;
  cairo_surface_t* surface =
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(width_px) + 2 * margin,
                                 static_cast<int>(height_px) + 2 * margin);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  code.draw(cr, margin, margin, width_px, height_px);
  const std::string path = (dir / (name + ".png")).string();
  BOOST_REQUIRE_EQUAL(cairo_surface_write_to_png(surface, path.c_str()), CAIRO_STATUS_SUCCESS);
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  return path;
}

/// What zbarimg reads from the PNG, without the trailing newline ("" when it reads nothing).
std::string zbar_reads(const std::string& png) {
  auto r = run_command({"/usr/bin/zbarimg", "--quiet", "--raw", "-Sbinary", png}, decode_timeout);
  if (r.exit_code != 0) BOOST_TEST_MESSAGE("zbarimg exit " << r.exit_code << ": " << r.err);
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

/// What ZXingReader (zxing-cpp) reads, its "Text:" line only.
std::string zxing_reads(const std::string& png) {
  auto r = run_command({"/usr/bin/ZXingReader", png}, decode_timeout);
  const std::string marker = "Text:       \"";
  const auto at = r.out.find(marker);
  if (at == std::string::npos) {
    BOOST_TEST_MESSAGE("ZXingReader: " << r.out << r.err);
    return "";
  }
  const auto start = at + marker.size();
  const auto end = r.out.find("\"\n", start);
  return r.out.substr(start, end - start);
}

/// What dmtxread reads (Data Matrix only).
std::string dmtx_reads(const std::string& png) {
  auto r = run_command({"/usr/bin/dmtxread", "--milliseconds=20000", png}, decode_timeout);
  if (r.exit_code != 0) BOOST_TEST_MESSAGE("dmtxread exit " << r.exit_code << ": " << r.err);
  return r.out;
}

barcode_error error_of(barcode_type type, const std::string& value) {
  try {
    barcode::encode(type, value);
  } catch (const barcode_error& e) {
    return e;
  }
  BOOST_FAIL("no barcode_error for \"" << value.substr(0, 40) << "\" (" << value.size()
                                       << " bytes)");
  throw std::logic_error("unreachable");
}

bool says(const std::exception& e, const std::string& what) {
  const bool found = std::string(e.what()).find(what) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("message: " << e.what());
  return found;
}

girocode_error girocode_error_of(const girocode_payment& payment) {
  try {
    girocode_payload(payment);
  } catch (const girocode_error& e) {
    return e;
  }
  BOOST_FAIL("no girocode_error");
  throw std::logic_error("unreachable");
}

girocode_payment sample_payment() {
  girocode_payment p;
  p.bic = "BFSWDE33BER";
  p.name = "Wikimedia Fördergesellschaft";
  p.iban = "DE33 1002 0500 0001 1947 00";
  p.amount_cents = 12345;
  p.reference = "Invoice 2026-000042";
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(barcodes)

BOOST_AUTO_TEST_CASE(names_map_to_types_and_back) {
  for (auto name : {"qrcode", "code128", "datamatrix", "ean13", "pdf417"}) {
    const auto type = barcode_type_from_name(name);
    BOOST_REQUIRE(type.has_value());
    BOOST_TEST(barcode_type_name(*type) == name);
  }
  BOOST_TEST(!barcode_type_from_name("QRCODE").has_value());
  BOOST_TEST(!barcode_type_from_name("aztec").has_value());
  BOOST_TEST(!barcode_type_from_name("").has_value());
}

BOOST_AUTO_TEST_CASE(qrcode_decodes_to_exactly_its_value_with_zbar_and_zxing) {
  temp_dir dir("barcode");
  const std::string value = girocode_payload(sample_payment()) + " Ελληνικά 日本語 العربية";
  const auto code = barcode::encode(barcode_type::qrcode, value);
  BOOST_TEST(code.aspect() == 1.0, boost::test_tools::tolerance(1e-9));
  const auto png = draw_png(code, dir, "qr", 400);
  BOOST_TEST(zbar_reads(png) == value);
  BOOST_TEST(zxing_reads(png) == value);
}

BOOST_AUTO_TEST_CASE(code128_decodes_to_exactly_its_value_with_zbar_and_zxing) {
  temp_dir dir("barcode");
  const std::string value = "INV-2026/000042 a+b";
  const auto code = barcode::encode(barcode_type::code128, value);
  BOOST_TEST(code.aspect() < 1.0);
  BOOST_TEST(code.human_readable_text() == value);
  const auto png = draw_png(code, dir, "code128", 600);
  BOOST_TEST(zbar_reads(png) == value);
  BOOST_TEST(zxing_reads(png) == value);
}

BOOST_AUTO_TEST_CASE(ean13_decodes_to_its_13_digits_with_zbar_and_zxing) {
  temp_dir dir("barcode");
  // 13 digits with the right check digit, and 12 digits whose check digit zint adds.
  const auto full = barcode::encode(barcode_type::ean13, "4006381333931");
  const auto png = draw_png(full, dir, "ean13", 400);
  BOOST_TEST(zbar_reads(png) == "4006381333931");
  BOOST_TEST(zxing_reads(png) == "4006381333931");
  const auto twelve = barcode::encode(barcode_type::ean13, "978020137962");
  BOOST_TEST(twelve.human_readable_text() == "9780201379624");
  BOOST_TEST(zbar_reads(draw_png(twelve, dir, "ean12", 400)) == "9780201379624");
}

BOOST_AUTO_TEST_CASE(datamatrix_decodes_to_exactly_its_value_with_zxing_and_dmtxread) {
  temp_dir dir("barcode");
  const std::string value = "Weft DataMatrix 0123456789 ABCDEFGHIJ";
  const auto code = barcode::encode(barcode_type::datamatrix, value);
  BOOST_TEST(code.aspect() == 1.0, boost::test_tools::tolerance(1e-9));
  const auto png = draw_png(code, dir, "datamatrix", 300);
  BOOST_TEST(zxing_reads(png) == value);
  BOOST_TEST(dmtx_reads(png) == value);
}

BOOST_AUTO_TEST_CASE(pdf417_decodes_to_exactly_its_value_with_zxing) {
  temp_dir dir("barcode");
  const std::string value = "PDF417 carries text: Invoice 2026-000042, EUR 123.45";
  const auto code = barcode::encode(barcode_type::pdf417, value);
  const auto png = draw_png(code, dir, "pdf417", 800);
  BOOST_TEST(zxing_reads(png) == value);
}

BOOST_AUTO_TEST_CASE(a_barcode_is_drawn_as_vectors_into_a_pdf) {
  temp_dir dir("barcode");
  const auto pdf = (dir / "qr.pdf").string();
  cairo_surface_t* surface = cairo_pdf_surface_create(pdf.c_str(), 200, 200);
  cairo_t* cr = cairo_create(surface);
  barcode::encode(barcode_type::qrcode, "vector").draw(cr, 10, 10, 100, 100);
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  // No image in the file: the modules are paths.
  const auto images = run_command({"/usr/bin/pdfimages", "-list", pdf}, decode_timeout);
  BOOST_TEST(images.exit_code == 0);
  // Only pdfimages' two header lines ("page num type ..." and dashes), no image row.
  BOOST_TEST(images.out.find("page") == 0u);
  BOOST_TEST(std::count(images.out.begin(), images.out.end(), '\n') == 2);
  const auto size = std::filesystem::file_size(pdf);
  BOOST_TEST(size < 4000u);
}

BOOST_AUTO_TEST_CASE(ean13_with_letters_is_refused_naming_the_character) {
  const auto e = error_of(barcode_type::ean13, "40063813A3931");
  BOOST_TEST(says(e, "ean13 barcode value \"40063813A3931\""));
  BOOST_TEST(says(e, "character 9 is not a digit"));
}

BOOST_AUTO_TEST_CASE(ean13_with_a_wrong_check_digit_is_refused_with_the_right_one) {
  const auto e = error_of(barcode_type::ean13, "4006381333932");
  BOOST_TEST(says(e, "check digit is 2, the right one is 1"));
}

BOOST_AUTO_TEST_CASE(ean13_of_the_wrong_length_is_refused) {
  BOOST_TEST(says(error_of(barcode_type::ean13, "12345"), "has 5 digits"));
  BOOST_TEST(says(error_of(barcode_type::ean13, "12345678901234"), "has 14 digits"));
}

BOOST_AUTO_TEST_CASE(values_too_long_for_the_type_are_refused_with_zints_reason) {
  const auto e = error_of(barcode_type::qrcode, std::string(3000, 'x'));
  BOOST_TEST(says(e, "qrcode barcode value \"xxxx"));
  BOOST_TEST(says(e, "is invalid: "));
  BOOST_TEST(says(e, "too long"));
  BOOST_TEST(says(error_of(barcode_type::datamatrix, std::string(4000, 'x')), "too long"));
}

BOOST_AUTO_TEST_CASE(values_above_the_library_bound_or_empty_are_refused) {
  BOOST_TEST(says(error_of(barcode_type::pdf417, std::string(5000, 'x')),
                  "5000 bytes long, more than the 4096"));
  BOOST_TEST(says(error_of(barcode_type::code128, ""), "is empty"));
}

BOOST_AUTO_TEST_CASE(code128_refuses_characters_outside_latin1) {
  const auto e = error_of(barcode_type::code128, "Invoice 日本");
  BOOST_TEST(says(e, "code128 barcode value \"Invoice ??????\" is invalid: "));
}

BOOST_AUTO_TEST_CASE(messages_show_values_sanitised_and_shortened) {
  const auto e = error_of(barcode_type::ean13, std::string("12\n\x1b[31m") + std::string(60, '9'));
  const std::string message = e.what();
  BOOST_TEST(message.find('\n') == std::string::npos);
  BOOST_TEST(message.find('\x1b') == std::string::npos);
  BOOST_TEST(says(e, "...\""));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(girocode)

BOOST_AUTO_TEST_CASE(payload_has_the_epc069_12_lines) {
  BOOST_TEST(girocode_payload(sample_payment()) ==
             "BCD\n002\n1\nSCT\nBFSWDE33BER\nWikimedia Fördergesellschaft\n"
             "DE33100205000001194700\nEUR123.45\n\n\nInvoice 2026-000042");
}

BOOST_AUTO_TEST_CASE(structured_reference_takes_its_own_line) {
  auto p = sample_payment();
  p.bic.clear();
  p.reference = "RF18539007547034";
  p.structured = true;
  p.amount_cents = 5;
  BOOST_TEST(girocode_payload(p) ==
             "BCD\n002\n1\nSCT\n\nWikimedia Fördergesellschaft\nDE33100205000001194700\n"
             "EUR0.05\n\nRF18539007547034");
}

BOOST_AUTO_TEST_CASE(amounts_at_the_bounds_are_written_with_two_decimals) {
  auto p = sample_payment();
  p.amount_cents = 1;
  BOOST_TEST(girocode_payload(p).find("\nEUR0.01\n") != std::string::npos);
  p.amount_cents = 99'999'999'999;
  BOOST_TEST(girocode_payload(p).find("\nEUR999999999.99\n") != std::string::npos);
  p.amount_cents = 100;
  BOOST_TEST(girocode_payload(p).find("\nEUR1.00\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(amounts_outside_the_range_are_refused) {
  auto p = sample_payment();
  p.amount_cents = 0;
  BOOST_TEST(says(girocode_error_of(p), "amount must be EUR 0.01 to 999999999.99, not 0.00"));
  p.amount_cents = 100'000'000'000;
  BOOST_TEST(says(girocode_error_of(p), "not 1000000000.00"));
  p.amount_cents = -150;
  BOOST_TEST(says(girocode_error_of(p), "not -1.50"));
}

BOOST_AUTO_TEST_CASE(iban_with_wrong_check_digits_or_shape_is_refused) {
  auto p = sample_payment();
  p.iban = "DE34 1002 0500 0001 1947 00";
  BOOST_TEST(says(girocode_error_of(p), "IBAN DE34... has wrong check digits"));
  p.iban = "DE33";
  BOOST_TEST(says(girocode_error_of(p), "IBAN has 4 characters"));
  p.iban = "";
  BOOST_TEST(says(girocode_error_of(p), "IBAN is missing"));
  p.iban = "1233100205000001194700";
  BOOST_TEST(says(girocode_error_of(p), "two-letter country code"));
  p.iban = "de33100205000001194700";  // lower case is normalised
  BOOST_TEST(girocode_payload(p).find("\nDE33100205000001194700\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(computed_iban_check_digits_are_the_published_ones) {
  BOOST_TEST(iban_with_check_digits("DE", "370400440532013000") == "DE89370400440532013000");
  BOOST_TEST(iban_with_check_digits("GB", "WEST12345698765432") == "GB82WEST12345698765432");
  BOOST_CHECK_THROW(iban_with_check_digits("de", "1"), girocode_error);
}

BOOST_AUTO_TEST_CASE(name_and_bic_are_checked) {
  auto p = sample_payment();
  p.name = std::string();
  BOOST_TEST(says(girocode_error_of(p), "name (the payee) is missing"));
  p.name.clear();
  for (int i = 0; i < 71; ++i) p.name += "Ω";  // 71 characters, 142 bytes
  BOOST_TEST(says(girocode_error_of(p), "name has 71 characters, more than 70"));
  p.name = "ACME\nGmbH";
  BOOST_TEST(says(girocode_error_of(p), "name contains a line break"));
  p.name = std::string("ACME \xff");
  BOOST_TEST(says(girocode_error_of(p), "name is not valid UTF-8"));
  p = sample_payment();
  p.bic = "BFSW";
  BOOST_TEST(says(girocode_error_of(p), "BIC must be 8 or 11"));
  p.bic = "BFSWDE33";
  BOOST_TEST(girocode_payload(p).find("\nBFSWDE33\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(references_have_their_limits) {
  auto p = sample_payment();
  p.reference = std::string(140, 'r');
  BOOST_TEST(girocode_payload(p).size() <= girocode_max_bytes);
  p.reference = std::string(141, 'r');
  BOOST_TEST(says(girocode_error_of(p), "reference has 141 characters, more than 140"));
  p.structured = true;
  p.reference = std::string(36, 'A');
  BOOST_TEST(says(girocode_error_of(p), "structured reference has 36 characters, more than 35"));
  p.reference = "INV 42";
  BOOST_TEST(says(girocode_error_of(p), "letters and digits only"));
  p.reference = "RF19539007547034";
  BOOST_TEST(says(girocode_error_of(p), "not a valid ISO 11649 creditor reference"));
}

BOOST_AUTO_TEST_CASE(payload_fits_a_qr_code_that_decodes_to_it) {
  temp_dir dir("girocode");
  auto p = sample_payment();
  p.name = "Δημήτρης Παπαδόπουλος";
  p.reference = "請求書 2026-000042 فاتورة";
  const auto payload = girocode_payload(p);
  const auto png = draw_png(barcode::encode(barcode_type::qrcode, payload), dir, "giro", 300);
  BOOST_TEST(zbar_reads(png) == payload);
}

BOOST_AUTO_TEST_SUITE_END()
