// `actr dlq list` and `actr dlq replay`: the dead-letter queue of a node's mailbox database,
// inspected and re-delivered from another process while the node may be running (WAL).
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

// toml++ header-only without exceptions, as src/runtime/config.cpp uses it.
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "actr/common/result.hpp"
#include "cli/commands.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace actr::cli {
namespace {

namespace fs = std::filesystem;
using runtime::DeadLetter;
using runtime::MailboxStore;

constexpr const char* kDefaultDataDir = "./actr-data";

struct Location {
  std::string data_dir;
  std::string config;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

// The data directory: --data-dir, else `data_dir` at the top level of --config, resolved as the
// node resolves it (src/runtime/config.cpp): relative to the config file's directory, and
// <that directory>/actr-data when absent. Without either option: ./actr-data.
Result<fs::path> data_dir(const Location& where) {
  if (!where.data_dir.empty()) return fs::path(where.data_dir);
  if (where.config.empty()) return fs::path(kDefaultDataDir);
  toml::parse_result parsed = toml::parse_file(where.config);
  if (!parsed) {
    const auto& e = parsed.error();
    return make_error(where.config + ":" + std::to_string(e.source().begin.line) + ": " +
                      std::string(e.description()));
  }
  std::error_code ec;
  fs::path base = fs::absolute(where.config, ec).parent_path();
  const toml::node* node = parsed.table().get("data_dir");
  if (!node) return base / "actr-data";
  std::optional<std::string> dir = node->value<std::string>();
  if (!dir || dir->empty())
    return make_error(where.config + ": data_dir must be a non-empty string");
  fs::path path(*dir);
  return path.is_absolute() ? path : base / path;
}

Result<std::unique_ptr<MailboxStore>> open_store(const Location& where) {
  ACTR_TRY(fs::path dir, data_dir(where));
  runtime::MailboxStoreOptions options;
  options.path = dir / runtime::kMailboxFileName;
  options.create_if_missing = false;  // inspecting a node's data, never creating one
  options.commit_window = std::chrono::microseconds(0);
  return MailboxStore::open(std::move(options));
}

std::string utc_time(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Keeps each dead letter on one table row.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return text;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

int run_list(const Location& where, const std::string& mailbox) {
  auto store = open_store(where);
  if (!store) return fail(store.error().message);
  std::optional<std::string> filter;
  if (!mailbox.empty()) filter = mailbox;
  auto letters = (*store)->dead_letters(filter);
  if (!letters) return fail(letters.error().message);
  if (letters->empty()) {
    std::printf("no dead letters in %s\n", (*store)->path().c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ID", "MAILBOX", "REQUEST ID", "ATTEMPTS", "REASON", "DEAD AT"});
  for (const DeadLetter& d : *letters)
    rows.push_back({std::to_string(d.id), one_line(d.message.mailbox),
                    one_line(d.message.request_id), std::to_string(d.message.attempts),
                    one_line(d.reason), utc_time(d.dead_at_ms)});
  print_table(rows);
  return 0;
}

std::optional<int64_t> parse_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional<int64_t>(value) : std::nullopt;
}

int run_replay(const Location& where, const std::vector<std::string>& ids) {
  std::vector<int64_t> parsed;
  for (const std::string& text : ids) {
    auto id = parse_id(text);
    if (!id) return fail("not a dead letter id: '" + text + "'");
    parsed.push_back(*id);
  }
  auto store = open_store(where);
  if (!store) return fail(store.error().message);
  int status = 0;
  for (int64_t id : parsed) {
    auto message = (*store)->replay(id);
    if (!message) {
      status = fail(message.error().message);
      continue;
    }
    std::printf("replayed dead letter %lld as message %lld in mailbox %s\n",
                static_cast<long long>(id), static_cast<long long>(message->id),
                message->mailbox.c_str());
  }
  return status;
}

void add_location_options(CLI::App* command, Location& where) {
  auto* dir = command->add_option("--data-dir", where.data_dir,
                                  "The node's data directory (default ./actr-data)");
  auto* config =
      command->add_option("--config", where.config, "Read data_dir from this actr.toml instead");
  dir->excludes(config);
}

}  // namespace

void add_dlq_commands(CLI::App& app, int& exit_code) {
  auto* dlq = app.add_subcommand("dlq", "Inspect and replay the dead-letter queue of a node");
  dlq->require_subcommand(1);

  auto list_where = std::make_shared<Location>();
  auto mailbox = std::make_shared<std::string>();
  auto* list = dlq->add_subcommand("list", "List the dead letters");
  add_location_options(list, *list_where);
  list->add_option("--mailbox", *mailbox, "Only this mailbox (e.g. echo#0)");
  list->callback(
      [list_where, mailbox, &exit_code] { exit_code = run_list(*list_where, *mailbox); });

  auto replay_where = std::make_shared<Location>();
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* replay = dlq->add_subcommand("replay", "Re-queue dead letters for delivery");
  replay->add_option("ID", *ids, "Dead letter ids (from `actr dlq list`)")->required();
  add_location_options(replay, *replay_where);
  replay->callback(
      [replay_where, ids, &exit_code] { exit_code = run_replay(*replay_where, *ids); });
}

}  // namespace actr::cli
