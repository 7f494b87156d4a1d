#include "runtime/client.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "actors/actors.hpp"
#include "actors/protocol.hpp"
#include "actors/transport.hpp"
#include "actors/trust/auth.hpp"
#include "actors/trust/handshake.hpp"
#include "runtime/exit_code.hpp"
#include "weft/version.hpp"

namespace weft::runtime {

using namespace actors;

struct client::impl {
  client_options options;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  caf::actor session;
  std::string cluster;
  std::string node;
  std::string address;

  explicit impl(const client_options& o) : options(o) {
    actors::configure_transport(cfg, options.tls);
    actors::register_weft_errors(cfg);
    cfg.set("logger.console", caf::atom("none"));
    cfg.set("scheduler.max-threads", size_t{2});
    // Nodes close connections that stay silent for node_timeout (CAF's
    // middleman heartbeat); a client waiting for a job must not look dead.
    cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(100)});
  }

  ~impl() {
    if (session) caf::anon_send_exit(session, caf::exit_reason::user_shutdown);
    self.reset();
  }

  [[noreturn]] void raise(const caf::error& err, const std::string& what,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    auto text = error_text(*sys, err);
    if (timeout.count() == 0) timeout = options.timeout;
    if (err == caf::sec::request_timeout)
      throw client_error(exit_failure, what + ": node " + address + " did not answer within " +
                                           std::to_string(timeout.count()) + " ms");
    int code = text.rfind("refused", 0) == 0 ? exit_usage : exit_failure;
    throw client_error(code, what + ": " + text);
  }

  /// Sends a request to the session and waits for one reply of type T.
  template <class T, class... Ts>
  T ask(const std::string& what, Ts&&... xs) {
    return ask_within<T>(options.timeout, what, std::forward<Ts>(xs)...);
  }

  template <class T, class... Ts>
  T ask_within(std::chrono::milliseconds timeout, const std::string& what, Ts&&... xs) {
    std::optional<T> out;
    (*self)
        ->request(session, timeout, std::forward<Ts>(xs)...)
        .receive([&](T& x) { out = std::move(x); },
                 [&](caf::error& err) { raise(err, what, timeout); });
    return std::move(*out);
  }
};

client::client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
client::~client() = default;

const std::string& client::cluster() const { return impl_->cluster; }
const std::string& client::node() const { return impl_->node; }
const std::string& client::address() const { return impl_->address; }

namespace {

/// "node 'm2' is not the master; join HOST:PORT" (a standby candidate's or an extension's
/// refusal of a master-client): HOST:PORT, or "".
std::string join_hint(const std::string& text) {
  static const std::string marker = "is not the master; join ";
  auto at = text.find(marker);
  if (at == std::string::npos) return {};
  auto address = text.substr(at + marker.size());
  auto end = address.find_first_of(" \n\"'");
  if (end != std::string::npos) address.resize(end);
  return address;
}

}  // namespace

std::unique_ptr<client> client::connect(const client_options& options) {
  if (!follows_master(options)) return connect_to(options, options.host, options.port, "client");
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + options.reconnect_timeout;
  const auto& masters = options.masters;
  std::string hint, last_problem;
  std::size_t next = 0;
  for (;;) {
    // One round: every candidate once, and one more attempt for a hint.
    for (std::size_t tried = 0; tried < masters.size() + (hint.empty() ? 0 : 1); ++tried) {
      std::string address;
      if (!hint.empty()) {
        address = std::move(hint);
        hint.clear();
      } else {
        address = masters[next];
        next = (next + 1) % masters.size();
      }
      auto colon = address.rfind(':');
      auto host = address.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
      try {
        return connect_to(options, host,
                          static_cast<uint16_t>(std::stoi(address.substr(colon + 1))),
                          actors::master_client_role);
      } catch (const client_error& e) {
        last_problem = e.what();
        auto joined = join_hint(last_problem);
        // A refusal that waiting cannot fix (secret, version, cluster) ends it at once.
        if (joined.empty() && e.exit_code == exit_usage) throw;
        // A hint is followed when it names one of our candidates (a refusal is not
        // authenticated); "join" to the address just tried waits for the next round.
        if (joined != address && std::find(masters.begin(), masters.end(), joined) != masters.end())
          hint = joined;
      }
    }
    const auto now = clock::now();
    if (now >= deadline) {
      std::string list;
      for (const auto& m : masters) list += (list.empty() ? "" : ",") + m;
      throw client_error(exit_failure, "no active master among " + list + " within " +
                                           std::to_string(options.reconnect_timeout.count()) +
                                           " ms (--reconnect-timeout-ms); last: " + last_problem);
    }
    std::this_thread::sleep_for(
        std::min<clock::duration>(std::chrono::milliseconds(200), deadline - now));
  }
}

