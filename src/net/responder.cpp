// Responder (responder.hpp): answers one received request over the connection it came on.

#include "net/responder.hpp"

#include <atomic>

#include "net/connection.hpp"
#include "net/wire.hpp"

namespace actr::net {

struct Responder::State {
  std::weak_ptr<detail::Connection> connection;
  uint64_t id = 0;
  bool call = false;
  std::atomic<int> stage{0};  // 0 nothing sent, 1 accepted (call awaiting its reply), 2 done

  ~State() {
    int s = stage.load();
    if (s == 2) return;
    auto dropped = ActrError::internal("request dropped unanswered by the receiving node");
    if (s == 0)
      send_accepted(Status::Err(dropped));
    else
      send_reply(CallResult::Err(dropped));
  }

  void send_accepted(const Status& status) {
    auto c = connection.lock();
    if (!c) return;
    transport::Frame frame;
    frame.set_version(wire::kProtocolVersion);
    auto* a = frame.mutable_accepted();
    a->set_id(id);
    if (status.is_err()) *a->mutable_error() = wire::to_proto(status.error());
    c->send_answer(wire::serialize(frame), /*last=*/!call || status.is_err());
  }

  void send_reply(const CallResult& result) {
    auto c = connection.lock();
    if (!c) return;
    transport::Frame frame;
    frame.set_version(wire::kProtocolVersion);
    auto* r = frame.mutable_reply();
    r->set_id(id);
    if (result.is_ok())
      r->set_ok(std::string(result.value().begin(), result.value().end()));
    else
      *r->mutable_error() = wire::to_proto(result.error());
    c->send_answer(wire::serialize(frame), /*last=*/true);
  }
};

bool Responder::is_call() const { return state_ && state_->call; }

void Responder::accept(Status status) const {
  if (!state_) return;
  int expected = 0;
  int next = (state_->call && status.is_ok()) ? 1 : 2;
  if (!state_->stage.compare_exchange_strong(expected, next)) return;
  state_->send_accepted(status);
}

void Responder::reply(CallResult result) const {
  if (!state_ || !state_->call) return;
  int s = state_->stage.load();
  while (s != 2) {
    if (state_->stage.compare_exchange_weak(s, 2)) {
      // Without an earlier accept the Reply alone answers: it implies acceptance.
      state_->send_reply(result);
      return;
    }
  }
}
Responder Responder::for_request(std::weak_ptr<detail::Connection> connection, uint64_t id,
                                 bool call) {
  auto state = std::make_shared<State>();
  state->connection = std::move(connection);
  state->id = id;
  state->call = call;
  return Responder(std::move(state));
}

}  // namespace actr::net
