// A client's session behind the gateway (session.hpp).

#include "actors/session.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <caf/all.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "actors/actors.hpp"
#include "actors/document/data_format.hpp"
#include "actors/document/output_format.hpp"
#include "actors/document/resources.hpp"
#include "actors/document/template_engine.hpp"
#include "actors/document/template_error.hpp"
#include "actors/job_limits.hpp"
#include "actors/planning/job_json.hpp"
#include "actors/planning/job_submission.hpp"
#include "actors/protocol.hpp"
#include "actors/trust/auth.hpp"
#include "storage/filestore/directory.hpp"
#include "storage/filestore/layout.hpp"
#include "storage/job_store.hpp"
#include "storage/storage_error.hpp"

namespace weft::actors {

using planning::job_json;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t max_chunk = 4u << 20;  ///< largest upload or download chunk

bool safe_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

struct session_state {
  node_context ctx;
  caf::actor scheduler;                             ///< null on an extension
  caf::actor inspector;                             ///< this node's
  std::map<uint64_t, caf::response_promise> waits;  ///< an extension's `wait`s, by token
  uint64_t next_wait = 0;
  caf::node_id client_node;
  std::string client_name;
  std::string upload_token;  ///< names upload_dir (and its resources folder)
  std::string upload_dir;
  int64_t uploaded = 0;        ///< bytes in upload_dir (limits.max_upload_size bounds it)
  int64_t resource_bytes = 0;  ///< bytes of the resources in it (jobs.max_resources_size)
  int resource_files = 0;      ///< resource files in it (jobs.max_resources)
  std::unique_ptr<storage::job_store> store;
  /// The last request from the client, and until when a long `wait` keeps
  /// the session busy: limits.session_idle_timeout counts from the later.
  std::chrono::steady_clock::time_point last_request = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point busy_until = last_request;
  static inline const char* name = "session";
};

using session_actor = caf::stateful_actor<session_state>;

/// Refuses messages that do not come from the authenticated client's node;
/// a message that does is a request, which keeps the session alive.
bool from_client(session_actor* self) {
  auto& sender = self->current_sender();
  if (!sender || sender->node() != self->state.client_node) return false;
  self->state.last_request = std::chrono::steady_clock::now();
  return true;
}

/// Ends the session when the client has sent nothing for
/// limits.session_idle_timeout; otherwise looks again when it could be due.
void check_idle(session_actor* self) {
  auto& st = self->state;
  auto idle = st.ctx.settings->limits.session_idle_timeout;
  auto due = std::max(st.last_request + idle, st.busy_until);
  auto now = std::chrono::steady_clock::now();
  if (now >= due) {
    spdlog::info("session of '{}' ended: no request for {} ms (limits.session_idle_timeout)",
                 sanitised(st.client_name), idle.count());
    self->quit();
    return;
  }
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::milliseconds>(due - now) + 1ms,
                     tick_atom::value);
}

caf::result<int64_t> submit(session_actor* self, const std::string& spec_json) {
  auto& st = self->state;
  auto spec = nlohmann::json::parse(spec_json, nullptr, false);
  try {
    // The checks and the job's creation are shared with the REST API (job_submission.hpp).
    // Where the scheduler is told at once (the master), a small data file is mapped here.
    auto job = planning::submit_job(*st.ctx.settings, *st.store, st.upload_dir, spec, "cluster",
                                    static_cast<bool>(st.scheduler));
    st.uploaded = 0;  // the upload area is empty again
    st.resource_bytes = 0;
    st.resource_files = 0;
    // On the master the scheduler is told at once; on an extension the job is a
    // queued row, which the master's scheduler adopts within a second.
    if (st.scheduler)
      self->send(st.scheduler, submitted_atom::value, job.id, job.options_json, job.mapped_records);
    spdlog::info("job {} submitted by {} ({}, {}){}", job.id, sanitised(st.client_name),
                 sanitised(job.data_name), job.format,
                 st.scheduler ? "" : "; the master takes it from the database");
    return job.id;
  } catch (const planning::submission_refused& e) {
    return refused(e.what());
  } catch (const std::exception& e) {
    return failure(std::string{"submit: "} + e.what());
  }
}

