// A Backend for the gateway tests; what it does depends on the route key:
//   echo            reply = payload, answered inside call()
//   who             reply = "target|route", inside call()
//   later           reply = payload + "!", from another thread after `later_delay`
//   error:<case>    that actr-error, message "message of <case>", service "svc"
//   hold            keeps `done` until release_held() / drop_held()
//   throw           throws from call()
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/backend.hpp"

namespace actr::gateway::test {

class FakeBackend : public Backend {
 public:
  FakeBackend();
  ~FakeBackend() override;

  void call(std::string target, std::string route_key, std::vector<uint8_t> payload,
            std::function<void(CallResult)> done) override;
  std::string metrics_text() override { return metrics; }
  Health health() override { return {is_healthy.load(), is_healthy.load() ? "ok\n" : ""}; }

  // Blocks until `n` calls are held (false after 5 s).
  bool wait_held(size_t n);
  void release_held(CallResult result);
  void drop_held();
  // Waits until every delayed answer went out.
  void drain();

  std::atomic<bool> is_healthy{true};
  std::atomic<int> calls{0};
  std::string metrics = "# HELP fake_total f\n# TYPE fake_total counter\nfake_total 1\n";
  std::chrono::milliseconds later_delay{200};

 private:
  void run_delayed();

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void(CallResult)>> held_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> delayed_;
  bool quit_ = false;
  std::thread worker_;
};

}  // namespace actr::gateway::test
