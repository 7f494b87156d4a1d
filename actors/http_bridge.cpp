// The REST API's bridge to the node's actors (http_bridge.hpp).

#include "actors/http_bridge.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/http/api.hpp"
#include "actors/protocol.hpp"
#include "actors/trust/log_text.hpp"

namespace weft::actors {

namespace {

/// A route's continuation, called from the bridge's thread with the answer.
struct http_callback {
  std::function<void(bool ok, std::string text)> fn;
};
using http_callback_ptr = std::shared_ptr<http_callback>;

}  // namespace

}  // namespace weft::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weft::actors::http_callback_ptr)

namespace weft::actors {

namespace {

void call(const http_callback_ptr& cb, bool ok, std::string text) {
  try {
    cb->fn(ok, std::move(text));
  } catch (const std::exception& e) {
    spdlog::error("http bridge: a route's continuation failed: {}", trust::log_text(e.what(), 200));
  }
}

struct bridge_state {
  static inline const char* name = "http-bridge";
};

/// Local only: its handle never leaves the node (not published, never sent),
/// and the API's threads reach it with anonymous messages.
caf::behavior bridge(caf::stateful_actor<bridge_state>* self, node_context ctx,
                     caf::actor inspector, caf::actor scheduler) {
  // A failed request must not end the bridge.
  self->set_error_handler([](caf::error&) {});
  auto timeout = std::chrono::duration_cast<caf::timespan>(ctx.settings->http.request_timeout);
  return {
      [=](inspect_atom, const std::string& command, const std::string& args,
          const http_callback_ptr& cb) {
        if (self->current_sender() && self->current_sender()->node() != self->node()) return;
        // A long poll (GET /v1/jobs/{id}?wait=S) is held up to http::max_job_wait longer.
        auto t = command == "wait"
                     ? timeout + std::chrono::duration_cast<caf::timespan>(http::max_job_wait)
                     : timeout;
        self->request(inspector, t, inspect_atom::value, command, args)
            .then([cb](std::string& answer) { call(cb, true, std::move(answer)); },
                  [self, cb, command](caf::error& err) {
                    auto text = err == caf::sec::request_timeout
                                    ? "the node's actors did not answer '" + command +
                                          "' in time ([http] request_timeout)"
                                    : self->system().render(err);
                    call(cb, false, std::move(text));
                  });
      },
      [=](submitted_atom, int64_t job, const std::string& options, int64_t mapped) {
        if (self->current_sender() && self->current_sender()->node() != self->node()) return;
        if (scheduler) self->send(scheduler, submitted_atom::value, job, options, mapped);
      },
  };
}

}  // namespace

struct http_bridge::impl {
  caf::actor actor;
};

http_bridge::http_bridge(caf::actor_system& sys, const node_context& ctx,
                         const caf::actor& inspector, const caf::actor& scheduler)
    : impl_(std::make_unique<impl>()) {
  impl_->actor = sys.spawn(bridge, ctx, inspector, scheduler);
}

http_bridge::~http_bridge() = default;

void http_bridge::ask(const std::string& command, const std::string& args_json,
                      std::function<void(bool ok, std::string text)> done) {
  auto cb = std::make_shared<http_callback>(http_callback{std::move(done)});
  caf::anon_send(impl_->actor, inspect_atom::value, command, args_json, cb);
}

void http_bridge::submitted(int64_t job, const std::string& options_json, int64_t mapped_records) {
  caf::anon_send(impl_->actor, submitted_atom::value, job, options_json, mapped_records);
}

const caf::actor& http_bridge::actor() const { return impl_->actor; }

}  // namespace weft::actors
