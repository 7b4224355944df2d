#include "webrtc/ice_transport.hpp"

#include <agent.h>
#include <glib.h>

#include <atomic>
#include <mutex>

namespace actr::webrtc {
namespace {

constexpr guint kComponent = 1;  // data channels need one component (RTP/RTCP muxing)

IceState state_of(guint nice_state) {
  switch (nice_state) {
    case NICE_COMPONENT_STATE_DISCONNECTED:
      return IceState::New;
    case NICE_COMPONENT_STATE_GATHERING:
      return IceState::Gathering;
    case NICE_COMPONENT_STATE_CONNECTING:
      return IceState::Connecting;
    case NICE_COMPONENT_STATE_CONNECTED:
      return IceState::Connected;
    case NICE_COMPONENT_STATE_READY:
      return IceState::Ready;
    case NICE_COMPONENT_STATE_FAILED:
      return IceState::Failed;
    default:
      return IceState::Failed;
  }
}

}  // namespace

const char* to_string(IceState state) {
  switch (state) {
    case IceState::New:
      return "new";
    case IceState::Gathering:
      return "gathering";
    case IceState::Connecting:
      return "connecting";
    case IceState::Connected:
      return "connected";
    case IceState::Ready:
      return "ready";
    case IceState::Failed:
      return "failed";
    case IceState::Closed:
      return "closed";
  }
  return "unknown";
}

struct IceTransport::Agent {
  GlibLoop* loop = nullptr;
  IceOptions options;
  IceEvents events;
  NiceAgent* agent = nullptr;
  guint stream = 0;
  std::atomic<IceState> state{IceState::New};
  std::atomic<int> relayed{-1};  // -1: no selected pair yet

  static void on_gathering_done(NiceAgent* agent, guint stream, gpointer self) {
    auto* a = static_cast<Agent*>(self);
    if (stream != a->stream || !a->events.on_gathered) return;
    gchar* sdp = nice_agent_generate_local_sdp(agent);
    std::string description = sdp ? sdp : "";
    g_free(sdp);
    a->events.on_gathered(std::move(description));
  }

  static void on_state_changed(NiceAgent*, guint stream, guint component, guint nice_state,
                               gpointer self) {
    auto* a = static_cast<Agent*>(self);
    if (stream != a->stream || component != kComponent) return;
    IceState s = state_of(nice_state);
    a->state = s;
    if (a->events.on_state) a->events.on_state(s);
  }

  static void on_selected_pair(NiceAgent*, guint stream, guint component, NiceCandidate* local,
                               NiceCandidate* remote, gpointer self) {
    auto* a = static_cast<Agent*>(self);
    if (stream != a->stream || component != kComponent) return;
    bool relayed =
        local->type == NICE_CANDIDATE_TYPE_RELAYED || remote->type == NICE_CANDIDATE_TYPE_RELAYED;
    a->relayed = relayed ? 1 : 0;
    if (a->events.on_selected_pair) a->events.on_selected_pair(relayed);
  }

  static void on_receive(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer self) {
    auto* a = static_cast<Agent*>(self);
    if (a->events.on_datagram) {
      a->events.on_datagram(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf), len));
    }
  }
};

