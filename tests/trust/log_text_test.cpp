// What a peer sends reaches the log only through trust::log_text, and the
// refusals of one peer are logged a few times per window (trust::refusal_log).
#define BOOST_TEST_MODULE trust_log_text
#include "actors/trust/log_text.hpp"

#include <boost/test/unit_test.hpp>

#include "actors/trust/refusal_log.hpp"

using weft::trust::log_text;
using weft::trust::refusal_log;

BOOST_AUTO_TEST_SUITE(log_text_suite)

BOOST_AUTO_TEST_CASE(keeps_printable_text_and_utf8) {
  BOOST_TEST(log_text("ext1") == "ext1");
  BOOST_TEST(log_text("Müller 東京") == "Müller 東京");
}

BOOST_AUTO_TEST_CASE(escapes_newlines_ansi_escapes_and_c1_controls) {
  BOOST_TEST(log_text("a\nb") == "a\\x0ab");
  BOOST_TEST(log_text("\x1b[31mred") == "\\x1b[31mred");
  BOOST_TEST(log_text("x\r\n2026-01-01 INFO forged") == "x\\x0d\\x0a2026-01-01 INFO forged");
  BOOST_TEST(log_text("\xc2\x9b"
                      "31m") == "\\xc2\\x9b31m");  // C1 CSI
  BOOST_TEST(log_text("back\\slash") == "back\\x5cslash");
  BOOST_TEST(log_text(std::string("nul\0z", 5)) == "nul\\x00z");
}

BOOST_AUTO_TEST_CASE(escapes_bytes_that_are_not_utf8) {
  BOOST_TEST(log_text("\xff\xfe") == "\\xff\\xfe");
  BOOST_TEST(log_text("\xc3") == "\\xc3");                    // cut sequence
  BOOST_TEST(log_text("\xe0\x80\x80") == "\\xe0\\x80\\x80");  // overlong
}

BOOST_AUTO_TEST_CASE(cuts_long_text_and_says_how_long_it_was) {
  std::string name(4u << 20, 'A');
  auto out = log_text(name);
  BOOST_TEST(out == std::string(64, 'A') + "…(4194304 bytes)");
  BOOST_TEST(log_text(std::string(64, 'b')) == std::string(64, 'b'));
  // Never cuts inside a character.
  std::string umlauts;
  for (int i = 0; i < 40; ++i) umlauts += "ü";
  auto cut = log_text(umlauts);
  BOOST_TEST(cut.rfind("…(80 bytes)") == cut.size() - std::string("…(80 bytes)").size());
  BOOST_TEST(cut.substr(0, 64) == umlauts.substr(0, 64));
}

BOOST_AUTO_TEST_CASE(limits_the_refusals_logged_per_peer_and_counts_the_rest) {
  refusal_log log(5, std::chrono::seconds(10), 4);
  auto t = refusal_log::clock::now();
  uint64_t suppressed = 0;
  int logged = 0;
  for (int i = 0; i < 10001; ++i) logged += log.allow("flooder", t, suppressed) ? 1 : 0;
  BOOST_TEST(logged == 5);
  BOOST_TEST(log.allow("someone-else", t, suppressed));
  BOOST_TEST(suppressed == 0u);
  // After the window the next refusal is logged and says how many were left out.
  BOOST_TEST(log.allow("flooder", t + std::chrono::seconds(11), suppressed));
  BOOST_TEST(suppressed == 9996u);
}

BOOST_AUTO_TEST_CASE(remembers_a_bounded_number_of_peers) {
  refusal_log log(1, std::chrono::seconds(10), 4);
  auto t = refusal_log::clock::now();
  uint64_t suppressed = 0;
  for (int i = 0; i < 1000; ++i)
    log.allow("peer" + std::to_string(i), t + std::chrono::milliseconds(i), suppressed);
  BOOST_TEST(log.peers() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