/// How long the inspector may take: its own fan-outs are bounded by the
/// request timeout; a `logs -f` or a cluster-wide command takes a few of them.
caf::timespan inspector_timeout(session_actor* self) {
  return self->state.ctx.settings->cluster.request_timeout * 4;
}

/// Asks `dest` on the client's behalf, as the session itself: the node's
/// actors obey this node's actors, never a client directly (admission.hpp).
/// Every answer relayed is the JSON text of the node's actors.
template <class... Ts>
caf::result<caf::message> relay(session_actor* self, const caf::actor& dest, caf::timespan timeout,
                                Ts&&... xs) {
  auto rp = self->make_response_promise();
  self->request(dest, timeout, std::forward<Ts>(xs)...)
      .then([rp](std::string& answer) mutable { rp.deliver(std::move(answer)); },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return caf::message{};
}

/// Removes a partial upload at `path` of `size` bytes and takes it out of the session's counts.
void forget_upload(session_state& st, const fs::path& path, int64_t size, bool resource) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  fs::remove(path, ec);
  st.uploaded -= size;
  if (resource) {
    st.resource_bytes -= size;
    --st.resource_files;
  }
}

/// Why a chunk of a resource ("resources/<path>") at offset `size` is refused: the file is no
/// PNG, JPEG or font by its first bytes, or passes jobs.max_resource_size, or the session's
/// resources pass jobs.max_resources_size or jobs.max_resources. "" when it may be written.
std::string resource_problem(const session_state& st, const std::string& name, bool new_file,
                             int64_t size, const std::string& bytes) {
  const auto& jobs = st.ctx.settings->jobs;
  const auto more = static_cast<int64_t>(bytes.size());
  if (new_file && st.resource_files + 1 > jobs.max_resources)
    return "upload: " + name + " would be resource file number " +
           std::to_string(st.resource_files + 1) + ", more than " +
           std::to_string(jobs.max_resources) + " (jobs.max_resources)";
  if (size == 0 && !document::resource_type_of(bytes))
    return "upload: " + name + " " + document::resource_types_text;
  if (size + more > jobs.max_resource_size)
    return "upload: " + name + " is larger than " + std::to_string(jobs.max_resource_size) +
           " bytes (jobs.max_resource_size)";
  if (st.resource_bytes + more > jobs.max_resources_size)
    return "upload: " + name + " would make the job's resources larger than " +
           std::to_string(jobs.max_resources_size) + " bytes (jobs.max_resources_size)";
  return {};
}

