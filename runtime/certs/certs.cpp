#include "runtime/certs/certs.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

namespace weft::certs {

namespace {

namespace fs = std::filesystem;

template <class T, void (*Free)(T*)>
struct deleter {
  void operator()(T* p) const { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using name_ptr = std::unique_ptr<X509_NAME, deleter<X509_NAME, X509_NAME_free>>;
using store_ptr = std::unique_ptr<X509_STORE, deleter<X509_STORE, X509_STORE_free>>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BIGNUM, BN_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void fail_openssl(const std::string& what) {
  unsigned long last = 0;
  while (auto e = ERR_get_error()) last = e;
  const char* reason = last ? ERR_reason_error_string(last) : nullptr;
  throw cert_error(what + (reason ? std::string(": ") + reason : std::string()));
}

void check_name(const std::string& name) {
  if (name.empty() || name.size() > 64)
    throw cert_error("the name must have 1 to 64 characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok)
      throw cert_error("bad name '" + name + "': use letters, digits, '.', '_' and '-' only");
  }
  if (name == "ca") throw cert_error("'ca' is the CA's own file name; choose another name");
}

pkey_ptr new_key() {
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail_openssl("cannot generate an EC P-256 key");
  return key;
}

std::string path_in(const std::string& dir, const std::string& file) {
  return (fs::path(dir) / file).string();
}

/// Refuses to go on when either file exists: nothing is overwritten, nothing half-written.
void refuse_existing(const std::string& cert, const std::string& key) {
  for (const auto& p : {cert, key}) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(p, ec)))
      throw cert_error(p + " already exists; refusing to overwrite it (move it away first)");
  }
}

/// Writes `write(FILE*)` to a new file of `mode`; O_EXCL: never an existing one.
template <class F>
void write_new_file(const std::string& path, mode_t mode, F write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) throw cert_error("cannot create " + path + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // whatever the umask
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    ::unlink(path.c_str());
    throw cert_error("cannot write " + path + ": " + std::strerror(errno));
  }
  const bool ok = write(f) == 1;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    ::unlink(path.c_str());
    if (!ok) fail_openssl("cannot write " + path);
    throw cert_error("cannot write " + path + ": " + std::strerror(errno));
  }
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    fail_openssl("cannot add the extension " + std::string(OBJ_nid2sn(nid)) + " = " + value);
}

std::string time_text(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char out[64];
  std::strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return out;
}

std::string name_text(X509_NAME* name) {
  std::unique_ptr<BIO, deleter<BIO, BIO_free_all>> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

/// An unsigned certificate for `key` with subject CN=`cn`, O=Weft, issued by `issuer`
/// (itself when null), valid from five minutes ago (clock skew) for `days`.
x509_ptr new_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, int days) {
  x509_ptr cert(X509_new());
  if (!cert) fail_openssl("cannot create a certificate");
  X509_set_version(cert.get(), X509_VERSION_3);
  bn_ptr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    fail_openssl("cannot make a serial number");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr);
  X509_set_pubkey(cert.get(), key);
  name_ptr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Weft"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name.get());
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) fail_openssl("cannot sign the certificate");
}

issued write_pair(const std::string& cert_path, const std::string& key_path, X509* cert,
                  EVP_PKEY* key, int days, std::vector<std::string> alt_names) {
  write_new_file(key_path, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  try {
    write_new_file(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert); });
  } catch (...) {
    ::unlink(key_path.c_str());
    throw;
  }
  issued out;
  out.cert_file = cert_path;
  out.key_file = key_path;
  out.subject = name_text(X509_get_subject_name(cert));
  out.not_after = time_text(X509_get0_notAfter(cert));
  out.days = days;
  out.alt_names = std::move(alt_names);
  return out;
}

struct ca_pair {
  x509_ptr cert;
  pkey_ptr key;
};

