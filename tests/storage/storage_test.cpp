// One suite, two CTest entries: WEFT_TEST_BACKEND=sqlite (a temporary file)
// or mariadb (WEFT_TEST_MARIADB_URL + WEFT_TEST_MARIADB_PASSWORD_FILE; every
// test fails with a clear message when they are missing). Each test case
// gets its own fresh database and drops it afterwards (backend_fixture.hpp).

#define BOOST_TEST_MODULE storage
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "storage/bulk_insert.hpp"
#include "storage/database.hpp"
#include "storage/detail/session.hpp"
#include "storage/master_store.hpp"
#include "tests/storage/backend_fixture.hpp"

extern char** environ;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace weft::storage;
using namespace weft::storage::testing;
using steady = std::chrono::steady_clock;

namespace {

const std::vector<std::string> all_tables = {
    "schema_migrations", "settings", "leases",  "nodes",   "engines", "jobs",
    "records",           "batches",  "content", "outputs", "sweeps",  "master_history"};

}  // namespace

BOOST_AUTO_TEST_CASE(parses_database_urls_and_redacts_the_password) {
  auto spec = parse_database_url("mariadb://weft@10.0.0.5:3307/weft_prod", "s3cret");
  BOOST_TEST((spec.kind == backend_kind::mariadb));
  BOOST_TEST(spec.user == "weft");
  BOOST_TEST(spec.host == "10.0.0.5");
  BOOST_TEST(spec.port == 3307);
  BOOST_TEST(spec.name == "weft_prod");
  BOOST_TEST(spec.password == "s3cret");
  BOOST_TEST(describe(spec) == "mariadb://weft:***@10.0.0.5:3307/weft_prod");
  BOOST_TEST(parse_database_url("mysql://u@db/x", "").port == 3306);
  auto lite = parse_database_url("sqlite:/var/lib/weft/weft.db", "");
  BOOST_TEST((lite.kind == backend_kind::sqlite));
  BOOST_TEST(lite.sqlite_path == "/var/lib/weft/weft.db");
  BOOST_TEST(describe(lite) == "sqlite:/var/lib/weft/weft.db");
  for (const char* bad :
       {"postgres://u@h/db", "mariadb://h:3306/db", "mariadb://u:pw@h/db", "mariadb://u@h:99999/db",
        "mariadb://u@h:3306/", "mariadb://u@h:33x/db", "mariadb://u@h/db;drop", "sqlite:"}) {
    auto e = expect_storage_error([&] { parse_database_url(bad, "pw"); });
    BOOST_TEST((e.code == errc::invalid), bad);
    BOOST_TEST(std::string(e.what()).find(bad) != std::string::npos, e.what());
    const bool leaks_password = std::string(e.what()).find("pw") != std::string::npos &&
                                std::string(bad).find("pw") == std::string::npos;
    BOOST_TEST(!leaks_password);
  }
}

BOOST_AUTO_TEST_CASE(opens_and_migrates_a_fresh_database) {
  fresh_database fresh;
  auto db = fresh.open();
  BOOST_TEST((db->backend() == fresh.kind));
  BOOST_TEST(db->schema_version() == database::known_schema_version());
  for (const auto& table : all_tables) {
    BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM " + table) >= 0, table);
  }
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM schema_migrations") ==
             database::known_schema_version());
  if (fresh.kind == backend_kind::sqlite) {
    BOOST_TEST(fs::exists(fresh.spec.sqlite_path));
    auto pragmas = detail::with_session(*db, [](soci::session& s) {
      std::string mode;
      int foreign_keys = 0, synchronous = 0;
      s << "PRAGMA journal_mode", soci::into(mode);
      s << "PRAGMA foreign_keys", soci::into(foreign_keys);
      s << "PRAGMA synchronous", soci::into(synchronous);
      return mode + "/" + std::to_string(foreign_keys) + "/" + std::to_string(synchronous);
    });
    BOOST_TEST(pragmas == "wal/1/1");  // synchronous NORMAL is 1
  } else {
    auto settings = detail::with_session(*db, [](soci::session& s) {
      std::string charset, zone;
      s << "SELECT @@character_set_connection, @@time_zone", soci::into(charset), soci::into(zone);
      return charset + " " + zone;
    });
    BOOST_TEST(settings == "utf8mb4 +00:00");
  }
}