Result<std::unique_ptr<IceTransport>> IceTransport::create(GlibLoop& loop, IceOptions options,
                                                           IceEvents events) {
  auto a = std::make_unique<Agent>();
  a->loop = &loop;
  a->options = std::move(options);
  a->events = std::move(events);
  std::string error;
  loop.run_sync([&] {
    a->agent = nice_agent_new(loop.context(), NICE_COMPATIBILITY_RFC5245);
    if (!a->agent) {
      error = "ice: cannot create an agent";
      return;
    }
    // No UPnP port mappings and no ICE-TCP: the node never asks a router for anything.
    g_object_set(a->agent, "controlling-mode", a->options.controlling ? TRUE : FALSE, "upnp", FALSE,
                 "ice-tcp", FALSE, "force-relay", a->options.relay_only ? TRUE : FALSE, nullptr);
    for (const std::string& ip : a->options.local_addresses) {
      NiceAddress address;
      nice_address_init(&address);
      if (!nice_address_set_from_string(&address, ip.c_str())) {
        error = "ice: not an IP address: " + ip;
        return;
      }
      nice_agent_add_local_address(a->agent, &address);
    }
    a->stream = nice_agent_add_stream(a->agent, 1);
    if (a->stream == 0) {
      error = "ice: cannot add a stream";
      return;
    }
    nice_agent_set_stream_name(a->agent, a->stream, "application");
    if (a->options.turn) {
      const TurnServer& t = *a->options.turn;
      if (!nice_agent_set_relay_info(a->agent, a->stream, kComponent, t.address.c_str(), t.port,
                                     t.username.c_str(), t.password.c_str(),
                                     NICE_RELAY_TYPE_TURN_UDP)) {
        error = "ice: the TURN server is not usable: " + t.address;
        return;
      }
    }
    g_signal_connect(a->agent, "candidate-gathering-done", G_CALLBACK(Agent::on_gathering_done),
                     a.get());
    g_signal_connect(a->agent, "component-state-changed", G_CALLBACK(Agent::on_state_changed),
                     a.get());
    g_signal_connect(a->agent, "new-selected-pair-full", G_CALLBACK(Agent::on_selected_pair),
                     a.get());
    nice_agent_attach_recv(a->agent, a->stream, kComponent, loop.context(), Agent::on_receive,
                           a.get());
  });
  if (!error.empty()) {
    if (a->agent) {
      loop.run_sync([&] { g_object_unref(a->agent); });
    }
    return make_error(error);
  }
  return std::unique_ptr<IceTransport>(new IceTransport(std::move(a)));
}

IceTransport::IceTransport(std::unique_ptr<Agent> agent) : agent_(std::move(agent)) {}

IceTransport::~IceTransport() {
  Agent* a = agent_.get();
  a->loop->run_sync([a] {
    // Disconnects the handlers first: no event may reach `a` once it is gone.
    g_signal_handlers_disconnect_by_data(a->agent, a);
    nice_agent_attach_recv(a->agent, a->stream, kComponent, a->loop->context(), nullptr, nullptr);
    nice_agent_remove_stream(a->agent, a->stream);
    // Closing releases the TURN allocations (a refresh with lifetime 0) before the agent goes.
    a->loop->begun();
    nice_agent_close_async(
        a->agent,
        [](GObject* agent, GAsyncResult*, gpointer loop) {
          g_object_unref(agent);
          static_cast<GlibLoop*>(loop)->ended();
        },
        a->loop);
    a->state = IceState::Closed;
  });
}

Result<void> IceTransport::gather() {
  bool ok = false;
  Agent* a = agent_.get();
  a->loop->run_sync([&] { ok = nice_agent_gather_candidates(a->agent, a->stream); });
  if (!ok) return make_error("ice: gathering did not start (no usable local address)");
  return {};
}

Result<void> IceTransport::set_remote_description(const std::string& description) {
  int added = -1;
  Agent* a = agent_.get();
  a->loop->run_sync([&] { added = nice_agent_parse_remote_sdp(a->agent, description.c_str()); });
  if (added < 0) return make_error("ice: the peer's description is not valid");
  return {};
}

Result<void> IceTransport::send(std::span<const uint8_t> datagram) {
  IceState s = agent_->state.load();
  if (s != IceState::Connected && s != IceState::Ready) {
    return make_error(std::string("ice: not connected (") + to_string(s) + ")");
  }
  // nice_agent_send is thread-safe: no hop to the loop for the data path.
  gint sent = nice_agent_send(agent_->agent, agent_->stream, kComponent,
                              static_cast<guint>(datagram.size()),
                              reinterpret_cast<const gchar*>(datagram.data()));
  if (sent < 0 || static_cast<size_t>(sent) != datagram.size()) {
    return make_error("ice: the datagram was not sent");
  }
  return {};
}

Result<void> IceTransport::restart() {
  bool ok = false;
  Agent* a = agent_.get();
  // New credentials over the candidates gathered before (libnice keeps them): the new
  // description goes out at once, on the loop like every event (and never after the agent).
  a->loop->run_sync([&] {
    ok = nice_agent_restart(a->agent);
    if (!ok) return;
    a->relayed = -1;
    Agent::on_gathering_done(a->agent, a->stream, a);
  });
  if (!ok) return make_error("ice: restart refused");
  return {};
}

IceState IceTransport::state() const { return agent_->state.load(); }

std::optional<bool> IceTransport::relayed() const {
  int r = agent_->relayed.load();
  if (r < 0) return std::nullopt;
  return r == 1;
}

}  // namespace actr::webrtc