/// Appends a chunk to an upload in the session's upload area (uploads/<token>/
/// under the file store, removed with the session); refuses it, removing the
/// partial file, once the session's uploads would pass limits.max_upload_size (and a resource's
/// checks, resource_problem).
caf::result<int64_t> upload(session_actor* self, const std::string& name, int64_t offset,
                            const std::string& bytes) {
  auto& st = self->state;
  // "resources/<path>": a resource of the job (submit --resources), below the upload area's
  // resources folder; any other name is a flat file (template, partial, data).
  static const std::string resource_prefix = "resources/";
  const bool resource = name.rfind(resource_prefix, 0) == 0;
  fs::path path;
  if (resource) {
    const auto problem = document::resource_name_problem(name.substr(resource_prefix.size()));
    if (!problem.empty()) return refused("upload: bad resource name: " + problem);
    path = fs::path(filestore::upload_resources_dir(st.ctx.files_root(), st.upload_token)) /
           name.substr(resource_prefix.size());
  } else {
    if (!safe_name(name) || name == "resources")
      return refused("upload: bad file name '" + name + "'");
    path = fs::path(st.upload_dir) / name;
  }
  if (bytes.size() > max_chunk) return refused("upload: chunk too large");
  fs::create_directories(path.parent_path());
  std::error_code ec;
  auto size = fs::exists(path) ? static_cast<int64_t>(fs::file_size(path, ec)) : 0;
  if (offset != size)
    return refused("upload: " + name + " has " + std::to_string(size) + " bytes, chunk starts at " +
                   std::to_string(offset));
  const bool new_file = !fs::exists(path);
  if (resource) {
    auto problem = resource_problem(st, name, new_file, size, bytes);
    if (!problem.empty()) {
      // Refused before a byte more is written; the partial file goes too.
      forget_upload(st, path, size, resource);
      spdlog::warn("session of '{}': {}", sanitised(st.client_name), sanitised(problem));
      return refused(problem + "; removed");
    }
  }
  const auto cap = st.ctx.settings->limits.max_upload_size;
  if (st.uploaded + static_cast<int64_t>(bytes.size()) > cap) {
    // Refused before a byte more is written; the partial file goes too.
    forget_upload(st, path, size, resource);
    spdlog::warn("session of '{}': upload {} refused past {} bytes (limits.max_upload_size)",
                 sanitised(st.client_name), sanitised(name), cap);
    return refused("upload: " + name + " would make this session's uploads larger than " +
                   std::to_string(cap) + " bytes (limits.max_upload_size); removed");
  }
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.flush();
  if (!out) {
    out.close();
    fs::remove(path, ec);  // a full disk keeps no partial file either
    st.uploaded -= size;
    if (resource && !new_file) {
      st.resource_bytes -= size;
      --st.resource_files;
    }
    return failure("upload: cannot write " + path.string() + "; removed");
  }
  if (resource) {
    st.resource_bytes += static_cast<int64_t>(bytes.size());
    if (new_file) ++st.resource_files;
  }
  st.uploaded += static_cast<int64_t>(bytes.size());
  return size + static_cast<int64_t>(bytes.size());
}

