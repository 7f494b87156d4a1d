#pragma once

// Certificates for a cluster's mutual TLS without a PKI (`caf-node certs`, docs/cluster.md
// "TLS and certificates"): a CA, node certificates (server and client use, with the node's
// host names and addresses) and client certificates, with OpenSSL's library. No CAF.
//
// Files in DIR: ca.pem and ca.key (the CA), NAME.pem and NAME.key for each node or client.
// Keys are EC P-256, written mode 600 and never over an existing file.

#include <stdexcept>
#include <string>
#include <vector>

namespace weft::certs {

struct cert_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What was written.
struct issued {
  std::string cert_file;
  std::string key_file;
  std::string subject;    ///< "CN=ext1,O=Weft"
  std::string not_after;  ///< "2028-11-28 19:58:00 UTC"
  int days = 0;
  std::vector<std::string> alt_names;  ///< "DNS:ext1", "IP:10.0.0.11"
};

constexpr int ca_days = 3650;
constexpr int leaf_days = 730;

/// Creates DIR (mode 700) if needed and writes ca.pem and ca.key.
/// @throws cert_error (a file exists, cannot write, OpenSSL failed)
issued create_ca(const std::string& dir, int days = ca_days);

/// Writes NAME.pem and NAME.key signed by DIR's CA: serverAuth and clientAuth, subject
/// alternative names NAME and `hosts` (IP addresses as IP, others as DNS names).
issued create_node(const std::string& dir, const std::string& name,
                   const std::vector<std::string>& hosts, int days = leaf_days);

/// Writes NAME.pem and NAME.key signed by DIR's CA: clientAuth only.
issued create_client(const std::string& dir, const std::string& name, int days = leaf_days);

/// Whether `cert_file` was issued by the CA of `ca_file`, is valid now and may be used for
/// `purpose` ("server", "client" or "any"); "" when it is, else OpenSSL's reason.
std::string verify(const std::string& ca_file, const std::string& cert_file,
                   const std::string& purpose = "any");

}  // namespace weft::certs
