// Internal: what a Transport's connections share: the options, the io_context and the registry of
// live connections.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "net/transport_options.hpp"
#include "net/worker_reads.hpp"

namespace actr::net::detail {

class Connection;

struct Context {
  Context(TransportOptions o, boost::asio::io_context& io)
      : options(std::move(o)), ioc(io), admission(options.inbound_limits) {}

  TransportOptions options;
  boost::asio::io_context& ioc;  // owned by the Transport, which outlives every connection
  std::string advertised_address;
  std::unique_ptr<boost::asio::ssl::context> server_tls;  // set: inbound connections use TLS
  std::unique_ptr<boost::asio::ssl::context> client_tls;  // for wss:// peers
  ConnectionAdmission admission;                          // inbound connections
  // Raw-mode connections that workers may read (null: TransportOptions::worker_reads is off).
  std::shared_ptr<WorkerReads> worker_reads;

  std::mutex mutex;  // guards what follows
  bool stopped = false;
  std::unordered_set<std::shared_ptr<Connection>> connections;

  // Bumped by Transport::refresh_credentials(); a connection that presented an older credential
  // sends the current one.
  std::atomic<uint64_t> credential_generation{0};
  std::atomic<uint64_t> opened{0};            // outbound connections started
  std::atomic<uint64_t> accepted{0};          // inbound connections accepted
  std::atomic<uint64_t> batches{0};           // Batch messages written
  std::atomic<uint64_t> batched{0};           // frames written inside them
  std::atomic<uint64_t> carried{0};           // connections over a carrier attached
  std::atomic<uint64_t> carried_requests{0};  // requests sent on them
  std::atomic<uint64_t> direct_writes{0};     // frames a sender wrote to the socket itself
  std::atomic<uint64_t> deferred_writes{0};   // direct writes the socket did not take whole

  void add(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mutex);
    connections.insert(c);
  }
  void remove(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mutex);
    connections.erase(c);
  }
};

}  // namespace actr::net::detail
