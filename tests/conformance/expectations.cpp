#include "conformance/expectations.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace actr::conformance {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<Expectations> Expectations::parse(const std::string& text) {
  Expectations out;
  std::istringstream in(text);
  std::string raw;
  int n = 0;
  while (std::getline(in, raw)) {
    ++n;
    Expectation e;
    e.source_line = n;
    size_t hash = raw.find('#');
    if (hash != std::string::npos) e.reason = trim(raw.substr(hash + 1));
    std::istringstream words(trim(raw.substr(0, hash)));
    std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
    if (w.empty()) continue;
    size_t i = 0;
    if (w[0] == "skip") {
      e.skip = true;
      ++i;
    }
    auto bad = [&](const std::string& why) {
      return make_error("expected-failures line " + std::to_string(n) + ": " + why);
    };
    if (i >= w.size()) return bad("missing file");
    std::string where = w[i++];
    size_t colon = where.rfind(':');
    if (colon != std::string::npos) {
      try {
        size_t used = 0;
        e.line = std::stoi(where.substr(colon + 1), &used);
        if (used != where.size() - colon - 1 || e.line <= 0)
          return bad("bad line in `" + where + "`");
      } catch (...) {
        return bad("bad line in `" + where + "`");
      }
      e.file = where.substr(0, colon);
    } else {
      e.file = where;
    }
    if (!e.skip && e.line == 0) return bad("an expected failure needs file:line");
    if (i < w.size()) {
      e.engine = w[i++];
      if (e.engine != "aot" && e.engine != "interp")
        return bad("unknown engine `" + e.engine + "`");
    }
    if (i < w.size()) return bad("unexpected `" + w[i] + "` (put the reason after #)");
    out.entries_.push_back(std::move(e));
  }
  return out;
}

Result<Expectations> Expectations::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Expectations{};
  return parse(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
}

const Expectation* Expectations::find(bool skip, const std::string& file, int line,
                                      const std::string& engine) const {
  for (const Expectation& e : entries_) {
    if (e.skip != skip || e.file != file) continue;
    if (!e.engine.empty() && e.engine != engine) continue;
    if (e.line == line || (skip && e.line == 0)) return &e;
  }
  return nullptr;
}

const Expectation* Expectations::expected_failure(const std::string& file, int line,
                                                  const std::string& engine) const {
  return find(false, file, line, engine);
}

const Expectation* Expectations::skip(const std::string& file, int line,
                                      const std::string& engine) const {
  return find(true, file, line, engine);
}

}  // namespace actr::conformance
