#include "fake_backend.hpp"

#include <stdexcept>

#include "gateway/error_mapping.hpp"

namespace actr::gateway::test {

FakeBackend::FakeBackend() : worker_([this] { run_delayed(); }) {}

FakeBackend::~FakeBackend() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void FakeBackend::call(std::string target, std::string route_key, std::vector<uint8_t> payload,
                       std::function<void(CallResult)> done) {
  ++calls;
  if (route_key == "echo") return done(CallResult::Ok(std::move(payload)));
  if (route_key == "who") {
    std::string text = target + "|" + route_key;
    return done(CallResult::Ok(std::vector<uint8_t>(text.begin(), text.end())));
  }
  if (route_key == "throw") throw std::runtime_error("backend exploded");
  if (route_key.rfind("error:", 0) == 0) {
    std::string name = route_key.substr(6);
    auto error = make_actr_error(name, "message of " + name, "svc");
    if (!error) error = ActrError::internal("unknown case in test: " + name);
    return done(CallResult::Err(std::move(*error)));
  }
  std::lock_guard lock(mu_);
  if (route_key == "hold") {
    held_.push_back(std::move(done));
  } else if (route_key == "later") {
    payload.push_back('!');
    delayed_.emplace(std::chrono::steady_clock::now() + later_delay,
                     [done = std::move(done), payload = std::move(payload)]() mutable {
                       done(CallResult::Ok(std::move(payload)));
                     });
  } else {
    delayed_.emplace(std::chrono::steady_clock::now(), [done = std::move(done), route_key] {
      done(CallResult::Err(ActrError::unknown_route(route_key)));
    });
  }
  cv_.notify_all();
}

bool FakeBackend::wait_held(size_t n) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return held_.size() >= n; });
}

void FakeBackend::release_held(CallResult result) {
  std::vector<std::function<void(CallResult)>> held;
  {
    std::lock_guard lock(mu_);
    held.swap(held_);
  }
  for (auto& done : held) done(result);
}

void FakeBackend::drop_held() {
  std::vector<std::function<void(CallResult)>> held;
  {
    std::lock_guard lock(mu_);
    held.swap(held_);
  }
}

void FakeBackend::drain() {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(10), [&] { return delayed_.empty(); });
}

void FakeBackend::run_delayed() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (quit_ && delayed_.empty()) return;
    if (delayed_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto when = delayed_.begin()->first;
    if (std::chrono::steady_clock::now() < when) {
      cv_.wait_until(lock, when);
      continue;
    }
    auto fn = std::move(delayed_.begin()->second);
    delayed_.erase(delayed_.begin());
    lock.unlock();
    fn();
    fn = nullptr;
    lock.lock();
    cv_.notify_all();
  }
}

}  // namespace actr::gateway::test
