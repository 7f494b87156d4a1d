#define BOOST_TEST_MODULE config_duration
#include "config/duration.hpp"

#include <boost/test/unit_test.hpp>

using weft::config::duration;
using weft::config::format_duration;
using weft::config::parse_duration;

BOOST_AUTO_TEST_SUITE(durations)

BOOST_AUTO_TEST_CASE(parses_every_unit) {
  BOOST_TEST(parse_duration("250ms").value().count() == 250);
  BOOST_TEST(parse_duration("15s").value().count() == 15'000);
  BOOST_TEST(parse_duration("15m").value().count() == 15 * 60'000);
  BOOST_TEST(parse_duration("24h").value().count() == 24LL * 3'600'000);
  BOOST_TEST(parse_duration("2d").value().count() == 2LL * 86'400'000);
  BOOST_TEST(parse_duration("0s").value().count() == 0);
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_an_integer_and_a_unit) {
  for (const char* bad : {"", "15", "-1s", "+1s", "1.5h", "10 parsecs", "15 s", " 15s", "15s ", "s",
                          "ms", "15sec", "15S", "1e3ms", "0x10s", "15ss"})
    BOOST_TEST(!parse_duration(bad).has_value(), "accepted \"" << bad << "\"");
}

BOOST_AUTO_TEST_CASE(rejects_values_that_overflow_milliseconds) {
  BOOST_TEST(!parse_duration("9223372036854775808ms").has_value());
  BOOST_TEST(!parse_duration("999999999999999999d").has_value());
  BOOST_TEST(parse_duration("9223372036854775807ms").has_value());
}

BOOST_AUTO_TEST_CASE(formats_in_the_largest_exact_unit) {
  BOOST_TEST(format_duration(duration{250}) == "250ms");
  BOOST_TEST(format_duration(duration{1500}) == "1500ms");
  BOOST_TEST(format_duration(duration{90'000}) == "90s");
  BOOST_TEST(format_duration(duration{15 * 60'000}) == "15m");
  BOOST_TEST(format_duration(duration{6LL * 3'600'000}) == "6h");
  BOOST_TEST(format_duration(duration{2LL * 86'400'000}) == "2d");
  BOOST_TEST(format_duration(duration{0}) == "0s");
}

BOOST_AUTO_TEST_CASE(formatted_durations_parse_back_to_the_same_value) {
  for (long long ms : {1LL, 999LL, 1000LL, 61'000LL, 3'600'000LL, 90'000'000LL, 86'400'000LL})
    BOOST_TEST(parse_duration(format_duration(duration{ms})).value().count() == ms);
}

BOOST_AUTO_TEST_SUITE_END()
