// The small client commands (`job`, `drain`) and what every client command
// shares: reaching a node and proving the cluster secret.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>

#include "config/config_error.hpp"
#include "config/secret_file.hpp"
#include "config/topology.hpp"
#include "runtime/client.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"

namespace weft::runtime {

namespace {

/// The TLS files of a client: --tls-ca/--tls-cert/--tls-key, each falling back to the
/// topology's [tls] when --config is given; none at all: plain TCP.
config::tls_files client_tls(const connect_args& a, const config::tls_settings* topology) {
  config::tls_files f;
  f.ca_file = !a.tls_ca.empty() ? a.tls_ca : topology ? topology->ca_file : "";
  f.cert_file = !a.tls_cert.empty() ? a.tls_cert : topology ? topology->cert_file : "";
  f.key_file = !a.tls_key.empty() ? a.tls_key : topology ? topology->key_file : "";
  if (f.ca_file.empty()) {
    if (!a.tls_cert.empty() || !a.tls_key.empty())
      throw client_error(exit_usage, "--tls-cert and --tls-key need --tls-ca (the cluster's CA)");
    return {};
  }
  if (f.cert_file.empty() || f.key_file.empty())
    throw client_error(exit_usage,
                       "TLS needs a client certificate and key: --tls-cert F --tls-key F "
                       "(caf-node certs create-client)");
  for (const auto& path : {f.ca_file, f.cert_file})
    if (::access(path.c_str(), R_OK) != 0)
      throw client_error(exit_usage, "cannot read " + path + ": " + std::strerror(errno));
  try {
    config::read_secret_file(f.key_file);  // exists, private, not empty
  } catch (const config::config_error& e) {
    throw client_error(exit_usage, "--tls-key: " + e.reason);
  }
  return f;
}

}  // namespace

client_options client_options_from(const connect_args& a) {
  client_options options;
  if (a.connect.empty() && a.topology.empty())
    throw client_error(exit_usage, "say where: --connect HOST:PORT[,HOST:PORT...] or --topology F");
  // --connect A,B,...: each HOST:PORT, checked; the first is host:port.
  for (std::size_t at = 0; !a.connect.empty() && at <= a.connect.size();) {
    auto comma = a.connect.find(',', at);
    auto one = a.connect.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? a.connect.size() + 1 : comma + 1;
    auto colon = one.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw client_error(exit_usage, "--connect wants HOST:PORT, not '" + one + "'");
    int port = 0;
    try {
      std::size_t used = 0;
      port = std::stoi(one.substr(colon + 1), &used);
      if (used != one.size() - colon - 1) port = 0;
    } catch (const std::exception&) {
    }
    if (port <= 0 || port > 65535)
      throw client_error(exit_usage, "--connect wants HOST:PORT, not '" + one + "'");
    if (options.masters.empty()) {
      options.host = one.substr(0, colon);
      options.port = static_cast<uint16_t>(port);
    }
    if (std::find(options.masters.begin(), options.masters.end(), one) == options.masters.end())
      options.masters.push_back(one);
  }
  try {
    std::optional<config::settings> topology;
    if (!a.config_file.empty()) topology = config::load_topology_for_client(a.config_file);
    if (!a.topology.empty()) {
      // Every master candidate, highest master_priority first, after those of --connect.
      auto candidates = config::load_topology_for_client(a.topology);
      for (const auto* n : candidates.master_candidates()) {
        auto one = n->advertise.to_string();
        if (options.masters.empty()) {
          options.host = n->advertise.host;
          options.port = n->advertise.port;
        }
        if (std::find(options.masters.begin(), options.masters.end(), one) == options.masters.end())
          options.masters.push_back(one);
      }
      if (!topology && a.secret_file.empty()) topology = std::move(candidates);
    }
    if (!a.secret_file.empty())
      options.secret = config::read_secret_file(a.secret_file);
    else if (topology)
      options.secret = topology->cluster.secret;
    else
      throw client_error(exit_usage,
                         "say how to prove the cluster secret: --secret-file F or --config F");
    options.tls = client_tls(a, topology ? &topology->tls : nullptr);
  } catch (const config::config_error& e) {
    throw client_error(exit_usage, std::string{"config error: "} + e.what());
  }
  if (a.timeout_ms <= 0) throw client_error(exit_usage, "--timeout-ms must be positive");
  if (a.reconnect_timeout_ms <= 0)
    throw client_error(exit_usage, "--reconnect-timeout-ms must be positive");
  options.timeout = std::chrono::milliseconds(a.timeout_ms);
  options.reconnect_timeout = std::chrono::milliseconds(a.reconnect_timeout_ms);
  return options;
}

int run_client_command(const std::function<int()>& body) {
  try {
    return body();
  } catch (const client_error& e) {
    std::cerr << "caf-node: " << e.what() << "\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "caf-node: " << e.what() << "\n";
    return exit_failure;
  }
}

int cmd_job(const connect_args& args, int64_t id, bool wait) {
  return run_client_command([&] {
    // Following the master, a lost connection is found again and the job asked for by id.
    client_link link(client_options_from(args));
    std::string json = link.again_on_master([&](client& c) { return c.status(id); });
    while (wait && json.find("\"state\":\"done\"") == std::string::npos &&
           json.find("\"state\":\"failed\"") == std::string::npos &&
           json.find("\"state\":\"cancelled\"") == std::string::npos)
      json = link.again_on_master([&](client& c) { return c.wait(id, 1000); });
    std::cout << json << std::endl;
    return exit_ok;
  });
}

int cmd_drain(const connect_args& args, const std::string& node, bool on) {
  return run_client_command([&] {
    client_link link(client_options_from(args));
    link->drain(node, on);
    std::cout << "node " << node << (on ? " draining: it gets no new work" : " undrained") << "\n";
    return exit_ok;
  });
}

}  // namespace weft::runtime
