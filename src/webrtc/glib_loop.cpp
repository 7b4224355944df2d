#include "webrtc/glib_loop.hpp"

#include <glib.h>

#include <chrono>
#include <future>

namespace actr::webrtc {

GlibLoop::GlibLoop() : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
  std::promise<void> running;
  auto started = running.get_future();
  thread_ = std::thread([this, &running] {
    g_main_context_push_thread_default(context_);
    // The promise is kept once the loop dispatches, so run_sync never races its start.
    g_main_context_invoke(
        context_,
        [](gpointer p) -> gboolean {
          static_cast<std::promise<void>*>(p)->set_value();
          return G_SOURCE_REMOVE;
        },
        &running);
    g_main_loop_run(loop_);
    g_main_context_pop_thread_default(context_);
  });
  started.wait();
}

GlibLoop::~GlibLoop() {
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(2), [this] { return pending_ == 0; });
  }
  run_sync([this] { g_main_loop_quit(loop_); });
  thread_.join();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void GlibLoop::begun() {
  std::lock_guard lock(mu_);
  ++pending_;
}

void GlibLoop::ended() {
  {
    std::lock_guard lock(mu_);
    --pending_;
  }
  cv_.notify_all();
}

void GlibLoop::post(std::function<void()> fn) { attach(g_idle_source_new(), std::move(fn)); }

void GlibLoop::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  attach(g_timeout_source_new(static_cast<guint>(delay.count())), std::move(fn));
}

void GlibLoop::attach(GSource* source, std::function<void()> fn) {
  g_source_set_callback(
      source,
      [](gpointer p) -> gboolean {
        (*static_cast<std::function<void()>*>(p))();
        return G_SOURCE_REMOVE;
      },
      new std::function<void()>(std::move(fn)),
      [](gpointer p) { delete static_cast<std::function<void()>*>(p); });
  g_source_attach(source, context_);
  g_source_unref(source);
}

void GlibLoop::run_sync(const std::function<void()>& fn) {
  if (on_loop_thread()) {
    fn();
    return;
  }
  struct Job {
    const std::function<void()>* fn;
    std::promise<void> done;
  } job{&fn, {}};
  auto done = job.done.get_future();
  g_main_context_invoke(
      context_,
      [](gpointer p) -> gboolean {
        auto* j = static_cast<Job*>(p);
        (*j->fn)();
        j->done.set_value();
        return G_SOURCE_REMOVE;
      },
      &job);
  done.wait();
}

}  // namespace actr::webrtc
