#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "wasi/stream_error.hpp"
#include "wasi_harness.hpp"

namespace actr::wasi::test {
namespace {

using component::Kind;
using component::Value;

constexpr const char* kStreams = "wasi:io/streams";

struct Captured {
  std::string out, err;
  WasiConfig config() {
    WasiConfig c;
    c.stdout_sink = [this](std::string_view b) {
      out.append(b);
      return true;
    };
    c.stderr_sink = [this](std::string_view b) {
      err.append(b);
      return true;
    };
    return c;
  }
};

Value closed_error() { return Value::err(Value::variant(1)); }

TEST(WasiStreams, StdoutWriteReachesTheSink) {
  Captured cap;
  WasiHarness h(cap.config());
  Value out = h.ok("wasi:cli/stdout", "get-stdout");
  ASSERT_EQ(out.kind, Kind::Own);
  EXPECT_EQ(out.handle.type, h.resource(kStreams, "output-stream"));

  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write", {h.borrow(out), bytes("hel")}),
            Value::ok());
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.blocking-write-and-flush",
                 {h.borrow(out), bytes("lo\n")}),
            Value::ok());
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.flush", {h.borrow(out)}), Value::ok());
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.blocking-flush", {h.borrow(out)}), Value::ok());
  EXPECT_EQ(cap.out, "hello\n");
  EXPECT_EQ(cap.err, "");

  Value err = h.ok("wasi:cli/stderr", "get-stderr");
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write-zeroes", {h.borrow(err), Value::u64(2)}),
            Value::ok());
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.blocking-write-zeroes-and-flush",
                 {h.borrow(err), Value::u64(1)}),
            Value::ok());
  EXPECT_EQ(cap.err, std::string(3, '\0'));
}

TEST(WasiStreams, EveryGetStdoutSharesOneChannel) {
  Captured cap;
  WasiHarness h(cap.config());
  Value a = h.ok("wasi:cli/stdout", "get-stdout");
  Value b = h.ok("wasi:cli/stdout", "get-stdout");
  EXPECT_NE(a.handle.rep, b.handle.rep);
  ASSERT_TRUE(h.call(kStreams, "[method]output-stream.write", {h.borrow(a), bytes("1")}).ok());
  ASSERT_TRUE(h.call(kStreams, "[method]output-stream.write", {h.borrow(b), bytes("2")}).ok());
  EXPECT_EQ(cap.out, "12");
}

TEST(WasiStreams, CheckWriteGrantsABudgetAndWritingMoreTraps) {
  Captured cap;
  WasiHarness h(cap.config());
  Value out = h.ok("wasi:cli/stdout", "get-stdout");
  Value permit = h.ok(kStreams, "[method]output-stream.check-write", {h.borrow(out)});
  ASSERT_TRUE(permit.is_ok);
  uint64_t budget = permit.payload().u;
  EXPECT_GE(budget, 4096u);

  std::string full(budget, 'x');
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write", {h.borrow(out), bytes(full)}),
            Value::ok());
  EXPECT_EQ(cap.out.size(), budget);

  auto over = h.call(kStreams, "[method]output-stream.write", {h.borrow(out), bytes(full + "y")});
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("exceed"), std::string::npos) << over.error().message;
  EXPECT_EQ(cap.out.size(), budget);

  // The blocking convenience functions take at most 4096 bytes, as WASI specifies.
  EXPECT_FALSE(h.call(kStreams, "[method]output-stream.blocking-write-and-flush",
                      {h.borrow(out), bytes(std::string(4097, 'z'))})
                   .ok());
  EXPECT_FALSE(h.call(kStreams, "[method]output-stream.blocking-write-zeroes-and-flush",
                      {h.borrow(out), Value::u64(4097)})
                   .ok());
  EXPECT_FALSE(
      h.call(kStreams, "[method]output-stream.write-zeroes", {h.borrow(out), Value::u64(~0ull)})
          .ok());
}

