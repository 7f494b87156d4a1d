// The probes of the node's front door (issue 11), as a small CAF program that
// the system tests run: a stranger who does not know the cluster secret
// (relay, flood) and a client who does (sessions, idle, upload).
//
//   gate_probe relay MASTER EXT1 NAME
//     The reflection attack of issue 11: says hello to the master as extension
//     NAME, takes the master's nonce, has EXT1's gateway sign it (a hello with
//     the master's nonce as its client nonce) and forwards that proof to the
//     master. Under the old scheme (proof = HMAC("node\n" name "\n" nonce) in
//     both directions) the master took it and NAME joined. Prints
//     "ext1 signed" once EXT1 answered, then "refused: …" (exit 0) or
//     "WELCOMED" (exit 3).
//
//   gate_probe flood NODE COUNT
//     Sends COUNT hellos from this one peer, all in flight at once, never
//     answering a challenge; prints "flooded COUNT answered N" when every hello
//     was answered. The challenges stay pending on the node for 30 s.
//
//   gate_probe badhello NODE COUNT
//     Sends COUNT hellos whose name is an ANSI escape, a newline, a forged log
//     line and 64 KiB more; prints "refused R of COUNT".
//
//   gate_probe sessions NODE SECRET_FILE N
//     Opens N authenticated sessions at once (N clients), printing "opened K"
//     or "refused K: why" for each, and closes them all at the end.
//
//   gate_probe idle NODE SECRET_FILE WAIT_MS FILES_ROOT
//     Opens a session, uploads a small file, prints how many files the node's
//     upload area holds, waits WAIT_MS without a request, then asks for the
//     nodes (the shell's `nodes`) and prints "after idle: answered" or "after idle: error …", and
//     the upload area's file count again.  (A request to a session that ended is not answered: the
//     client's request times out after 3 s.)
//
//   gate_probe upload NODE SECRET_FILE PATH FILES_ROOT [NAME]
//     Uploads PATH (as NAME, default "big.csv"; "resources/logo.png" is a
//     resource); prints "uploaded" or the error, then the bytes and files
//     left in the node's upload area while the session is still open.
//
// Exit code 2: a set-up problem (no node at an address, a timeout).

#include <unistd.h>

#include <atomic>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "actors/errors.hpp"
#include "actors/protocol.hpp"
#include "actors/trust/auth.hpp"
#include "config/secret_file.hpp"
#include "runtime/client.hpp"
#include "weft/version.hpp"

using namespace weft::actors;
using namespace std::chrono_literals;