ca_pair load_ca(const std::string& dir) {
  const auto cert_path = path_in(dir, "ca.pem");
  const auto key_path = path_in(dir, "ca.key");
  ca_pair ca;
  std::unique_ptr<FILE, int (*)(FILE*)> cf(std::fopen(cert_path.c_str(), "r"), std::fclose);
  if (!cf)
    throw cert_error("cannot read " + cert_path + ": " + std::strerror(errno) +
                     " (create the CA first: caf-node certs create-ca " + dir + ")");
  ca.cert.reset(PEM_read_X509(cf.get(), nullptr, nullptr, nullptr));
  if (!ca.cert) fail_openssl(cert_path + " holds no PEM certificate");
  std::unique_ptr<FILE, int (*)(FILE*)> kf(std::fopen(key_path.c_str(), "r"), std::fclose);
  if (!kf) throw cert_error("cannot read " + key_path + ": " + std::strerror(errno));
  ca.key.reset(PEM_read_PrivateKey(kf.get(), nullptr, nullptr, nullptr));
  if (!ca.key) fail_openssl(key_path + " holds no PEM private key");
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1)
    fail_openssl(key_path + " is not the key of " + cert_path);
  return ca;
}

void check_days(int days) {
  if (days < 1 || days > 36500) throw cert_error("--days must be 1..36500");
}

issued create_leaf(const std::string& dir, const std::string& name,
                   const std::vector<std::string>& hosts, int days, bool server) {
  check_name(name);
  check_days(days);
  const auto cert_path = path_in(dir, name + ".pem");
  const auto key_path = path_in(dir, name + ".key");
  refuse_existing(cert_path, key_path);
  auto ca = load_ca(dir);
  auto key = new_key();
  auto cert = new_cert(key.get(), name, ca.cert.get(), days);
  add_ext(cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), ca.cert.get(), NID_ext_key_usage,
          server ? "serverAuth,clientAuth" : "clientAuth");
  add_ext(cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  add_ext(cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  std::vector<std::string> alt;
  if (server) {
    alt.push_back("DNS:" + name);
    for (const auto& h : hosts) {
      if (h.empty() || h.find_first_of(", \t\n") != std::string::npos)
        throw cert_error("bad --host '" + h + "'");
      unsigned char buf[16];
      const bool ip = ::inet_pton(AF_INET, h.c_str(), buf) == 1 ||
                      ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
      alt.push_back((ip ? "IP:" : "DNS:") + h);
    }
    std::string san;
    for (const auto& a : alt) san += (san.empty() ? "" : ",") + a;
    add_ext(cert.get(), ca.cert.get(), NID_subject_alt_name, san);
  }
  sign(cert.get(), ca.key.get());
  return write_pair(cert_path, key_path, cert.get(), key.get(), days, alt);
}

}  // namespace

issued create_ca(const std::string& dir, int days) {
  check_days(days);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (::mkdir(dir.c_str(), 0700) != 0)
      throw cert_error("cannot create " + dir + ": " + std::strerror(errno));
  } else if (!fs::is_directory(dir, ec)) {
    throw cert_error(dir + " is not a directory");
  }
  const auto cert_path = path_in(dir, "ca.pem");
  const auto key_path = path_in(dir, "ca.key");
  refuse_existing(cert_path, key_path);
  auto key = new_key();
  auto cert = new_cert(key.get(), "Weft cluster CA", nullptr, days);
  add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign(cert.get(), key.get());
  return write_pair(cert_path, key_path, cert.get(), key.get(), days, {});
}

issued create_node(const std::string& dir, const std::string& name,
                   const std::vector<std::string>& hosts, int days) {
  return create_leaf(dir, name, hosts, days, true);
}

issued create_client(const std::string& dir, const std::string& name, int days) {
  return create_leaf(dir, name, {}, days, false);
}

std::string verify(const std::string& ca_file, const std::string& cert_file,
                   const std::string& purpose) {
  store_ptr store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1)
    return "cannot load the CA " + ca_file;
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(cert_file.c_str(), "r"), std::fclose);
  if (!f) return "cannot read " + cert_file;
  x509_ptr cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!cert) return cert_file + " holds no PEM certificate";
  store_ctx_ptr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1)
    return "cannot set up the verification";
  if (purpose == "server")
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  else if (purpose == "client")
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) == 1) return "";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

}  // namespace weft::certs