std::unique_ptr<client> client::connect_to(const client_options& options, const std::string& host,
                                           uint16_t port, const std::string& role) {
  std::unique_ptr<impl> p;
  try {
    p = std::make_unique<impl>(options);
  } catch (const std::invalid_argument& e) {
    throw client_error(exit_usage, e.what());
  }
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  p->self = std::make_unique<caf::scoped_actor>(*p->sys);
  auto& self = *p->self;
  auto where = host + ":" + std::to_string(port);
  p->address = where;
  // Connect through the middleman's (or the openssl module's) actor: unlike
  // remote_actor(), a request to it has a timeout, so a hung node cannot hang us.
  caf::actor gateway;
  self->request(actors::connector(*p->sys), options.timeout, caf::connect_atom::value, host, port)
      .receive([&](const caf::node_id&, caf::strong_actor_ptr& ptr,
                   const std::set<std::string>&) { gateway = caf::actor_cast<caf::actor>(ptr); },
               [&](caf::error& err) {
                 auto tls_failure = actors::take_tls_connect_failure();
                 if (!tls_failure.empty())
                   throw client_error(exit_failure, "cannot connect to " + where +
                                                        ": TLS handshake failed: " + tls_failure);
                 if (!actors::uses_tls(*p->sys) && err == caf::sec::disconnect_during_handshake)
                   throw client_error(exit_failure,
                                      "cannot connect to " + where +
                                          ": the node closed the connection (does it require "
                                          "TLS? give --tls-ca, --tls-cert and --tls-key)");
                 p->raise(err, "cannot connect to " + where);
               });
  if (!gateway)
    throw client_error(exit_failure, "cannot connect to " + where + ": no Weft node there");

  auto my_nonce = trust::make_nonce();
  std::string node_nonce, node_proof, cluster, version, node;
  self->request(gateway, options.timeout, hello_atom::value, role, options.name,
                weft::announced_version(), my_nonce)
      .receive(
          [&](hello_atom, std::string& n, std::string& proof, std::string& c, std::string& v,
              std::string& name) {
            node_nonce = std::move(n);
            node_proof = std::move(proof);
            cluster = std::move(c);
            version = std::move(v);
            node = std::move(name);
          },
          [&](caf::error& err) { p->raise(err, where); });
  // The node must know the secret too, or it is not our cluster. Both proofs
  // cover both nonces under different labels (actors/trust/handshake.hpp).
  trust::handshake_fields fields{cluster, node, role, options.name, my_nonce, node_nonce};
  if (!trust::proof_valid(trust::proof_side::server, options.secret, fields, node_proof)) {
    // The node gets an empty proof, which it refuses and logs: the refusal
    // shows on both sides, and our secret's proof never goes to a stranger.
    self->request(gateway, options.timeout, auth_atom::value, node_nonce, std::string{},
                  caf::actor{self})
        .receive([](welcome_atom, caf::actor&) {}, [](caf::error&) {});
    throw client_error(exit_usage, where + ": refused: the node '" + node +
                                       "' does not know our cluster secret (wrong secret file?)");
  }
  auto proof = trust::handshake_proof(trust::proof_side::client, options.secret, fields);
  self->request(gateway, options.timeout, auth_atom::value, node_nonce, proof, caf::actor{self})
      .receive([&](welcome_atom, caf::actor& session) { p->session = std::move(session); },
               [&](caf::error& err) { p->raise(err, where); });
  p->cluster = cluster;
  p->node = node;
  return std::unique_ptr<client>(new client(std::move(p)));
}