TEST(WasiStreams, ClosedOutputReportsClosedEverywhere) {
  Captured cap;
  WasiHarness h(cap.config());
  Value out = h.ok("wasi:cli/stdout", "get-stdout");
  h.state().stdout_channel()->close();
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.check-write", {h.borrow(out)}), closed_error());
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write", {h.borrow(out), bytes("x")}),
            closed_error());
  EXPECT_EQ(
      h.ok(kStreams, "[method]output-stream.blocking-write-and-flush", {h.borrow(out), bytes("x")}),
      closed_error());
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.flush", {h.borrow(out)}), closed_error());
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write-zeroes", {h.borrow(out), Value::u64(1)}),
            closed_error());
  EXPECT_EQ(cap.out, "");
  // Stderr is a separate channel and still open.
  Value err = h.ok("wasi:cli/stderr", "get-stderr");
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write", {h.borrow(err), bytes("e")}),
            Value::ok());
}

TEST(WasiStreams, FailingSinkReportsLastOperationFailedThenClosed) {
  WasiConfig config;
  int calls = 0;
  config.stdout_sink = [&](std::string_view) {
    ++calls;
    return false;
  };
  config.instance_name = "pipe-test";
  WasiHarness h(config);
  Value out = h.ok("wasi:cli/stdout", "get-stdout");
  Value r = h.ok(kStreams, "[method]output-stream.write", {h.borrow(out), bytes("x")});
  ASSERT_EQ(r.kind, Kind::Result);
  ASSERT_FALSE(r.is_ok);
  const Value& e = r.payload();
  ASSERT_EQ(e.kind, Kind::Variant);
  EXPECT_EQ(e.index, 0u);  // last-operation-failed
  ASSERT_TRUE(e.has_payload());
  const Value& error = e.payload();
  EXPECT_EQ(error.kind, Kind::Own);
  EXPECT_EQ(error.handle.type, h.resource("wasi:io/error", "error"));

  Value text = h.ok("wasi:io/error", "[method]error.to-debug-string", {h.borrow(error)});
  EXPECT_NE(text.str.find("pipe-test"), std::string::npos) << text.str;
  EXPECT_NE(text.str.find("stdout"), std::string::npos) << text.str;
  // Not an error of a filesystem operation.
  EXPECT_EQ(h.ok("wasi:filesystem/types", "filesystem-error-code", {h.borrow(error)}),
            Value::none());

  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write", {h.borrow(out), bytes("y")}),
            closed_error());
  EXPECT_EQ(calls, 1);

  EXPECT_EQ(h.state().errors.size(), 1u);
  h.drop("wasi:io/error", error);
  EXPECT_EQ(h.state().errors.size(), 0u);
  EXPECT_FALSE(h.call("wasi:io/error", "[method]error.to-debug-string", {h.borrow(error)}).ok());
}

TEST(WasiStreams, LoggerModeIsLineBufferedAndTagged) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  sink->set_pattern("%l|%v");
  auto logger = std::make_shared<spdlog::logger>("wasi-test", sink);
  {
    WasiConfig config;
    config.instance_name = "echo";
    config.logger = logger;
    WasiHarness h(config);
    Value out = h.ok("wasi:cli/stdout", "get-stdout");
    Value err = h.ok("wasi:cli/stderr", "get-stderr");
    ASSERT_TRUE(
        h.call(kStreams, "[method]output-stream.write", {h.borrow(out), bytes("hel")}).ok());
    ASSERT_TRUE(h.call(kStreams, "[method]output-stream.blocking-flush", {h.borrow(out)}).ok());
    EXPECT_EQ(log.str(), "") << "a flush must not break a line";
    ASSERT_TRUE(
        h.call(kStreams, "[method]output-stream.write", {h.borrow(out), bytes("lo\r\nwor")}).ok());
    EXPECT_EQ(log.str(), "info|[echo stdout] hello\n");
    ASSERT_TRUE(
        h.call(kStreams, "[method]output-stream.write", {h.borrow(err), bytes("oops\n\n")}).ok());
    EXPECT_EQ(log.str(),
              "info|[echo stdout] hello\nwarning|[echo stderr] oops\nwarning|[echo stderr] \n");
  }
  // The partial last line is logged when the state goes away.
  EXPECT_NE(log.str().find("info|[echo stdout] wor\n"), std::string::npos) << log.str();
}

