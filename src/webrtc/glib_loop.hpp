// The thread that runs libnice: a GLib main context and loop of its own (never the process's
// default context), so that ICE timers and sockets are served whatever the rest of the node does.
// Agents are created on this context; their callbacks run on this thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

typedef struct _GMainContext GMainContext;
typedef struct _GMainLoop GMainLoop;
typedef struct _GSource GSource;

namespace actr::webrtc {

class GlibLoop {
 public:
  GlibLoop();
  ~GlibLoop();  // stops the loop and joins its thread
  GlibLoop(const GlibLoop&) = delete;
  GlibLoop& operator=(const GlibLoop&) = delete;

  GMainContext* context() const { return context_; }
  // Runs `fn` on the loop's thread (at once when called from it) and waits for it.
  void run_sync(const std::function<void()>& fn);
  // Runs `fn` on the loop's thread later, never at once (so not under the caller's locks).
  void post(std::function<void()> fn);
  // Runs `fn` on the loop's thread once `delay` has passed.
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  // Asynchronous work that must end before the loop does (an ICE agent releasing its TURN
  // allocations): the destructor waits up to two seconds for every begun() to be ended().
  void begun();
  void ended();

 private:
  void attach(GSource* source, std::function<void()> fn);

  GMainContext* context_;
  GMainLoop* loop_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_ = 0;
};

}  // namespace actr::webrtc