BOOST_AUTO_TEST_CASE(migrating_again_changes_nothing) {
  fresh_database fresh;
  auto db = fresh.open();
  auto report = db->migrate(5s);
  BOOST_TEST(report.version == database::known_schema_version());
  BOOST_TEST(report.applied == 0);
  db.reset();
  auto again = fresh.open();
  BOOST_TEST(again->schema_version() == database::known_schema_version());
  BOOST_TEST(count_rows(*again, "SELECT COUNT(*) FROM schema_migrations") ==
             database::known_schema_version());
}

BOOST_AUTO_TEST_CASE(refuses_a_schema_newer_than_this_weft) {
  fresh_database fresh;
  {
    auto db = fresh.open();
    detail::with_session(*db, [](soci::session& s) {
      s << "INSERT INTO schema_migrations (version, name, applied_at) "
           "VALUES (999, 'from the future', '2030-01-01 00:00:00')";
    });
  }
  const std::string expected = "database schema version 999 is newer than this Weft (" +
                               std::to_string(database::known_schema_version()) + "); upgrade Weft";
  for (bool migrate : {true, false}) {
    auto e = expect_storage_error([&] {
      database::open(fresh.spec, 5s, open_options{migrate, 5s});
    });
    BOOST_TEST((e.code == errc::invalid));
    BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_duplicate_key_is_a_conflict) {
  fresh_database fresh;
  auto db = fresh.open();
  auto insert = [&] {
    detail::with_session(*db, [&](soci::session& s) {
      s << "INSERT INTO settings (name, value, set_at) VALUES ('a', '1', " +
               detail::sql_now(db->backend()) + ")";
    });
  };
  insert();
  auto e = expect_storage_error(insert);
  BOOST_TEST((e.code == errc::conflict), e.what());
  // The pool is still usable afterwards.
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM settings") == 1);
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_is_unavailable_within_its_deadline) {
  database_spec spec;
  std::string where;
  if (selected_backend() == backend_kind::mariadb) {
    spec = mariadb_base();
    // A port nobody listens on: bind one, note it, close it.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    spec.port = ntohs(addr.sin_port);
    where = spec.host + ":" + std::to_string(spec.port);
  } else {
    spec.kind = backend_kind::sqlite;
    spec.sqlite_path = "/dev/null/weft/weft.db";  // a directory that cannot exist
    where = spec.sqlite_path;
  }
  const auto deadline = 1500ms;
  const auto start = steady::now();
  auto e = expect_storage_error([&] { database::open(spec, deadline); });
  const auto took = steady::now() - start;
  BOOST_TEST_MESSAGE("unreachable: "
                     << e.what() << " after "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms");
  BOOST_TEST((e.code == errc::unavailable), e.what());
  BOOST_TEST(std::string(e.what()).find(where) != std::string::npos, e.what());
  BOOST_TEST((took < deadline + 1500ms));
  BOOST_TEST(std::string(e.what()).find(spec.password.empty() ? "\x01" : spec.password) ==
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_refused_at_once_and_clearly,
                     *boost::unit_test::precondition(only_on_mariadb)) {
  auto spec = mariadb_base();
  spec.password = "not-the-password";
  const auto start = steady::now();
  auto e = expect_storage_error([&] { database::open(spec, 10s); });
  BOOST_TEST((e.code == errc::invalid), e.what());
  BOOST_TEST(std::string(e.what()).find("Access denied") != std::string::npos, e.what());
  BOOST_TEST(std::string(e.what()).find("not-the-password") == std::string::npos, e.what());
  BOOST_TEST((steady::now() - start < 3s));  // not retried until the deadline
}

BOOST_AUTO_TEST_CASE(text_that_is_not_utf8_is_corrupt,
                     *boost::unit_test::precondition(only_on_mariadb)) {
  fresh_database fresh;
  auto db = fresh.open();
  auto e = expect_storage_error([&] {
    detail::with_session(*db, [&](soci::session& s) {
      const std::string bad = "\xff\xfe not utf-8";
      s << "INSERT INTO settings (name, value, set_at) VALUES ('x', :v, UTC_TIMESTAMP(6))",
          soci::use(bad, "v");
    });
  });
  BOOST_TEST((e.code == errc::corrupt), e.what());
}

BOOST_AUTO_TEST_CASE(bulk_insert_round_trips_awkward_values) {
  fresh_database fresh;
  auto db = fresh.open();
  const bool maria = db->backend() == backend_kind::mariadb;
  detail::with_session(*db, [&](soci::session& s) {
    s << (maria ? "CREATE TABLE bulk_probe (id BIGINT PRIMARY KEY, txt LONGTEXT NULL, "
                  "bin LONGBLOB NULL, num BIGINT NULL, dbl DOUBLE NULL) DEFAULT CHARSET=utf8mb4"
                : "CREATE TABLE bulk_probe (id INTEGER PRIMARY KEY, txt TEXT NULL, bin BLOB NULL, "
                  "num INTEGER NULL, dbl REAL NULL)");
  });
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  const std::vector<std::string> texts = {
      "plain",
      "it's a 'quote' and a \"double\"",
      "back\\slash \\' \\\\",
      std::string("nul\0in the middle", 18),
      "Grüße — 日本語 🎉 \u00e9",
      ":p1 :p0 ? %s -- ; DROP TABLE bulk_probe; /* */",
      "",
      std::string(100000, 'x'),
  };
  bulk_rows rows{"bulk_probe", {"id", "txt", "bin", "num", "dbl"}, {}};
  for (std::size_t i = 0; i < 1200; ++i) {  // several MariaDB chunks
    const auto& t = texts[i % texts.size()];
    rows.rows.push_back(
        {static_cast<long long>(i), i % 11 == 5 ? sql_value(nullptr) : sql_value(t),
         sql_value(all_bytes.substr(i % 256)),
         i % 7 == 3 ? sql_value(nullptr) : sql_value(static_cast<long long>(i) * -1000000007LL),
         i % 5 == 1 ? sql_value(nullptr) : sql_value(i / 3.0)});
  }
  BOOST_TEST(bulk_insert(*db, rows) == rows.rows.size());
  detail::with_session(*db, [&](soci::session& s) {
    long long id = 0, num = 0;
    std::string txt, bin;
    double dbl = 0;
    soci::indicator txt_ind, num_ind, dbl_ind;
    soci::statement st = (s.prepare << "SELECT id, txt, bin, num, dbl FROM bulk_probe ORDER BY id",
                          soci::into(id), soci::into(txt, txt_ind), soci::into(bin),
                          soci::into(num, num_ind), soci::into(dbl, dbl_ind));
    st.execute();
    std::size_t n = 0;
    while (st.fetch()) {
      const auto& row = rows.rows[n];
      BOOST_REQUIRE_EQUAL(id, static_cast<long long>(n));
      if (row[1].index() == 0) {
        BOOST_TEST((txt_ind == soci::i_null));
      } else {
        BOOST_TEST((txt_ind == soci::i_ok));
        BOOST_TEST(txt == std::get<std::string>(row[1]), "row " << n);
      }
      BOOST_TEST(bin == std::get<std::string>(row[2]), "row " << n);
      if (row[3].index() == 0) {
        BOOST_TEST((num_ind == soci::i_null));
      } else {
        BOOST_TEST(num == std::get<long long>(row[3]));
      }
      if (row[4].index() == 0) {
        BOOST_TEST((dbl_ind == soci::i_null));
      } else {
        BOOST_TEST(dbl == std::get<double>(row[4]), boost::test_tools::tolerance(1e-12));
      }
      ++n;
    }
    BOOST_TEST(n == rows.rows.size());
  });
}

BOOST_AUTO_TEST_CASE(bulk_insert_of_ten_thousand_records_is_timed) {
  fresh_database fresh;
  auto db = fresh.open();
  bulk_rows rows{"records", {"job_id", "seq", "body"}, {}};
  for (long long i = 0; i < 10000; ++i) {
    rows.rows.push_back({1LL, i,
                         "{\"name\":\"Customer " + std::to_string(i) +
                             "\",\"street\":\"O'Brien Road 7\",\"city\":\"Zürich\",\"amount\":" +
                             std::to_string(i * 3) + "}"});
  }
  const auto start = steady::now();
  BOOST_TEST(bulk_insert(*db, rows) == 10000u);
  const auto ms =
      std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - start).count() / 1000.0;
  std::cout << "bulk_insert 10000 records on " << to_string(db->backend()) << ": " << ms << " ms"
            << std::endl;
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM records WHERE job_id = 1") == 10000);
  // Row by row for comparison (one round trip per row on MariaDB).
  const auto start2 = steady::now();
  detail::with_transaction(*db, [&](soci::session& s) {
    long long seq = 0;
    std::string body;
    soci::statement st = (s.prepare << "INSERT INTO records (job_id, seq, body) VALUES (2, :s, :b)",
                          soci::use(seq, "s"), soci::use(body, "b"));
    for (const auto& row : rows.rows) {
      seq = std::get<long long>(row[1]);
      body = std::get<std::string>(row[2]);
      st.execute(true);
    }
  });
  const auto ms2 =
      std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - start2).count() /
      1000.0;
  std::cout << "row-by-row 10000 records on " << to_string(db->backend()) << ": " << ms2 << " ms"
            << std::endl;
}

BOOST_AUTO_TEST_CASE(bulk_insert_is_all_or_nothing) {
  fresh_database fresh;
  auto db = fresh.open();
  bulk_rows rows{"records", {"job_id", "seq", "body"}, {}};
  for (long long i = 0; i < 1500; ++i) rows.rows.push_back({7LL, i, std::string("{}")});
  rows.rows.push_back({7LL, 1200LL, std::string("{\"duplicate\":true}")});  // last chunk
  auto e = expect_storage_error([&] { bulk_insert(*db, rows); });
  BOOST_TEST((e.code == errc::conflict), e.what());
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM records") == 0);
  // Shape errors are caught before touching the database.
  bulk_rows ragged{"records", {"job_id", "seq", "body"}, {{1LL, 2LL}}};
  BOOST_TEST((expect_storage_error([&] { bulk_insert(*db, ragged); }).code == errc::invalid));
  bulk_rows mixed{"records", {"job_id", "seq", "body"}, {{1LL, 1LL, "a"}, {1LL, 2.5, "b"}}};
  BOOST_TEST((expect_storage_error([&] { bulk_insert(*db, mixed); }).code == errc::invalid));
  bulk_rows injected{"records; DROP TABLE jobs", {"job_id"}, {{1LL}}};
  BOOST_TEST((expect_storage_error([&] { bulk_insert(*db, injected); }).code == errc::invalid));
}

BOOST_AUTO_TEST_CASE(a_failed_transaction_is_rolled_back) {
  fresh_database fresh;
  auto db = fresh.open();
  const auto now = detail::sql_now(db->backend());
  BOOST_CHECK_THROW(detail::with_transaction(*db,
                                             [&](soci::session& s) {
                                               s << "INSERT INTO settings (name, value, "
                                                    "set_at) VALUES ('a', '1', " +
                                                        now + ")";
                                               throw std::runtime_error("work failed");
                                             }),
                    std::runtime_error);
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM settings") == 0);
  // A driver error inside the transaction rolls back the earlier statements too.
  auto e = expect_storage_error([&] {
    detail::with_transaction(*db, [&](soci::session& s) {
      s << "INSERT INTO settings (name, value, set_at) VALUES ('b', '1', " + now + ")";
      s << "INSERT INTO settings (name, value, set_at) VALUES ('b', '2', " + now + ")";
    });
  });
  BOOST_TEST((e.code == errc::conflict), e.what());
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM settings") == 0);
  // The RAII helper rolls back unless committed.
  detail::with_session(*db, [&](soci::session& s) {
    detail::transaction tx(s, db->backend());
    s << "INSERT INTO settings (name, value, set_at) VALUES ('c', '1', " + now + ")";
  });
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM settings") == 0);
  detail::with_transaction(*db, [&](soci::session& s) {
    s << "INSERT INTO settings (name, value, set_at) VALUES ('d', '1', " + now + ")";
  });
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM settings") == 1);
}

BOOST_AUTO_TEST_CASE(the_pool_serves_several_threads) {
  fresh_database fresh;
  auto db = fresh.open();
  const auto now = detail::sql_now(db->backend());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        try {
          detail::with_transaction(*db, [&](soci::session& s) {
            const std::string name = std::to_string(t) + "/" + std::to_string(i);
            s << "INSERT INTO settings (name, value, set_at) VALUES (:n, 'v', " + now + ")",
                soci::use(name, "n");
          });
        } catch (const std::exception& e) {
          ++failures;
          std::cerr << e.what() << "\n";
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM settings") == 240);
}

BOOST_AUTO_TEST_CASE(now_is_the_database_clock_in_utc) {
  fresh_database fresh;
  auto db = fresh.open();
  auto skew = db->now() - std::chrono::system_clock::now();
  BOOST_TEST((skew < 5s && skew > -5s));
  auto t = detail::parse_timestamp("2024-02-29 23:59:58.123456");
  BOOST_TEST(detail::format_timestamp(t) == "2024-02-29 23:59:58.123456");
  BOOST_TEST(detail::format_timestamp(detail::parse_timestamp("2024-01-02 03:04:05.678")) ==
             "2024-01-02 03:04:05.678000");
  BOOST_TEST(
      (expect_storage_error([] { detail::parse_timestamp("yesterday"); }).code == errc::corrupt));
  // The lease arithmetic compares correctly on both backends.
  auto later = count_rows(*db, "SELECT CASE WHEN " + detail::sql_now_plus(db->backend(), 1500ms) +
                                   " > " + detail::sql_now(db->backend()) + " THEN 1 ELSE 0 END");
  BOOST_TEST(later == 1);
}

BOOST_AUTO_TEST_CASE(a_killed_connection_is_replaced_on_the_next_call,
                     *boost::unit_test::precondition(only_on_mariadb)) {
  fresh_database fresh;
  fresh.spec.pool_size = 1;
  auto db = fresh.open();
  auto connection_id = [&] {
    return detail::with_session(*db, [](soci::session& s) {
      long long id = 0;
      s << "SELECT CONNECTION_ID()", soci::into(id);
      return id;
    });
  };
  auto side = fresh.side_session();
  auto kill_and_wait = [&](long long id) {
    *side << "KILL " + std::to_string(id);
    wait_until(
        [&] {
          long long n = 1;
          *side << "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
                       std::to_string(id),
              soci::into(n);
          return n == 0;
        },
        10s, "connection " + std::to_string(id) + " to disappear");
  };
  const long long first = connection_id();
  kill_and_wait(first);
  const long long second = connection_id();  // the next with_session call succeeds
  BOOST_TEST(second != first);

  // Killed in the middle of a transaction: the server rolled it back, so the
  // pool reconnects and runs the whole transaction once more.
  int attempts = 0;
  detail::with_transaction(*db, [&](soci::session& s) {
    ++attempts;
    s << "INSERT INTO settings (name, value, set_at) VALUES ('k', 'v', UTC_TIMESTAMP(6))";
    if (attempts == 1) {
      long long me = 0;
      s << "SELECT CONNECTION_ID()", soci::into(me);
      kill_and_wait(me);
    }
    s << "UPDATE settings SET value = 'w' WHERE name = 'k'";
  });
  BOOST_TEST(attempts == 2);
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM settings WHERE name = 'k' AND value = 'w'") ==
             1);

  // Killed in autocommit work after a statement: not re-run, reported unavailable.
  auto e = expect_storage_error([&] {
    detail::with_session(*db, [&](soci::session& s) {
      long long me = 0;
      s << "SELECT CONNECTION_ID()", soci::into(me);
      kill_and_wait(me);
      s << "SELECT 1", soci::into(me);
    });
  });
  BOOST_TEST((e.code == errc::unavailable), e.what());
  BOOST_TEST(connection_id() > 0);
}

// A hung node (SIGSTOP inside a transaction) holds its row locks; the node that declares
// it lost, or takes its master lease over, ends its registered sessions and the locks are
// free at once. The hung session's idle-transaction timeout is switched off here, so only
// end_sessions_of can free the row.
BOOST_AUTO_TEST_CASE(the_sessions_of_a_hung_node_are_ended_and_its_locks_freed,
                     *boost::unit_test::precondition(only_on_mariadb)) {
  fresh_database fresh;
  auto master_spec = fresh.spec;
  master_spec.session_owner = "master";
  auto master = database::open(master_spec, 10s);  // migrates
  auto hung_spec = fresh.spec;
  hung_spec.session_owner = "ext1";
  hung_spec.pool_size = 1;
  auto hung = database::open(hung_spec, 10s);
  detail::with_session(*master, [](soci::session& s) {
    s << "INSERT INTO settings (name, value, set_at) VALUES ('k', 'v', UTC_TIMESTAMP(6))";
  });
  master_store lease(*master);
  auto token = lease.take_over("master", 10s, "test");
  BOOST_REQUIRE(token);
  const write_fence fence{"master", *token};

  std::atomic<bool> locked{false}, woken{false};
  std::atomic<int> hung_error{-1};
  long long hung_id = 0;
  std::thread frozen([&] {
    try {
      detail::with_session(*hung, [&](soci::session& s) {
        s << "SET SESSION idle_transaction_timeout = 0";
        s << "SELECT CONNECTION_ID()", soci::into(hung_id);
        s << "START TRANSACTION";
        s << "UPDATE settings SET value = 'hung' WHERE name = 'k'";
        locked = true;
        while (!woken) std::this_thread::sleep_for(10ms);  // frozen: says nothing
        s << "COMMIT";
      });
      hung_error = 0;
    } catch (const storage_error& e) {
      hung_error = static_cast<int>(e.code);
    }
  });
  wait_until([&] { return locked.load(); }, 10s, "the hung session to lock the row");
  BOOST_TEST(count_rows(*master,
                        "SELECT COUNT(*) FROM db_sessions WHERE node = 'ext1' AND "
                        "connection_id = " +
                            std::to_string(hung_id)) == 1);

  // A master that lost the lease ends nobody's sessions.
  auto stale = expect_storage_error([&] { lease.end_sessions_of("ext1", {"master", *token - 1}); });
  BOOST_TEST((stale.code == errc::fenced), stale.what());
  BOOST_TEST(lease.end_sessions_of("ext1", fence) == 1);
  wait_until(
      [&] {
        return count_rows(*master,
                          "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                          "WHERE ID = " +
                              std::to_string(hung_id)) == 0;
      },
      10s, "the hung session to be gone");
  // The row is free: an update that waits at most 1 s for its lock goes through.
  detail::with_session(*master, [](soci::session& s) {
    s << "SET SESSION innodb_lock_wait_timeout = 1";
    s << "UPDATE settings SET value = 'redone' WHERE name = 'k'";
    s << "SET SESSION innodb_lock_wait_timeout = DEFAULT";
  });
  woken = true;
  frozen.join();
  // Its commit failed (nothing it did is kept), and it may try again on a new session.
  BOOST_TEST(hung_error.load() == static_cast<int>(errc::unavailable));
  BOOST_TEST(count_rows(*master, "SELECT COUNT(*) FROM settings WHERE value = 'redone'") == 1);
  BOOST_TEST(count_rows(*master, "SELECT COUNT(*) FROM db_sessions WHERE node = 'ext1'") == 0);
  BOOST_TEST(lease.end_sessions_of("ext1", fence) == 0);  // nothing left to end

  // Woken, the node reconnects and registers its new session; its work goes on.
  BOOST_TEST(count_rows(*hung, "SELECT COUNT(*) FROM settings") == 1);
  BOOST_TEST(count_rows(*master, "SELECT COUNT(*) FROM db_sessions WHERE node = 'ext1'") == 1);
  BOOST_TEST(count_rows(*master, "SELECT COUNT(*) FROM db_sessions WHERE node = 'nobody'") == 0);
  BOOST_TEST(lease.end_sessions_of("nobody", fence) == 0);
}

BOOST_AUTO_TEST_CASE(several_processes_migrate_one_fresh_database_at_the_same_moment) {
  fresh_database fresh;
  constexpr int processes = 6;
  int go[2], ready[2];
  BOOST_REQUIRE(::pipe(go) == 0);
  BOOST_REQUIRE(::pipe(ready) == 0);
  const fs::path out_dir =
      fs::path(WEFT_BINARY_DIR) / "tests" / "storage-tmp" / ("probe_" + std::to_string(::getpid()));
  fs::create_directories(out_dir);
  std::vector<pid_t> pids;
  for (int i = 0; i < processes; ++i) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out = (out_dir / ("probe" + std::to_string(i) + ".out")).string();
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addclose(&actions, go[1]);  // EOF only when the test closes it
    posix_spawn_file_actions_addclose(&actions, ready[0]);
    std::vector<std::string> args = {WEFT_MIGRATE_PROBE,       "--ready-fd",
                                     std::to_string(ready[1]), "--go-fd",
                                     std::to_string(go[0]),    fresh.url};
    if (!fresh.password_file.empty()) args.push_back(fresh.password_file);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    BOOST_REQUIRE(posix_spawn(&pid, WEFT_MIGRATE_PROBE, &actions, nullptr, argv.data(), environ) ==
                  0);
    posix_spawn_file_actions_destroy(&actions);
    pids.push_back(pid);
  }
  ::close(go[0]);
  ::close(ready[1]);
  // Release them together only after every one has connected: each opens the
  // database, reports ready, then blocks on `go` until the test closes it.
  int connected = 0;
  const auto ready_deadline = steady::now() + 60s;
  while (connected < processes && steady::now() < ready_deadline) {
    pollfd p{ready[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c;
    if (::read(ready[0], &c, 1) != 1) break;  // every probe has exited or reported
    ++connected;
  }
  ::close(ready[0]);
  BOOST_TEST(connected == processes);
  BOOST_TEST_MESSAGE(connected << " probes connected; releasing them at once");
  ::close(go[1]);
  std::vector<int> status(processes, -1);
  const auto deadline = steady::now() + 90s;
  int running = processes;
  while (running > 0 && steady::now() < deadline) {
    for (int i = 0; i < processes; ++i) {
      if (status[i] != -1) continue;
      int st = 0;
      if (::waitpid(pids[i], &st, WNOHANG) == pids[i]) {
        status[i] = st;
        --running;
      }
    }
    if (running > 0) std::this_thread::sleep_for(10ms);
  }
  for (int i = 0; i < processes; ++i) {
    if (status[i] == -1) {
      ::kill(pids[i], SIGKILL);
      ::waitpid(pids[i], nullptr, 0);
    }
  }
  BOOST_REQUIRE_MESSAGE(running == 0, running << " probes did not finish within 90 s");
  int applied_total = 0;
  for (int i = 0; i < processes; ++i) {
    std::ifstream in(out_dir / ("probe" + std::to_string(i) + ".out"));
    std::stringstream text;
    text << in.rdbuf();
    BOOST_TEST_MESSAGE("probe " << i << ": " << text.str());
    BOOST_TEST((WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0), text.str());
    std::string word1, word2;
    int version = -1, applied = -1;
    text >> word1 >> version >> word2 >> applied;
    BOOST_TEST(version == database::known_schema_version(), text.str());
    applied_total += applied;
  }
  fs::remove_all(out_dir);
  // Every migration was applied by exactly one process.
  BOOST_TEST(applied_total == database::known_schema_version());
  auto db = database::open(fresh.spec, 10s, open_options{false, {}});
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM schema_migrations") ==
             database::known_schema_version());
  BOOST_TEST(count_rows(*db, "SELECT COUNT(DISTINCT version) FROM schema_migrations") ==
             database::known_schema_version());
  BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM schema_migration_lease WHERE holder = ''") == 1);
  for (const auto& table : all_tables) {
    BOOST_TEST(count_rows(*db, "SELECT COUNT(*) FROM " + table) >= 0, table);
  }
}

BOOST_AUTO_TEST_CASE(a_migration_lease_left_by_a_dead_process_is_taken_over_when_it_expires) {
  fresh_database fresh;
  auto db = database::open(fresh.spec, 10s, open_options{false, {}});  // bootstraps only
  BOOST_TEST(db->schema_version() == 0);
  const auto kind = db->backend();
  auto hold_lease = [&](std::chrono::milliseconds for_how_long) {
    detail::with_session(*db, [&](soci::session& s) {
      s << "UPDATE schema_migration_lease SET holder = 'dead-host:1:1', lock_until = " +
               detail::sql_now_plus(kind, for_how_long) + " WHERE id = 1";
    });
  };
  hold_lease(1h);
  auto e = expect_storage_error([&] { db->migrate(300ms); });
  BOOST_TEST((e.code == errc::unavailable), e.what());
  BOOST_TEST(std::string(e.what()).find("dead-host:1:1") != std::string::npos, e.what());
  BOOST_TEST(db->schema_version() == 0);

  hold_lease(800ms);
  auto report = db->migrate(20s);
  BOOST_TEST(report.applied == database::known_schema_version());
  BOOST_TEST(report.version == database::known_schema_version());
}
