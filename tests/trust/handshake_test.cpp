// The cluster secret's handshake without actors (actors/trust/handshake.hpp):
// proofs that cannot be reflected, the checks of a hello's fields, and the
// pending-challenge table that a flood cannot fill against legitimate peers.
#define BOOST_TEST_MODULE trust_handshake
#include "actors/trust/handshake.hpp"

#include <boost/test/unit_test.hpp>

#include "actors/trust/auth.hpp"

using namespace weft::trust;
using clock_type = handshake_table::clock;

namespace {

const std::string secret = "handshake-test-secret-0123456789";

handshake_fields fields(const std::string& server, const std::string& role, const std::string& name,
                        const std::string& cn, const std::string& sn) {
  return handshake_fields{"prod", server, role, name, cn, sn};
}

/// A client's whole handshake against `server`; returns the server's verdict.
server_handshake::verdict run_client(server_handshake& server, const std::string& server_name,
                                     const std::string& peer, const std::string& role,
                                     const std::string& name, const std::string& key,
                                     clock_type::time_point now) {
  auto cn = make_nonce();
  BOOST_REQUIRE(server.check_hello(role, name, "1.0", cn).empty());
  auto c = server.open(peer, role, name, cn, now);
  auto f = fields(server_name, role, name, cn, c.server_nonce);
  BOOST_REQUIRE(proof_valid(proof_side::server, key, f, c.server_proof));
  return server.verify(peer, c.server_nonce, handshake_proof(proof_side::client, key, f), now);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(proofs)

BOOST_AUTO_TEST_CASE(a_server_proof_never_verifies_as_a_client_proof) {
  // For any role and name, and even with the nonces swapped, what a server
  // signs is not what a server expects from a client.
  for (const char* role : {"client", "node"})
    for (const char* name : {"ext1", "master", "shell", ""}) {
      auto a = make_nonce(), b = make_nonce();
      for (auto [cn, sn] : {std::pair{a, b}, std::pair{b, a}, std::pair{a, a}}) {
        auto f = fields("ext1", role, name, cn, sn);
        auto server = handshake_proof(proof_side::server, secret, f);
        BOOST_TEST(!proof_valid(proof_side::client, secret, f, server));
        BOOST_TEST(proof_valid(proof_side::server, secret, f, server));
        auto client = handshake_proof(proof_side::client, secret, f);
        BOOST_TEST(!proof_valid(proof_side::server, secret, f, client));
      }
    }
}

BOOST_AUTO_TEST_CASE(every_field_is_bound_into_the_proof) {
  auto f = fields("m", "node", "ext1", make_nonce(), make_nonce());
  auto p = handshake_proof(proof_side::client, secret, f);
  auto changed = [&](auto mutate) {
    auto g = f;
    mutate(g);
    return !proof_valid(proof_side::client, secret, g, p);
  };
  BOOST_TEST(changed([](handshake_fields& g) { g.cluster = "other"; }));
  BOOST_TEST(changed([](handshake_fields& g) { g.server_name = "ext1"; }));
  BOOST_TEST(changed([](handshake_fields& g) { g.role = "client"; }));
  BOOST_TEST(changed([](handshake_fields& g) { g.peer_name = "ext2"; }));
  BOOST_TEST(changed([](handshake_fields& g) { g.client_nonce = make_nonce(); }));
  BOOST_TEST(changed([](handshake_fields& g) { g.server_nonce = make_nonce(); }));
  BOOST_TEST(!proof_valid(proof_side::client, "another-secret-0123456789", f, p));
}

BOOST_AUTO_TEST_CASE(the_reflection_attack_fails) {
  // The relay of issue 11: hello to the master as extension ext1, then ask
  // ext1's own gateway (any role it accepts) to sign the master's nonce.
  server_handshake master(secret, "prod", "master", "1.0");
  server_handshake ext1(secret, "prod", "ext1", "1.0");
  auto now = clock_type::now();
  auto relay_nonce = make_nonce();
  auto to_master = master.open("relay", "node", "ext1", relay_nonce, now);
  for (const char* role : {"client", "node"})
    for (const char* name : {"ext1", "master", "x"}) {
      // ext1 answers a hello whose client nonce is the master's nonce.
      auto signed_by_ext1 = ext1.open("relay", role, name, to_master.server_nonce, now);
      // Forwarded as the relay's proof: never accepted. (A fresh challenge per
      // try: a refused auth uses the challenge up.)
      auto fresh = master.open("relay", "node", "ext1", relay_nonce, now);
      auto v = master.verify("relay", fresh.server_nonce, signed_by_ext1.server_proof, now);
      BOOST_TEST(!v.ok);
      v = master.verify("relay", to_master.server_nonce, signed_by_ext1.server_proof, now);
      BOOST_TEST(!v.ok);
      to_master = master.open("relay", "node", "ext1", relay_nonce, now);
    }
}

BOOST_AUTO_TEST_CASE(the_same_relay_worked_against_the_first_scheme) {
  // The first scheme, kept here only to show what the relay exploited: one
  // label for both directions, and only the other side's nonce signed.
  auto old_hmac = [](const std::string& role, const std::string& name, const std::string& n) {
    return hmac_sha256_hex(secret, "weft-auth\nprod\n" + role + "\n" + name + "\n" + n);
  };
  // A node answered a hello with HMAC over ("node", its own name, the client's nonce)...
  auto old_server_answer = [&](const std::string& own_name, const std::string& client_nonce) {
    return old_hmac("node", own_name, client_nonce);
  };
  // ...and expected from a client HMAC over (its role, its name, the node's nonce).
  auto old_expected_from = [&](const std::string& role, const std::string& name,
                               const std::string& server_nonce) {
    return old_hmac(role, name, server_nonce);
  };
  auto master_nonce = make_nonce();
  // So ext1's answer to a hello carrying the master's nonce was the proof the
  // master expected from extension ext1.
  BOOST_TEST(proofs_equal(old_server_answer("ext1", master_nonce),
                          old_expected_from("node", "ext1", master_nonce)));
  // Under the new scheme the two differ for every role and name ext1 could be asked with.
  for (const char* role : {"client", "node"})
    for (const char* name : {"ext1", "relay"}) {
      auto ext_fields = fields("ext1", role, name, master_nonce, make_nonce());
      auto expected_by_master = fields("master", "node", "ext1", make_nonce(), master_nonce);
      auto from_ext1 = handshake_proof(proof_side::server, secret, ext_fields);
      BOOST_TEST(!proof_valid(proof_side::client, secret, expected_by_master, from_ext1));
    }
}

BOOST_AUTO_TEST_CASE(a_client_with_the_secret_is_accepted_once) {
  server_handshake node(secret, "prod", "ext1", "1.0");
  auto now = clock_type::now();
  auto v = run_client(node, "ext1", "peer-a", "client", "shell", secret, now);
  BOOST_TEST(v.ok, v.reason);
  BOOST_TEST(v.who.name == "shell");
  BOOST_TEST(v.who.role == "client");
  BOOST_TEST(node.table().size() == 0u);
  // A wrong secret is refused, and the challenge is used up either way.
  auto cn = make_nonce();
  auto c = node.open("peer-a", "client", "shell", cn, now);
  auto f = fields("ext1", "client", "shell", cn, c.server_nonce);
  auto wrong = handshake_proof(proof_side::client, "not-the-secret-0123456789", f);
  v = node.verify("peer-a", c.server_nonce, wrong, now);
  BOOST_TEST(!v.ok);
  BOOST_TEST(v.reason.find("authentication failed") != std::string::npos);
  v = node.verify("peer-a", c.server_nonce, handshake_proof(proof_side::client, secret, f), now);
  BOOST_TEST(!v.ok);
  BOOST_TEST(v.reason == "unknown or expired challenge");
}

BOOST_AUTO_TEST_CASE(a_challenge_is_only_for_the_peer_it_was_given_to) {
  server_handshake node(secret, "prod", "m", "1.0");
  auto now = clock_type::now();
  auto cn = make_nonce();
  auto c = node.open("peer-a", "client", "shell", cn, now);
  auto f = fields("m", "client", "shell", cn, c.server_nonce);
  auto v =
      node.verify("peer-b", c.server_nonce, handshake_proof(proof_side::client, secret, f), now);
  BOOST_TEST(!v.ok);
}

BOOST_AUTO_TEST_CASE(a_challenge_expires) {
  handshake_limits limits;
  limits.lifetime = std::chrono::seconds(30);
  server_handshake node(secret, "prod", "m", "1.0", limits);
  auto now = clock_type::now();
  auto cn = make_nonce();
  auto c = node.open("p", "client", "shell", cn, now);
  auto f = fields("m", "client", "shell", cn, c.server_nonce);
  auto v = node.verify("p", c.server_nonce, handshake_proof(proof_side::client, secret, f),
                       now + std::chrono::seconds(31));
  BOOST_TEST(!v.ok);
  BOOST_TEST(v.reason == "unknown or expired challenge");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hello_fields)

BOOST_AUTO_TEST_CASE(refuses_fields_past_their_limits_without_echoing_them) {
  handshake_limits l;
  auto nonce = make_nonce();
  BOOST_TEST(hello_problem(l, "client", "shell", "1.0", nonce).empty());
  auto long_name = std::string(4u << 20, '\x1b');
  auto p = hello_problem(l, "client", long_name, "1.0", nonce);
  BOOST_TEST(p == "bad hello: the name has 4194304 bytes, at most 128 are allowed");
  BOOST_TEST(hello_problem(l, "client", std::string(128, 'n'), "1.0", nonce).empty());
  BOOST_TEST(!hello_problem(l, std::string(17, 'r'), "n", "1.0", nonce).empty());
  BOOST_TEST(!hello_problem(l, "client", "n", std::string(65, 'v'), nonce).empty());
  BOOST_TEST(!hello_problem(l, "client", "", "1.0", nonce).empty());
}

BOOST_AUTO_TEST_CASE(a_nonce_is_exactly_64_lowercase_hex_digits) {
  handshake_limits l;
  BOOST_TEST(is_nonce(make_nonce()));
  BOOST_TEST(!is_nonce(std::string(63, 'a')));
  BOOST_TEST(!is_nonce(std::string(65, 'a')));
  BOOST_TEST(!is_nonce(std::string(64, 'A')));
  BOOST_TEST(!is_nonce(std::string(63, 'a') + "g"));
  BOOST_TEST(!is_nonce(std::string(32, 'a')));  // the old check took 32 characters
  BOOST_TEST(hello_problem(l, "client", "n", "1.0", std::string(32, 'a')) ==
             "bad hello: the nonce is not 64 lowercase hex digits");
}

BOOST_AUTO_TEST_CASE(a_version_mismatch_names_both_versions) {
  server_handshake node(secret, "prod", "m", "1.0");
  BOOST_TEST(node.check_hello("client", "s", "0.9", make_nonce()) ==
             "version mismatch: node 'm' runs Weft 1.0, you run Weft 0.9");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pending_table)

BOOST_AUTO_TEST_CASE(a_peer_past_its_cap_loses_its_own_oldest_challenge) {
  handshake_limits l;
  l.per_peer = 4;
  l.total = 100;
  handshake_table t(l);
  auto now = clock_type::now();
  std::vector<std::string> nonces;
  for (int i = 0; i < 10; ++i) {
    nonces.push_back(make_nonce());
    t.add(nonces.back(), {"flooder", "client", "x", make_nonce(), {}}, now);
  }
  auto legit = make_nonce();
  t.add(legit, {"legit", "node", "ext1", make_nonce(), {}}, now);
  BOOST_TEST(t.size_of("flooder") == 4u);
  BOOST_TEST(t.size() == 5u);
  BOOST_TEST(t.evicted() == 6u);
  BOOST_TEST(!t.take(nonces[0], now));   // evicted
  BOOST_TEST(!!t.take(nonces[9], now));  // the newest are kept
  BOOST_TEST(!!t.take(legit, now));
  BOOST_TEST(!t.take(legit, now), "a challenge is taken once");
}

BOOST_AUTO_TEST_CASE(a_full_table_evicts_the_oldest_and_never_refuses) {
  handshake_limits l;
  l.per_peer = 16;
  l.total = 100;
  handshake_table t(l);
  auto now = clock_type::now();
  // Many peers (forged node ids) fill the table...
  for (int i = 0; i < 1000; ++i)
    t.add(make_nonce(), {"p" + std::to_string(i), "client", "x", make_nonce(), {}}, now);
  BOOST_TEST(t.size() == 100u);
  // ...and a legitimate hello still gets a challenge that it can take.
  auto legit = make_nonce();
  t.add(legit, {"legit", "node", "ext1", make_nonce(), {}}, now);
  BOOST_TEST(t.size() == 100u);
  for (int i = 0; i < 99; ++i)  // even after another 99 hellos of the flood
    t.add(make_nonce(), {"q" + std::to_string(i), "client", "x", make_nonce(), {}}, now);
  auto p = t.take(legit, now);
  BOOST_REQUIRE(!!p);
  BOOST_TEST(p->name == "ext1");
}

BOOST_AUTO_TEST_CASE(ten_thousand_and_one_hellos_from_one_peer_do_not_lock_others_out) {
  server_handshake node(secret, "prod", "m", "1.0");  // default limits
  auto now = clock_type::now();
  for (int i = 0; i < 10001; ++i) node.open("flooder", "client", "x", make_nonce(), now);
  BOOST_TEST(node.table().size_of("flooder") <= handshake_limits{}.per_peer);
  auto v = run_client(node, "m", "ext-node-id", "node", "ext1", secret, now);
  BOOST_TEST(v.ok, v.reason);
  v = run_client(node, "m", "shell-node-id", "client", "shell", secret, now);
  BOOST_TEST(v.ok, v.reason);
}

BOOST_AUTO_TEST_CASE(expired_challenges_leave_the_table) {
  handshake_limits l;
  l.lifetime = std::chrono::seconds(30);
  handshake_table t(l);
  auto now = clock_type::now();
  for (int i = 0; i < 10; ++i) t.add(make_nonce(), {"p", "client", "x", make_nonce(), {}}, now);
  t.add(make_nonce(), {"q", "client", "x", make_nonce(), {}}, now + std::chrono::seconds(31));
  BOOST_TEST(t.size() == 1u);
  BOOST_TEST(t.size_of("p") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// Found by fuzz_gateway: take() moved the entry out before erasing it, so the
// peer's queue kept an iterator to the erased entry; the peer's next hellos
// past its cap then erased it again (use after free). Every taken challenge
// must leave its peer's count.
BOOST_AUTO_TEST_CASE(a_taken_challenge_leaves_its_peers_count) {
  handshake_limits l;
  l.per_peer = 2;
  handshake_table t(l);
  auto now = clock_type::now();
  auto first = make_nonce();
  t.add(first, {"peer", "node", "ext1", make_nonce(), {}}, now);
  BOOST_TEST(!!t.take(first, now));
  BOOST_TEST(t.size_of("peer") == 0u);
  BOOST_TEST(t.size() == 0u);
  for (int i = 0; i < 5; ++i) t.add(make_nonce(), {"peer", "node", "ext1", make_nonce(), {}}, now);
  BOOST_TEST(t.size_of("peer") == 2u);
  BOOST_TEST(t.size() == 2u);
}
