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
  // Trickle: the description went out, and candidates found from now on go one by one (on the
  // loop only).
  bool trickle = false;
  bool described = false;

  void describe(bool complete) {
    if (!events.on_gathered) return;
    gchar* sdp = nice_agent_generate_local_sdp(agent);
    std::string description = sdp ? sdp : "";
    g_free(sdp);
    events.on_gathered(std::move(description), complete);
  }

  static void on_gathering_done(NiceAgent*, guint stream, gpointer self) {
    auto* a = static_cast<Agent*>(self);
    if (stream != a->stream) return;
    if (!a->trickle) return a->describe(true);
    if (a->events.on_candidate) a->events.on_candidate("");
  }

  static void on_new_candidate(NiceAgent* agent, NiceCandidate* candidate, gpointer self) {
    auto* a = static_cast<Agent*>(self);
    // Before the description, a candidate is in it.
    if (!a->trickle || !a->described || candidate->stream_id != a->stream) return;
    if (candidate->component_id != kComponent || !a->events.on_candidate) return;
    gchar* line = nice_agent_generate_local_candidate_sdp(agent, candidate);
    std::string text = line ? line : "";
    g_free(line);
    if (!text.empty()) a->events.on_candidate(std::move(text));
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
    // ice-trickle: the checks fail for want of a pair only once the peer said it has no more
    // candidates (add_remote_candidate("") or a complete description).
    g_object_set(a->agent, "controlling-mode", a->options.controlling ? TRUE : FALSE, "upnp", FALSE,
                 "ice-tcp", FALSE, "force-relay", a->options.relay_only ? TRUE : FALSE,
                 "ice-trickle", TRUE, nullptr);
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
    g_signal_connect(a->agent, "new-candidate-full", G_CALLBACK(Agent::on_new_candidate), a.get());
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

Result<void> IceTransport::gather(bool trickle) {
  bool ok = false;
  Agent* a = agent_.get();
  a->loop->run_sync([&] {
    a->trickle = trickle;
    ok = nice_agent_gather_candidates(a->agent, a->stream);
    if (!ok || !trickle) return;
    // Host candidates are there once gathering starts; the rest trickles.
    a->described = true;
    a->describe(false);
  });
  if (!ok) return make_error("ice: gathering did not start (no usable local address)");
  return {};
}

Result<void> IceTransport::set_remote_description(const std::string& description, bool complete) {
  int added = -1;
  Agent* a = agent_.get();
  a->loop->run_sync([&] {
    added = nice_agent_parse_remote_sdp(a->agent, description.c_str());
    if (added >= 0 && complete) nice_agent_peer_candidate_gathering_done(a->agent, a->stream);
  });
  if (added < 0) return make_error("ice: the peer's description is not valid");
  return {};
}

Result<void> IceTransport::add_remote_candidate(const std::string& candidate) {
  std::string error;
  Agent* a = agent_.get();
  a->loop->run_sync([&] {
    if (candidate.empty()) {
      nice_agent_peer_candidate_gathering_done(a->agent, a->stream);
      return;
    }
    NiceCandidate* c =
        nice_agent_parse_remote_candidate_sdp(a->agent, a->stream, candidate.c_str());
    if (!c) {
      error = "ice: not a candidate: " + candidate.substr(0, 120);
      return;
    }
    GSList* list = g_slist_append(nullptr, c);
    if (nice_agent_set_remote_candidates(a->agent, a->stream, c->component_id, list) < 0) {
      error = "ice: the candidate was not taken: " + candidate.substr(0, 120);
    }
    g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(nice_candidate_free));
  });
  if (!error.empty()) return make_error(error);
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
    a->describe(true);
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
