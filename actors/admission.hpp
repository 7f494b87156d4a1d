#pragma once

// Who an actor obeys (docs/cluster.md, "Security").
//
// Any peer connected to a node can address every actor whose handle ever
// crossed the wire (CAF 0.17's BASP keeps them by small sequential ids). So
// each actor reachable from the wire checks every message: it obeys this node's
// own actors and the nodes the handshake admitted (peer_set.hpp), and drops the
// rest without an answer, logging the refusal (rate-limited, escaped). Exit
// messages are obeyed only from this node (or when the node stops).
//
// `only_trusted(...)` wraps a handler; `trusted_behavior(...)` wraps all of an
// actor's handlers; `harden(self, ...)` installs the default and exit handlers.
//
// What this does not do: BASP takes the source of a *routed* message from its
// payload, so a peer able to speak BASP can claim another node's identity.
// That is why every connection that leaves the machine must be mutual TLS
// (only certificate holders speak BASP at all); this check keeps plain
// strangers on a loopback or test port, and misdirected peers, out.

#include <caf/all.hpp>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "actors/errors.hpp"
#include "actors/node_context.hpp"

namespace weft::actors {

/// Whether the message `self` handles now comes from this node or from an
/// admitted peer. A refusal is logged (once a minute per peer, actor and
/// message kind; the peer's text escaped and cut).
bool trusted_sender(caf::local_actor* self, const peer_set& peers, const char* actor);

/// Installs on `self`: unknown messages are dropped without an answer (logged
/// as above); an exit message ends it only if it comes from this node or the
/// node is stopping.
void harden(caf::scheduled_actor* self, const node_context& ctx, const char* actor);

/// Whether `element`, about to enter the mailbox of `self`, is a system message
/// (exit, down) that must not reach it: CAF 0.17 obeys an exit message with
/// reason `kill` before any handler sees it, so a stranger's would end the
/// actor. Such messages are accepted from this node's actors and from admitted
/// peers (a remote actor's proxy reports its end as a down message), and
/// anonymous ones only while the node stops. A dropped one is logged.
bool foreign_system_message(const caf::local_actor* self, const caf::mailbox_element& element,
                            const node_context& ctx, bool any_down = false);

/// Whether `State` declares `static constexpr bool any_down = true`: its actor takes
/// down messages from any node (its down handler does nothing a stranger could abuse:
/// the agent's, which must hear that the master it is handshaking with went away
/// before that master is admitted).
template <class State, class = void>
struct takes_any_down : std::false_type {};
template <class State>
struct takes_any_down<State, std::void_t<decltype(State::any_down)>>
    : std::bool_constant<State::any_down> {};

/// A stateful actor whose mailbox refuses foreign system messages (above). It
/// runs `init(self, ctx, xs...)` as its behaviour, like a function-based
/// actor: `sys.spawn<hardened_actor<State, Ts...>>(init, ctx, xs...)`.
template <class State, class... Ts>
class hardened_actor : public caf::stateful_actor<State> {
 public:
  using super = caf::stateful_actor<State>;
  using init_fn = caf::behavior (*)(super*, node_context, Ts...);

  hardened_actor(caf::actor_config& cfg, init_fn init, node_context ctx, Ts... xs)
      : super(cfg), init_(init), ctx_(std::move(ctx)), args_(std::move(xs)...) {}

  caf::behavior make_behavior() override {
    return std::apply([this](Ts&... xs) { return init_(this, ctx_, std::move(xs)...); }, args_);
  }

  using super::enqueue;
  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    if (ptr && foreign_system_message(this, *ptr, ctx_, takes_any_down<State>::value)) return;
    super::enqueue(std::move(ptr), eu);
  }

 private:
  init_fn init_;
  node_context ctx_;
  std::tuple<Ts...> args_;
};

template <class T>
struct same_type {
  using type = T;
};

/// Spawns `init` as a hardened_actor (detached when `detached`).
template <class State, class... Ts>
caf::actor spawn_hardened(caf::actor_system& sys, bool detached,
                          caf::behavior (*init)(caf::stateful_actor<State>*, node_context, Ts...),
                          const node_context& ctx, typename same_type<Ts>::type... xs) {
  using impl = hardened_actor<State, Ts...>;
  if (detached) return sys.spawn<impl, caf::detached>(init, ctx, std::move(xs)...);
  return sys.spawn<impl>(init, ctx, std::move(xs)...);
}

namespace detail {

/// What a handler returning R answers when the message is refused (nothing)
/// or when it threw (an error, if R can carry one).
template <class R>
struct refusal {
  using type = caf::result<R>;
  static type none() { return caf::delegated<R>{}; }
  static type failed(const std::string& why) { return failure(why); }
};
template <>
struct refusal<void> {
  using type = void;
  static void none() {}
  static void failed(const std::string&) {}
};
template <class... Ts>
struct refusal<caf::result<Ts...>> {
  using type = caf::result<Ts...>;
  static type none() { return caf::delegated<Ts...>{}; }
  static type failed(const std::string& why) { return failure(why); }
};
template <class... Ts>
struct refusal<caf::delegated<Ts...>> {
  using type = caf::delegated<Ts...>;
  static type none() { return {}; }
  static type failed(const std::string&) { return {}; }
};

/// Logs an exception a handler of `actor` threw (sanitised, cut) with the
/// message it was handling; the actor goes on.
void log_handler_exception(caf::local_actor* self, const char* actor, const char* what);

template <class F, class... Ts>
auto only_trusted(caf::local_actor* self, std::shared_ptr<peer_set> peers, const char* actor, F f,
                  caf::detail::type_list<Ts...>) {
  using R = typename caf::detail::get_callable_trait<F>::result_type;
  using answer = refusal<R>;
  return [self, peers = std::move(peers), actor, f = std::move(f)](Ts... xs) mutable ->
         typename answer::type {
           if (!trusted_sender(self, *peers, actor)) return answer::none();
           // No handler lets an exception escape: CAF would end the actor.
           try {
             return f(std::forward<Ts>(xs)...);
           } catch (const std::exception& e) {
             log_handler_exception(self, actor, e.what());
             return answer::failed(std::string{actor} + ": cannot handle the message: " + e.what());
           }
         };
}

}  // namespace detail

/// `handler`, run only for messages from this node or an admitted peer; an
/// exception it throws is logged and answered with an error.
template <class F>
auto only_trusted(caf::local_actor* self, const node_context& ctx, const char* actor, F handler) {
  using args = typename caf::detail::get_callable_trait<F>::arg_types;
  return detail::only_trusted(self, ctx.peers, actor, std::move(handler), args{});
}

/// A behaviour of `handlers`, each run only for trusted senders.
template <class... Fs>
caf::behavior trusted_behavior(caf::local_actor* self, const node_context& ctx, const char* actor,
                               Fs... handlers) {
  return caf::behavior{only_trusted(self, ctx, actor, std::move(handlers))...};
}

}  // namespace weft::actors
