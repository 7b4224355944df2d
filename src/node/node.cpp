// The embedding facade (include/actr/node/node.hpp) over the runtime's Node.
#include "actr/node/node.hpp"

#include "runtime/config.hpp"
#include "runtime/node.hpp"
#include "runtime/shell.hpp"
#include "workload/actr_error.hpp"
#include "workload/ids.hpp"

namespace actr::node {
namespace {

std::string_view state_name(runtime::Actor::State state) {
  using State = runtime::Actor::State;
  switch (state) {
    case State::Created:
      return "created";
    case State::Starting:
      return "starting";
    case State::Running:
      return "running";
    case State::Restarting:
      return "restarting";
    case State::Failed:
      return "failed";
    case State::Stopping:
      return "stopping";
    case State::Stopped:
      return "stopped";
  }
  return "unknown";
}

Reply reply_of(workload::CallResult result) {
  Reply reply;
  if (result.is_ok()) {
    reply.payload = std::move(result.value());
  } else {
    reply.error_kind = std::string(workload::case_name(result.error()));
    reply.error = workload::message_of(result.error());
  }
  return reply;
}

Reply reply_of(const workload::Status& status) {
  Reply reply;
  if (!status.is_ok()) {
    reply.error_kind = std::string(workload::case_name(status.error()));
    reply.error = workload::message_of(status.error());
  }
  return reply;
}

// The program's shell handler, in the runtime's terms. A Reply whose error_kind is no case of
// actr-error reaches the actor as `internal`, with the kind in the message.
runtime::ShellHandler runtime_shell(ShellHandler shell) {
  return [shell = std::move(shell)](runtime::ShellRequest request,
                                    std::function<void(workload::CallResult)> answer) {
    ShellCall call{request.caller ? workload::to_string(*request.caller) : std::string(),
                   std::move(request.route_key), std::move(request.payload)};
    shell(std::move(call), [answer = std::move(answer)](Reply reply) {
      if (reply.ok()) {
        answer(workload::CallResult::Ok(std::move(reply.payload)));
      } else {
        answer(workload::CallResult::Err(
            workload::error_named(reply.error_kind, std::move(reply.error))));
      }
    });
  };
}

}  // namespace

struct Node::Impl {
  std::unique_ptr<runtime::Node> node;

  // A nested class reaches Node's private constructor, so the public header names no runtime type.
  static Result<std::unique_ptr<Node>> create(runtime::NodeConfig config, Options options);
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

Result<std::unique_ptr<Node>> Node::Impl::create(runtime::NodeConfig config, Options options) {
  runtime::NodeOptions node_options;
  node_options.engine_cache_dir = std::move(options.cache_dir);
  node_options.on_compile = std::move(options.on_compile);
  if (options.shell) node_options.shell = runtime_shell(std::move(options.shell));
  ACTR_TRY(auto node, runtime::Node::create(std::move(config), std::move(node_options)));
  auto impl = std::make_unique<Impl>();
  impl->node = std::move(node);
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Result<std::unique_ptr<Node>> Node::load(const std::filesystem::path& actr_toml, Options options) {
  ACTR_TRY(runtime::NodeConfig config, runtime::load_config(actr_toml));
  return Impl::create(std::move(config), std::move(options));
}

Result<std::unique_ptr<Node>> Node::from_toml(std::string_view toml,
                                              const std::filesystem::path& base_dir,
                                              Options options) {
  ACTR_TRY(runtime::NodeConfig config, runtime::parse_config(toml, base_dir));
  return Impl::create(std::move(config), std::move(options));
}

Result<void> Node::start() { return impl_->node->start(); }
void Node::stop() { impl_->node->stop(); }

Reply Node::call(std::string_view target, std::string_view route, Bytes payload) {
  return reply_of(impl_->node->call_sync(target, std::string(route), std::move(payload)));
}

void Node::call_async(std::string_view target, std::string_view route, Bytes payload,
                      std::function<void(Reply)> done) {
  impl_->node->call(
      target, std::string(route), std::move(payload),
      [done = std::move(done)](workload::CallResult result) { done(reply_of(std::move(result))); });
}

Reply Node::tell(std::string_view target, std::string_view route, Bytes payload) {
  return reply_of(impl_->node->tell_sync(target, std::string(route), std::move(payload)));
}

std::vector<ActorStatus> Node::actors() const {
  std::vector<ActorStatus> out;
  for (const auto& actor : impl_->node->actors()) {
    ActorStatus status;
    status.name = actor->config().name;
    status.id = workload::to_string(actor->id());
    status.type = workload::to_string(actor->config().type);
    status.state = std::string(state_name(actor->state()));
    status.tier = actor->tier();
    if (auto failure = actor->failure()) status.failure = failure->reason;
    out.push_back(std::move(status));
  }
  return out;
}

bool Node::healthy() const { return impl_->node->healthy(); }
std::vector<std::string> Node::problems() const { return impl_->node->health_problems(); }
std::string Node::metrics_text() const { return impl_->node->metrics_registry().render(); }

}  // namespace actr::node