TEST(WasiStreams, StdinReadsConfiguredBytesThenReportsClosed) {
  WasiConfig config;
  config.stdin_bytes = "abcdef";
  WasiHarness h(config);
  Value in = h.ok("wasi:cli/stdin", "get-stdin");
  EXPECT_EQ(in.handle.type, h.resource(kStreams, "input-stream"));

  Value r = h.ok(kStreams, "[method]input-stream.read", {h.borrow(in), Value::u64(2)});
  ASSERT_TRUE(r.is_ok);
  EXPECT_EQ(string_of(r.payload()), "ab");
  r = h.ok(kStreams, "[method]input-stream.read", {h.borrow(in), Value::u64(0)});
  ASSERT_TRUE(r.is_ok);
  EXPECT_EQ(string_of(r.payload()), "");
  r = h.ok(kStreams, "[method]input-stream.skip", {h.borrow(in), Value::u64(1)});
  EXPECT_EQ(r, Value::ok(Value::u64(1)));
  // A second handle on stdin continues where the first stopped.
  Value in2 = h.ok("wasi:cli/stdin", "get-stdin");
  r = h.ok(kStreams, "[method]input-stream.blocking-read", {h.borrow(in2), Value::u64(100)});
  ASSERT_TRUE(r.is_ok);
  EXPECT_EQ(string_of(r.payload()), "def");

  EXPECT_EQ(h.ok(kStreams, "[method]input-stream.read", {h.borrow(in), Value::u64(1)}),
            closed_error());
  EXPECT_EQ(h.ok(kStreams, "[method]input-stream.blocking-skip", {h.borrow(in), Value::u64(1)}),
            closed_error());
}

TEST(WasiStreams, StdinIsEmptyByDefault) {
  WasiHarness h;
  Value in = h.ok("wasi:cli/stdin", "get-stdin");
  EXPECT_EQ(h.ok(kStreams, "[method]input-stream.read", {h.borrow(in), Value::u64(10)}),
            closed_error());
}

TEST(WasiStreams, SpliceMovesStdinToStdout) {
  Captured cap;
  WasiConfig config = cap.config();
  config.stdin_bytes = "piped";
  WasiHarness h(config);
  Value in = h.ok("wasi:cli/stdin", "get-stdin");
  Value out = h.ok("wasi:cli/stdout", "get-stdout");
  EXPECT_EQ(
      h.ok(kStreams, "[method]output-stream.splice", {h.borrow(out), h.borrow(in), Value::u64(3)}),
      Value::ok(Value::u64(3)));
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.blocking-splice",
                 {h.borrow(out), h.borrow(in), Value::u64(100)}),
            Value::ok(Value::u64(2)));
  EXPECT_EQ(cap.out, "piped");
  EXPECT_EQ(
      h.ok(kStreams, "[method]output-stream.splice", {h.borrow(out), h.borrow(in), Value::u64(1)}),
      closed_error());
}

TEST(WasiStreams, SubscribeGivesReadyPollables) {
  WasiHarness h;
  Value in = h.ok("wasi:cli/stdin", "get-stdin");
  Value out = h.ok("wasi:cli/stdout", "get-stdout");
  for (auto [handle, method] : {std::pair{in, "[method]input-stream.subscribe"},
                                std::pair{out, "[method]output-stream.subscribe"}}) {
    Value p = h.ok(kStreams, method, {h.borrow(handle)});
    ASSERT_EQ(p.kind, Kind::Own);
    EXPECT_EQ(p.handle.type, h.resource("wasi:io/poll", "pollable"));
    EXPECT_EQ(h.ok("wasi:io/poll", "[method]pollable.ready", {h.borrow(p)}), Value::boolean(true));
    EXPECT_TRUE(h.call("wasi:io/poll", "[method]pollable.block", {h.borrow(p)}).ok());
  }
}

TEST(WasiStreams, DroppedStreamHandlesAreGone) {
  Captured cap;
  WasiHarness h(cap.config());
  Value out = h.ok("wasi:cli/stdout", "get-stdout");
  EXPECT_EQ(h.state().output_streams.size(), 1u);
  h.drop(kStreams, out);
  EXPECT_EQ(h.state().output_streams.size(), 0u);
  auto r = h.call(kStreams, "[method]output-stream.write", {h.borrow(out), bytes("x")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown `output-stream` handle"), std::string::npos)
      << r.error().message;
  // A new handle still writes: the channel outlives its handles.
  Value again = h.ok("wasi:cli/stdout", "get-stdout");
  EXPECT_NE(again.handle.rep, out.handle.rep);
  EXPECT_EQ(h.ok(kStreams, "[method]output-stream.write", {h.borrow(again), bytes("ok")}),
            Value::ok());
  EXPECT_EQ(cap.out, "ok");
}

}  // namespace
}  // namespace actr::wasi::test
