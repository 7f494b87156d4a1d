#define BOOST_TEST_MODULE config_cron
#include "config/cron.hpp"

#include <boost/test/unit_test.hpp>

using weft::config::check_cron;

BOOST_AUTO_TEST_SUITE(cron_schedules)

BOOST_AUTO_TEST_CASE(accepts_common_schedules) {
  for (const char* ok : {"*/15 * * * *", "0 3 * * *", "0 0 1 1 *", "5,35 8-18 * * mon-fri",
                         "0 */2 1-15/2 jan,jul 0", "59 23 31 12 7", "  0  3 * * SUN "})
    BOOST_TEST(!check_cron(ok).has_value(), ok << ": " << check_cron(ok).value_or(""));
}

BOOST_AUTO_TEST_CASE(rejects_a_wrong_number_of_fields) {
  BOOST_TEST(check_cron("*/15 * * *").value().find("5 fields") != std::string::npos);
  BOOST_TEST(check_cron("0 0 * * * *").has_value());
  BOOST_TEST(check_cron("").has_value());
}

BOOST_AUTO_TEST_CASE(rejects_values_out_of_range) {
  for (const char* bad : {"60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *",
                          "* * * 0 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *",
                          "1,,2 * * * *", "* * * foo *", "-1 * * * *"})
    BOOST_TEST(check_cron(bad).has_value(), "accepted \"" << bad << "\"");
}

BOOST_AUTO_TEST_CASE(names_the_faulty_field) {
  BOOST_TEST(check_cron("* 24 * * *").value().find("hour") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