caf::behavior session(session_actor* self, node_context ctx, caf::actor scheduler,
                      caf::actor inspector, caf::actor client, std::string client_name) {
  auto& st = self->state;
  st.ctx = ctx;
  st.scheduler = std::move(scheduler);
  st.inspector = std::move(inspector);
  st.client_node = client.node();
  st.client_name = std::move(client_name);
  st.store = std::make_unique<storage::job_store>(*ctx.db);
  st.upload_token = trust::make_nonce().substr(0, 16);
  st.upload_dir = filestore::upload_dir(ctx.files_root(), st.upload_token);
  self->monitor(client);
  self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  self->set_exit_handler([=](caf::exit_msg& msg) { self->quit(msg.reason); });
  // An idle session ends (check_idle); messages from strangers are dropped.
  self->set_default_handler(caf::drop);
  // By value: the state is gone when attached functors run.
  auto cleanup_uploads = [dir = st.upload_dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  };
  self->attach_functor(cleanup_uploads);
  check_idle(self);
  return {
      [=](tick_atom) {
        if (self->current_sender().get() != self->ctrl()) return;  // our own timer only
        check_idle(self);
      },
      [=](upload_atom, const std::string& name, int64_t offset,
          const std::string& bytes) -> caf::result<int64_t> {
        if (!from_client(self)) return refused("not your session");
        try {
          return upload(self, name, offset, bytes);
        } catch (const std::exception& e) {
          return failure(std::string{"upload: "} + e.what());
        }
      },
      [=](submit_atom, const std::string& spec) -> caf::result<int64_t> {
        if (!from_client(self)) return refused("not your session");
        // Nothing in a spec may end the session: what the checks above miss
        // is answered as an error too.
        try {
          return submit(self, spec);
        } catch (const std::exception& e) {
          spdlog::warn("session of '{}': submit refused: {}", sanitised(self->state.client_name),
                       sanitised(e.what()));
          return refused(std::string{"submit: "} + e.what());
        }
      },
      [=](status_atom, int64_t job) -> caf::result<std::string> {
        if (!from_client(self)) return refused("not your session");
        try {
          return job_json(*self->state.store, job);
        } catch (const storage::storage_error& e) {
          return failure(e.what());
        }
      },
      [=](wait_atom, int64_t job, int32_t max_ms) -> caf::result<caf::message> {
        if (!from_client(self)) return refused("not your session");
        // Waiting is not idling: the client asks again when the wait ends.
        self->state.busy_until =
            std::max(self->state.busy_until, std::chrono::steady_clock::now() +
                                                 std::chrono::milliseconds(std::max(max_ms, 0)));
        if (self->state.scheduler)
          return relay(self, self->state.scheduler,
                       std::chrono::milliseconds(std::max(max_ms, 0)) +
                           self->state.ctx.settings->cluster.request_timeout,
                       wait_atom::value, job, max_ms);
        // An extension reads the job from the database, at most once a second.
        auto token = ++self->state.next_wait;
        self->state.waits[token] = self->make_response_promise();
        auto delay = std::chrono::milliseconds(std::clamp(max_ms, 1, 1000));
        self->delayed_send(self, delay, wait_atom::value, job, token);
        return caf::message{};
      },
      [=](wait_atom, int64_t job, uint64_t token) {
        if (self->current_sender().get() != self->ctrl()) return;  // our own timer only
        auto w = self->state.waits.find(token);
        if (w == self->state.waits.end()) return;
        auto rp = std::move(w->second);
        self->state.waits.erase(w);
        try {
          rp.deliver(job_json(*self->state.store, job));
        } catch (const storage::storage_error& e) {
          rp.deliver(failure(e.what()));
        }
      },
      [=](drain_atom, const std::string& node, bool on) -> caf::result<caf::message> {
        if (!from_client(self)) return refused("not your session");
        auto& s = self->state;
        bool known = false;
        for (const auto& n : s.ctx.settings->nodes) known = known || n.name == node;
        if (!known) return refused("no node '" + node + "' in the topology");
        // The inspector takes it to the master's membership, from any node.
        auto rp = self->make_response_promise();
        self->request(s.inspector, s.ctx.settings->cluster.request_timeout * 3, inspect_atom::value,
                      std::string{on ? "drain" : "undrain"}, nlohmann::json{{"node", node}}.dump())
            .then([rp](std::string&) mutable { rp.deliver(true); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return caf::message{};
      },
      // The inspector takes it to the master's scheduler, from any node.
      [=](cancel_atom, int64_t job) -> caf::result<caf::message> {
        if (!from_client(self)) return refused("not your session");
        return relay(self, self->state.inspector, inspector_timeout(self), inspect_atom::value,
                     std::string{"cancel"}, nlohmann::json{{"id", job}}.dump());
      },
      // The shell: the node's inspector answers (and forwards what concerns others).
      [=](inspect_atom, const std::string& command,
          const std::string& args) -> caf::result<caf::message> {
        if (!from_client(self)) return refused("not your session");
        auto a = nlohmann::json::parse(args.empty() ? "{}" : args, nullptr, false);
        if (!a.is_object()) return failure(command + ": the arguments are not a JSON object");
        a["by"] = self->state.client_name;  // who changed a setting, for `settings`
        return relay(self, self->state.inspector, inspector_timeout(self), inspect_atom::value,
                     command, a.dump());
      },
      [=](fetch_atom, int64_t job, int32_t segment, int64_t offset) -> caf::result<std::string> {
        if (!from_client(self)) return refused("not your session");
        try {
          for (const auto& o : self->state.store->outputs(job)) {
            if (o.segment_no != segment) continue;
            std::ifstream in(o.path, std::ios::binary);
            if (!in) return failure("fetch: cannot read " + o.path);
            in.seekg(offset);
            std::string chunk(1u << 20, '\0');
            in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            chunk.resize(static_cast<std::size_t>(in.gcount()));
            return chunk;
          }
          return failure("fetch: job " + std::to_string(job) + " has no output " +
                         std::to_string(segment));
        } catch (const std::exception& e) {
          return failure(e.what());
        }
      },
  };
}

}  // namespace

caf::actor spawn_session(caf::actor_system& sys, const node_context& ctx,
                         const caf::actor& scheduler, const caf::actor& inspector,
                         const caf::actor& client, const std::string& client_name) {
  return sys.spawn<caf::detached>(session, ctx, scheduler, inspector, client, client_name);
}

}  // namespace weft::actors
