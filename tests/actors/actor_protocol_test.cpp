// The actors' protocol in one process: Weft's error category across the actor
// boundary, and the messages that used to end an actor (issue 11): an engine
// that exits normally, malformed job options sent to the scheduler, a submit
// spec with a wrong-typed field. The scheduler runs against a fake store
// (scheduler.hpp's seam); the session against an embedded SQLite database.

#define BOOST_TEST_MODULE actor_protocol
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "actors/actors.hpp"
#include "actors/admission.hpp"
#include "actors/protocol.hpp"
#include "actors/session.hpp"
#include "storage/database.hpp"
#include "storage/storage_error.hpp"

using namespace std::chrono_literals;
using namespace weft::actors;
namespace fs = std::filesystem;

namespace {

weft::config::settings one_master(const fs::path& root) {
  weft::config::settings s;
  weft::config::node_settings n;
  n.name = "master";
  n.role = weft::config::node_role::master;
  s.nodes.push_back(n);
  s.self = 0;
  s.files.root = root.string();
  return s;
}

job_rows_ptr no_jobs() { return std::make_shared<const std::vector<weft::storage::job_row>>(); }

/// A store worker that knows no jobs (store_worker.hpp's protocol).
caf::behavior empty_store(caf::event_based_actor*) {
  return {
      [](load_atom) { return no_jobs(); },
      [](adopt_atom) { return no_jobs(); },
      [](status_atom, int64_t job) { return "{\"id\":" + std::to_string(job) + "}"; },
      [](register_atom, const std::string&, const std::string&, const std::string&,
         const std::string&) {},
  };
}

/// An actor system with Weft's errors registered, a scratch directory and the
/// settings of a one-node cluster.
struct fixture {
  fs::path root = fs::temp_directory_path() / ("weft_actor_protocol_" + std::to_string(::getpid()));
  weft::config::settings settings = one_master(root);
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  node_context ctx;
  std::vector<caf::actor> spawned;