void client::upload(const std::string& name, const std::string& path,
                    const std::function<void(int64_t)>& progress) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw client_error(exit_usage, path + ": cannot read");
  std::string chunk(1u << 20, '\0');
  int64_t offset = 0;
  for (;;) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0 && offset > 0) break;
    std::string piece = chunk.substr(0, n);
    offset = impl_->ask<int64_t>("upload " + path, upload_atom::value, name, offset, piece);
    if (progress) progress(offset);
    if (n < chunk.size()) break;
  }
}

int64_t client::submit(const std::string& spec_json) {
  return impl_->ask<int64_t>("submit", submit_atom::value, spec_json);
}

std::string client::status(int64_t job) {
  return impl_->ask<std::string>("job " + std::to_string(job), status_atom::value, job);
}

std::string client::wait(int64_t job, int max_ms) {
  // The node answers within max_ms (and a database read): the request's limit is on top.
  return impl_->ask_within<std::string>(impl_->options.timeout + std::chrono::milliseconds(max_ms),
                                        "job " + std::to_string(job), wait_atom::value, job,
                                        static_cast<int32_t>(max_ms));
}

std::string client::cancel(int64_t job) {
  return impl_->ask<std::string>("cancel " + std::to_string(job), cancel_atom::value, job);
}

void client::drain(const std::string& node, bool on) {
  impl_->ask<bool>(std::string{on ? "drain " : "undrain "} + node, drain_atom::value, node, on);
}

std::string client::inspect(const std::string& command, const std::string& args_json,
                            std::chrono::milliseconds timeout) {
  return impl_->ask_within<std::string>(timeout.count() > 0 ? timeout : impl_->options.timeout,
                                        command, inspect_atom::value, command, args_json);
}

void client::fetch(int64_t job, int segment, const std::string& path) {
  std::ofstream out(path + ".part", std::ios::binary | std::ios::trunc);
  if (!out) throw client_error(exit_failure, path + ": cannot write");
  int64_t offset = 0;
  for (;;) {
    auto chunk = impl_->ask<std::string>("download " + path, fetch_atom::value, job,
                                         static_cast<int32_t>(segment), offset);
    if (chunk.empty()) break;
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    offset += static_cast<int64_t>(chunk.size());
  }
  out.close();
  if (!out || std::rename((path + ".part").c_str(), path.c_str()) != 0)
    throw client_error(exit_failure, path + ": cannot write");
}

client_link::client_link(client_options options)
    : options_(std::move(options)), client_(client::connect(options_)) {
  announce();
}

bool client_link::fatal(const client_error& e) const {
  // A refusal (exit code 2: bad request, unknown job, not allowed) is the node's answer;
  // anything else may be the master gone (no answer, connection lost).
  return !follows() || e.exit_code == exit_usage;
}

void client_link::reconnect(const std::string& why) {
  if (follows())
    std::cerr << "caf-node: lost the master '" << client_->node() << "' at " << client_->address()
              << " (" << why << "); looking for the active master\n";
  client_.reset();  // its actor system goes first
  client_ = client::connect(options_);
  announce();
}

void client_link::announce() {
  if (!follows()) return;
  auto now = client_->node() + "' at " + client_->address();
  if (now == last_) return;
  std::cerr << "caf-node: talking to the master '" << now << "\n";
  last_ = now;
}

}  // namespace weft::runtime
