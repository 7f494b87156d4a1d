// Who an actor obeys (admission.hpp).

#include "actors/admission.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include "actors/errors.hpp"
#include "actors/trust/refusal_log.hpp"

namespace weft::actors {

namespace {

/// Logs `line` at most once a minute per `key` (trust::refusal_log, shared by
/// every hardened actor of the process, hence the mutex); the first line logged
/// after a quiet minute says how many were left out.
void log_rate_limited(const std::string& key, const std::string& line) {
  static std::mutex mutex;
  static trust::refusal_log refusals(1, std::chrono::minutes(1), 4096);
  uint64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!refusals.allow(key, trust::refusal_log::clock::now(), suppressed)) return;
  }
  if (suppressed == 0)
    spdlog::warn("{}", line);
  else
    spdlog::warn("{} ({} more like it not logged)", line, suppressed);
}

/// The first element of the message being handled, if it is an atom: what the
/// message asks for.
std::string message_kind(caf::local_actor* self) {
  auto* e = self->current_mailbox_element();
  if (!e) return "?";
  const auto& content = e->content();
  if (content.size() > 0 && content.match_element<caf::atom_value>(0))
    return caf::to_string(content.get_as<caf::atom_value>(0));
  return sanitised(to_string(content), 60);
}

void refuse(const char* actor, const std::string& from, const std::string& kind) {
  log_rate_limited(std::string(actor) + '\n' + from + '\n' + kind,
                   std::string("refused '") + sanitised(kind, 40) + "' to " + actor + " from " +
                       from + ": not this node and not admitted (dropped, no answer)");
}

std::string describe_sender(const caf::strong_actor_ptr& sender) {
  if (!sender) return "an anonymous sender";
  return "node " + sanitised(caf::to_string(sender->node()), 80);
}

}  // namespace

namespace detail {

void log_handler_exception(caf::local_actor* self, const char* actor, const char* what) {
  spdlog::error("{}: message '{}' failed and was dropped: {}", actor, message_kind(self),
                sanitised(what));
}

}  // namespace detail

bool trusted_sender(caf::local_actor* self, const peer_set& peers, const char* actor) {
  const auto& sender = self->current_sender();
  if (sender) {
    if (sender->node() == self->node()) return true;
    if (peers.find(caf::to_string(sender->node()))) return true;
  }
  refuse(actor, describe_sender(sender), message_kind(self));
  return false;
}

bool foreign_system_message(const caf::local_actor* self, const caf::mailbox_element& element,
                            const node_context& ctx, bool any_down) {
  const auto& content = element.content();
  bool is_exit = content.match_elements<caf::exit_msg>();
  if (!is_exit && !content.match_elements<caf::down_msg>()) return false;
  if (!is_exit && any_down) return false;
  const auto& sender = element.sender;
  if (sender) {
    if (sender->node() == self->node()) return false;
    if (ctx.peers->find(caf::to_string(sender->node()))) return false;
  } else if (is_exit && ctx.stopping->load()) {
    return false;
  }
  log_rate_limited(std::string(self->name()) + "\nsystem\n" + describe_sender(sender),
                   std::string(self->name()) + ": dropped " + (is_exit ? "an exit" : "a down") +
                       " message from " + describe_sender(sender) +
                       ": not this node and not admitted");
  return true;
}

void harden(caf::scheduled_actor* self, const node_context& ctx, const char* actor) {
  self->set_default_handler(
      [actor](caf::scheduled_actor* s, caf::message_view& x) -> caf::result<caf::message> {
        auto sender = s->current_sender();
        auto content = x.move_content_to_message();
        std::string kind = content.size() > 0 && content.match_element<caf::atom_value>(0)
                               ? caf::to_string(content.get_as<caf::atom_value>(0))
                               : to_string(content);
        log_rate_limited(std::string(actor) + "\nunexpected\n" + describe_sender(sender),
                         std::string(actor) + ": dropped an unexpected message " +
                             sanitised(kind, 60) + " from " + describe_sender(sender));
        return caf::delegated<caf::message>{};  // no answer
      });
  auto stopping = ctx.stopping;
  self->set_exit_handler([actor, stopping](caf::scheduled_actor* s, caf::exit_msg& msg) {
    if (!msg.reason) return;  // a linked actor ended normally
    const auto& sender = s->current_sender();
    if ((sender && sender->node() == s->node()) || stopping->load()) {
      s->quit(std::move(msg.reason));
      return;
    }
    log_rate_limited(
        std::string(actor) + "\nexit\n" + describe_sender(sender),
        std::string(actor) + ": ignored an exit message from " + describe_sender(sender));
  });
}

}  // namespace weft::actors