  fixture() {
    fs::remove_all(root);
    fs::create_directories(root);
    register_weft_errors(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    ctx.settings = &settings;
  }
  ~fixture() {
    ctx.stopping->store(true);  // the actors obey exits from outside only when the node stops
    for (auto& a : spawned) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sys.reset();
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  caf::actor keep(caf::actor a) {
    spawned.push_back(a);
    return a;
  }
  /// (inspect, what) to the scheduler: its JSON, or the error's text.
  std::string inspect(const caf::actor& scheduler, const std::string& what) {
    caf::scoped_actor self{*sys};
    std::string out;
    self->request(scheduler, 5s, inspect_atom::value, what)
        .receive([&](const std::string& json) { out = json; },
                 [&](const caf::error& err) { out = "error: " + error_text(*sys, err); });
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(actor_protocol, fixture)

BOOST_AUTO_TEST_CASE(error_text_of_an_empty_error_is_no_error) {
  BOOST_TEST(error_text(*sys, caf::error{}) == "no error");
  BOOST_TEST(!weft_error_of(caf::error{}));
}

BOOST_AUTO_TEST_CASE(a_storage_errors_kind_survives_the_actor_boundary) {
  auto failing = keep(sys->spawn([]() -> caf::behavior {
    return {[](status_atom, int64_t) -> caf::result<std::string> {
      return from_storage(
          weft::storage::storage_error(weft::storage::errc::unavailable, "the database is away"));
    }};
  }));
  caf::scoped_actor self{*sys};
  caf::error got;
  self->request(failing, 5s, status_atom::value, int64_t{1})
      .receive([](const std::string&) { BOOST_FAIL("expected an error"); },
               [&](const caf::error& err) { got = err; });
  BOOST_TEST((weft_error_of(got) == weft_error::unavailable));
  BOOST_TEST(error_text(*sys, got) == "the database is away");
  BOOST_TEST(sys->render(got).find("unavailable") != std::string::npos);
}

namespace {
struct thrower_state {
  int cancels = 0;
  static inline const char* name = "thrower";
};
/// Answers (status, N) with "job N" (N = 1 throws; N = 0: how many cancels it
/// handled); (cancel, N) counts, then throws.
caf::behavior thrower(caf::stateful_actor<thrower_state>* self, node_context ctx) {
  return trusted_behavior(
      self, ctx, "thrower",
      [self](status_atom, int64_t job) -> caf::result<std::string> {
        if (job == 1) throw std::runtime_error("job 1 breaks the handler");
        if (job == 0) return "cancels " + std::to_string(self->state.cancels);
        return std::string{"job "} + std::to_string(job);
      },
      [self](cancel_atom, int64_t) {
        ++self->state.cancels;
        throw std::logic_error("no answer expected");
      });
}
}  // namespace

// A handler that throws answers with an error and the actor goes on (CAF would
// end an actor whose handler lets an exception escape: admission.hpp).
BOOST_AUTO_TEST_CASE(a_handler_that_throws_does_not_end_its_actor) {
  auto a = keep(spawn_hardened(*sys, false, thrower, ctx));
  caf::scoped_actor self{*sys};
  std::string got;
  self->request(a, 5s, status_atom::value, int64_t{1})
      .receive([&](const std::string& s) { got = s; },
               [&](const caf::error& err) { got = "error: " + error_text(*sys, err); });
  BOOST_TEST(got.find("job 1 breaks the handler") != std::string::npos, got);
  self->send(a, cancel_atom::value, int64_t{1});
  self->request(a, 5s, status_atom::value, int64_t{2})
      .receive([&](const std::string& s) { got = s; },
               [&](const caf::error& err) { got = "error: " + error_text(*sys, err); });
  BOOST_TEST(got == "job 2");
}

// An anonymous message (what a stranger's BASP message without a sender looks
// like) gets no answer: the request times out instead.
BOOST_AUTO_TEST_CASE(an_anonymous_message_is_dropped_without_an_answer) {
  auto a = keep(spawn_hardened(*sys, false, thrower, ctx));
  caf::scoped_actor self{*sys};
  auto cancels = [&] {
    std::string got;
    self->request(a, 5s, status_atom::value, int64_t{0})
        .receive([&](const std::string& s) { got = s; },
                 [&](const caf::error& err) { got = "error: " + error_text(*sys, err); });
    return got;
  };
  caf::anon_send(a, cancel_atom::value, int64_t{1});
  BOOST_TEST(cancels() == "cancels 0");
  self->send(a, cancel_atom::value, int64_t{1});  // from this node's actor: handled
  BOOST_TEST(cancels() == "cancels 1");
}

BOOST_AUTO_TEST_CASE(a_weft_error_round_trips_through_the_wire_format) {
  auto original = from_storage(
      weft::storage::storage_error(weft::storage::errc::corrupt, "row 7 is not UTF-8"));
  std::vector<char> buf;
  caf::binary_serializer out{*sys, buf};
  BOOST_REQUIRE(!out(original));
  caf::error copy;
  caf::binary_deserializer in{*sys, buf};
  BOOST_REQUIRE(!in(copy));
  BOOST_TEST((weft_error_of(copy) == weft_error::corrupt));
  BOOST_TEST(error_text(*sys, copy) == "row 7 is not UTF-8");
}

BOOST_AUTO_TEST_CASE(the_scheduler_survives_an_engine_that_exits_normally) {
  auto store = keep(sys->spawn(empty_store));
  auto scheduler = keep(spawn_scheduler(*sys, ctx, store));
  auto engine = sys->spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {[=](tick_atom) { self->quit(); }};  // a normal exit: an empty error
  });
  caf::scoped_actor self{*sys};
  bool registered = false;
  self->request(scheduler, 5s, register_atom::value, std::string{"master/merge/0"},
                engine_type_atom(engine_type::merge), std::string{"master"}, true, engine)
      .receive([&](bool ok) { registered = ok; },
               [&](const caf::error& err) { BOOST_FAIL(error_text(*sys, err)); });
  BOOST_REQUIRE(registered);
  BOOST_TEST(nlohmann::json::parse(inspect(scheduler, "engines")).size() == 1u);
  self->send(engine, tick_atom::value);
  // Wait on state: the scheduler forgets the engine when its down message comes.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string engines;
  do {
    engines = inspect(scheduler, "engines");
  } while (engines != "[]" && engines.rfind("error", 0) != 0 &&
           std::chrono::steady_clock::now() < deadline);
  BOOST_TEST(engines == "[]");
}

BOOST_AUTO_TEST_CASE(the_scheduler_survives_malformed_job_options) {
  auto store = keep(sys->spawn(empty_store));
  auto scheduler = keep(spawn_scheduler(*sys, ctx, store));
  caf::scoped_actor self{*sys};
  self->send(scheduler, submitted_atom::value, int64_t{7}, std::string{"{\"name\":1}"}, int64_t{0});
  // Messages from one sender arrive in order: this answer comes after it.
  BOOST_TEST(inspect(scheduler, "jobs") == "{}");
  BOOST_TEST(inspect(scheduler, "nothing").find("nothing to inspect") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_session_refuses_a_wrong_typed_spec_field_and_keeps_serving) {
  weft::storage::database_spec spec;
  spec.kind = weft::storage::backend_kind::sqlite;
  spec.sqlite_path = (root / "weft.db").string();
  auto db = weft::storage::database::open(spec, 10s);
  ctx.db = db.get();
  caf::scoped_actor self{*sys};
  auto session = spawn_session(*sys, ctx, caf::actor{}, caf::actor{},
                               caf::actor_cast<caf::actor>(self), "tester");
  auto submit = [&](const std::string& spec_json) {
    std::string out;
    self->request(session, 5s, submit_atom::value, spec_json)
        .receive([&](int64_t id) { out = "job " + std::to_string(id); },
                 [&](const caf::error& err) { out = error_text(*sys, err); });
    return out;
  };
  BOOST_TEST(submit("{\"data\":1}") ==
             "refused: submit: field 'data' must be a string, not number");
  BOOST_TEST(submit("{\"data\":\"d.csv\",\"template\":\"t.mustache\",\"split_every\":\"x\"}") ==
             "refused: submit: field 'split_every' must be an integer, not string");
  BOOST_TEST(submit("{\"data\":\"d.csv\"}") == "refused: submit: no data file was uploaded");
  caf::anon_send_exit(session, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