namespace {

struct endpoint {
  std::string host;
  uint16_t port = 0;
};

endpoint parse(const std::string& text) {
  auto colon = text.rfind(':');
  return {text.substr(0, colon), static_cast<uint16_t>(std::stoi(text.substr(colon + 1)))};
}

[[noreturn]] void fail(const std::string& why) {
  std::cout << "setup: " << why << std::endl;
  std::exit(2);
}

caf::actor connect(caf::scoped_actor& self, caf::actor_system& sys, const endpoint& at) {
  caf::actor gateway;
  self->request(sys.middleman().actor_handle(), 10s, caf::connect_atom::value, at.host, at.port)
      .receive([&](const caf::node_id&, caf::strong_actor_ptr& ptr,
                   const std::set<std::string>&) { gateway = caf::actor_cast<caf::actor>(ptr); },
               [&](caf::error& err) { fail("cannot connect: " + caf::to_string(err)); });
  if (!gateway) fail("no gateway");
  return gateway;
}

int relay(caf::actor_system& sys, const endpoint& master_at, const endpoint& ext_at,
          const std::string& name) {
  caf::scoped_actor self{sys};
  auto master = connect(self, sys, master_at);
  auto ext = connect(self, sys, ext_at);
  std::string master_nonce;
  self->request(master, 10s, hello_atom::value, std::string{"node"}, name,
                weft::announced_version(), weft::trust::make_nonce())
      .receive([&](hello_atom, std::string& nonce, std::string&, std::string&, std::string&,
                   std::string&) { master_nonce = std::move(nonce); },
               [&](caf::error& err) { fail("master refused the hello: " + error_text(sys, err)); });
  // The extension's gateway signs the master's nonce for anyone who says hello.
  std::string ext_proof;
  self->request(ext, 10s, hello_atom::value, std::string{"client"}, std::string{"relay"},
                weft::announced_version(), master_nonce)
      .receive([&](hello_atom, std::string&, std::string& proof, std::string&, std::string&,
                   std::string&) { ext_proof = std::move(proof); },
               [&](caf::error& err) { fail("ext1 refused the hello: " + error_text(sys, err)); });
  std::cout << "ext1 signed" << std::endl;
  int code = 2;
  self->request(master, 10s, auth_atom::value, master_nonce, ext_proof, caf::actor{self})
      .receive(
          [&](welcome_atom, caf::actor&, caf::actor&, uint64_t) {
            std::cout << "WELCOMED" << std::endl;
            code = 3;
          },
          [&](caf::error& err) {
            std::cout << error_text(sys, err) << std::endl;
            code = error_text(sys, err).rfind("refused", 0) == 0 ? 0 : 2;
          });
  return code;
}

int flood(caf::actor_system& sys, const endpoint& at, int count) {
  caf::actor gateway;
  {
    caf::scoped_actor self{sys};
    gateway = connect(self, sys, at);
  }
  auto answered = std::make_shared<std::atomic<int>>(0);
  auto done = std::make_shared<std::atomic<int>>(0);
  // All in flight at once, as fast as CAF sends them.
  sys.spawn([=](caf::event_based_actor* self) {
    for (int i = 0; i < count; ++i)
      self->request(gateway, 60s, hello_atom::value, std::string{"client"}, std::string{"flood"},
                    weft::announced_version(), weft::trust::make_nonce())
          .then(
              [=](hello_atom, std::string&, std::string&, std::string&, std::string&,
                  std::string&) {
                ++*answered;
                ++*done;
              },
              [=](caf::error&) { ++*done; });
  });
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (*done < count && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  if (*done < count) fail("only " + std::to_string(done->load()) + " hellos were answered");
  std::cout << "flooded " << count << " answered " << answered->load() << std::endl;
  return 0;
}

int bad_hellos(caf::actor_system& sys, const endpoint& at, int count) {
  caf::scoped_actor self{sys};
  auto gateway = connect(self, sys, at);
  const std::string name =
      "\x1b[31mEVIL\n2026-01-01T00:00:00.000 INFO  [master] FORGED LINE" + std::string(65536, 'A');
  int refused = 0;
  for (int i = 0; i < count; ++i)
    self->request(gateway, 10s, hello_atom::value, std::string{"client"}, name,
                  weft::announced_version(), weft::trust::make_nonce())
        .receive(
            [](hello_atom, std::string&, std::string&, std::string&, std::string&, std::string&) {},
            [&](caf::error& err) {
              if (error_text(sys, err).rfind("refused", 0) == 0) ++refused;
            });
  std::cout << "refused " << refused << " of " << count << std::endl;
  return 0;
}

weft::runtime::client_options client_options(const endpoint& at, const std::string& secret_file,
                                             const std::string& name) {
  weft::runtime::client_options o;
  o.host = at.host;
  o.port = at.port;
  o.secret = weft::config::read_secret_file(secret_file);
  o.name = name;
  return o;
}

/// Files and bytes under FILES_ROOT/uploads.
std::pair<int, std::uintmax_t> upload_area(const std::string& files_root) {
  namespace fs = std::filesystem;
  int files = 0;
  std::uintmax_t bytes = 0;
  std::error_code ec;
  auto dir = fs::path(files_root) / "uploads";
  if (!fs::exists(dir, ec)) return {0, 0};
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) {
      ++files;
      bytes += it->file_size(ec);
    }
  return {files, bytes};
}

int sessions(const endpoint& at, const std::string& secret_file, int n) {
  std::vector<std::unique_ptr<weft::runtime::client>> open;
  for (int k = 1; k <= n; ++k) {
    try {
      open.push_back(weft::runtime::client::connect(
          client_options(at, secret_file, "probe-" + std::to_string(k))));
      std::cout << "opened " << k << std::endl;
    } catch (const weft::runtime::client_error& e) {
      std::cout << "refused " << k << ": " << e.what() << std::endl;
    }
  }
  return 0;
}

int idle(const endpoint& at, const std::string& secret_file, int wait_ms,
         const std::string& files_root) {
  auto options = client_options(at, secret_file, "idler");
  options.timeout = std::chrono::seconds(3);
  auto c = weft::runtime::client::connect(options);
  auto tmp = std::filesystem::temp_directory_path() / ("gate-probe-" + std::to_string(::getpid()));
  { std::ofstream(tmp) << "id,name\n1,a\n"; }
  c->upload("data.csv", tmp.string());
  std::filesystem::remove(tmp);
  std::cout << "upload area: " << upload_area(files_root).first << " files" << std::endl;
  std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));  // the idling itself
  try {
    c->inspect("nodes", "{}");
    std::cout << "after idle: answered" << std::endl;
  } catch (const std::exception& e) {
    std::cout << "after idle: error " << e.what() << std::endl;
  }
  std::cout << "upload area: " << upload_area(files_root).first << " files" << std::endl;
  return 0;
}

int upload(const endpoint& at, const std::string& secret_file, const std::string& path,
           const std::string& files_root, const std::string& name) {
  auto c = weft::runtime::client::connect(client_options(at, secret_file, "uploader"));
  try {
    c->upload(name, path);
    std::cout << "uploaded" << std::endl;
  } catch (const std::exception& e) {
    std::cout << "upload error: " << e.what() << std::endl;
  }
  auto [files, bytes] = upload_area(files_root);
  std::cout << "left: " << bytes << " bytes in " << files << " files" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: gate_probe relay|flood|sessions|idle|upload ... (see the source)\n";
    return 2;
  }
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  register_weft_errors(cfg);
  cfg.set("logger.console", caf::atom("none"));
  cfg.set("scheduler.max-threads", size_t{2});
  cfg.set("middleman.heartbeat-interval", caf::timespan{100ms});
  caf::actor_system sys{cfg};
  std::string mode = argv[1];
  if (mode == "relay" && argc == 5) return relay(sys, parse(argv[2]), parse(argv[3]), argv[4]);
  if (mode == "flood") return flood(sys, parse(argv[2]), std::stoi(argv[3]));
  if (mode == "badhello") return bad_hellos(sys, parse(argv[2]), std::stoi(argv[3]));
  if (mode == "sessions" && argc == 5) return sessions(parse(argv[2]), argv[3], std::stoi(argv[4]));
  if (mode == "idle" && argc == 6)
    return idle(parse(argv[2]), argv[3], std::stoi(argv[4]), argv[5]);
  if (mode == "upload" && (argc == 6 || argc == 7))
    return upload(parse(argv[2]), argv[3], argv[4], argv[5], argc == 7 ? argv[6] : "big.csv");
  std::cerr << "unknown mode\n";
  return 2;
}
