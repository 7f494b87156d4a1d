// `caf-node certs create-ca|create-node|create-client`: the cluster's certificates
// (runtime/certs/certs.hpp; docs/cluster.md "TLS and certificates").

#include <iostream>

#include "runtime/certs/certs.hpp"
#include "runtime/commands.hpp"
#include "runtime/exit_code.hpp"

namespace weft::runtime {

namespace {

void print(const certs::issued& out) {
  std::cout << "wrote " << out.cert_file << " (certificate)\n"
            << "wrote " << out.key_file << " (private key, mode 600: keep it on its machine)\n"
            << "  subject:     " << out.subject << "\n";
  if (!out.alt_names.empty()) {
    std::cout << "  alt names:  ";
    for (const auto& a : out.alt_names) std::cout << " " << a;
    std::cout << "\n";
  }
  std::cout << "  valid until: " << out.not_after << " (" << out.days << " days)\n";
}

}  // namespace

int cmd_certs(const certs_args& a) {
  try {
    if (a.action == "create-ca") {
      print(certs::create_ca(a.dir, a.days > 0 ? a.days : certs::ca_days));
      std::cout << "the CA key signs every certificate of the cluster: keep " << a.dir
                << "/ca.key off the nodes\n";
    } else if (a.action == "create-node") {
      if (a.name.empty()) throw certs::cert_error("create-node needs a NAME");
      print(certs::create_node(a.dir, a.name, a.hosts, a.days > 0 ? a.days : certs::leaf_days));
    } else if (a.action == "create-client") {
      if (a.name.empty()) throw certs::cert_error("create-client needs a NAME");
      if (!a.hosts.empty()) throw certs::cert_error("--host is for create-node only");
      print(certs::create_client(a.dir, a.name, a.days > 0 ? a.days : certs::leaf_days));
    } else {
      throw certs::cert_error("unknown action '" + a.action +
                              "': use create-ca, create-node or create-client");
    }
    return exit_ok;
  } catch (const certs::cert_error& e) {
    std::cerr << "caf-node: certs: " << e.what() << "\n";
    return exit_usage;
  }
}

}  // namespace weft::runtime
