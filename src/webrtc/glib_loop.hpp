// The thread that runs libnice: a GLib main context and loop of its own (never the process's
// default context), so that ICE timers and sockets are served whatever the rest of the node does.
// Agents are created on this context; their callbacks run on this thread.
#pragma once

#include <functional>
#include <thread>

typedef struct _GMainContext GMainContext;
typedef struct _GMainLoop GMainLoop;

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
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  GMainContext* context_;
  GMainLoop* loop_;
  std::thread thread_;
};

}  // namespace actr::webrtc
