#include "runtime/network/recent_requests.hpp"

namespace actr::runtime {

std::string RecentRequests::key(const workload::Message& m) {
  if (!m.caller || m.request_id.empty()) return {};
  return std::to_string(m.caller->realm.realm_id) + ":" + std::to_string(m.caller->serial_number) +
         "|" + m.request_id;
}

void RecentRequests::expire(std::chrono::steady_clock::time_point now) {
  while (!order_.empty() && (now - order_.front().first > keep_ || order_.size() > max_entries_ ||
                             bytes_ > max_bytes_)) {
    if (auto it = entries_.find(order_.front().second); it != entries_.end()) {
      bytes_ -= it->second.bytes;
      entries_.erase(it);
    }
    order_.pop_front();
  }
}

bool RecentRequests::repeat(const std::string& key, const net::Responder& responder, bool call,
                            bool remember) {
  if (key.empty()) return false;
  std::unique_lock lock(mu_);
  auto now = std::chrono::steady_clock::now();
  expire(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (remember) {
      entries_[key].call = call;
      order_.emplace_back(now, key);
    }
    return false;
  }
  Entry& e = it->second;
  if (e.reply) {
    auto r = *e.reply;
    lock.unlock();
    responder.reply(std::move(r));
  } else if (e.accepted && (!e.call || e.accepted->is_err())) {
    auto s = *e.accepted;
    lock.unlock();
    responder.accept(std::move(s));
  } else {
    e.waiting.push_back(responder);
  }
  return true;
}

void RecentRequests::accepted(const std::string& key, const workload::Status& status) {
  std::vector<net::Responder> answer;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    e.accepted = status;
    if (!e.call || status.is_err()) answer.swap(e.waiting);
  }
  for (auto& r : answer) r.accept(status);
}

void RecentRequests::replied(const std::string& key, const workload::CallResult& result) {
  std::vector<net::Responder> answer;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    it->second.reply = result;
    it->second.bytes = result.is_ok() ? result.value().size() : 0;
    bytes_ += it->second.bytes;
    answer.swap(it->second.waiting);
  }
  for (auto& r : answer) r.reply(result);
}

size_t RecentRequests::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace actr::runtime
