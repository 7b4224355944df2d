// A workload that uses libc (and so WASI) the way ported code does: the environment, stdio,
// clocks, random, files and exit. The runtime tests check what the node's WASI policy lets it see.
//   env NAME     the variable's value, or not-found
//   environ      every variable, "K=V" a line
//   args         argv (from WASI), a line each
//   print TEXT   TEXT and a newline on stdout;  eprint TEXT: on stderr
//   spam N       N lines on stdout
//   time         seconds since the epoch (wall clock), decimal
//   random       16 bytes from getentropy, hex
//   open PATH    fopen(PATH, "r"): "opened" or the errno text
//   read PATH    the file's bytes, or "error: <errno text>"
//   write PATH\nTEXT   writes TEXT to PATH (created or truncated): "ok" or "error: ..."
//   ls DIR       the names in DIR, sorted, a line each
//   mkdir PATH / rm PATH   "ok" or "error: ..."
//   stdin        what reading stdin gives: "eof" or the bytes
//   exit CODE    exit(CODE)
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <actr/workload.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

extern char** environ;

namespace {

actr::Reply text(const std::string& s) { return actr::Reply::Ok(actr::Bytes(s.begin(), s.end())); }

}  // namespace

class WasiProbe : public actr::Workload {
 public:
  actr::Reply dispatch(actr::Context&, actr::RpcEnvelope envelope) override {
    const std::string& r = envelope.route_key;
    std::string arg(envelope.payload.begin(), envelope.payload.end());
    if (r == "env") {
      const char* v = std::getenv(arg.c_str());
      if (!v) return actr::Reply::Err(actr::ActrError::not_found("no " + arg));
      return text(v);
    }
    if (r == "environ") {
      std::string all;
      for (char** e = environ; e && *e; ++e) all += std::string(*e) + "\n";
      return text(all);
    }
    if (r == "print" || r == "eprint") {
      std::FILE* f = r == "print" ? stdout : stderr;
      std::fprintf(f, "%s\n", arg.c_str());
      std::fflush(f);
      return text("ok");
    }
    if (r == "spam") {
      int n = std::atoi(arg.c_str());
      for (int i = 0; i < n; ++i) std::printf("spam line %d\n", i);
      std::fflush(stdout);
      return text("ok");
    }
    if (r == "time") return text(std::to_string(static_cast<long long>(std::time(nullptr))));
    if (r == "random") {
      unsigned char buf[16];
      if (getentropy(buf, sizeof buf) != 0)
        return actr::Reply::Err(actr::ActrError::internal("getentropy"));
      std::string hex;
      for (unsigned char b : buf) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", b);
        hex += two;
      }
      return text(hex);
    }
    if (r == "open") {
      std::FILE* f = std::fopen(arg.c_str(), "r");
      if (f) {
        std::fclose(f);
        return text("opened");
      }
      return text(std::strerror(errno));
    }
    if (r == "read") {
      std::FILE* f = std::fopen(arg.c_str(), "rb");
      if (!f) return text(std::string("error: ") + std::strerror(errno));
      std::string all;
      char buf[4096];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) all.append(buf, n);
      std::fclose(f);
      return text(all);
    }
    if (r == "write") {
      size_t nl = arg.find('\n');
      std::string path = arg.substr(0, nl),
                  body = nl == std::string::npos ? "" : arg.substr(nl + 1);
      std::FILE* f = std::fopen(path.c_str(), "wb");
      if (!f) return text(std::string("error: ") + std::strerror(errno));
      bool ok = std::fwrite(body.data(), 1, body.size(), f) == body.size();
      ok = std::fclose(f) == 0 && ok;
      return text(ok ? "ok" : std::string("error: ") + std::strerror(errno));
    }
    if (r == "ls") {
      DIR* d = opendir(arg.c_str());
      if (!d) return text(std::string("error: ") + std::strerror(errno));
      std::vector<std::string> names;
      while (struct dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      closedir(d);
      std::sort(names.begin(), names.end());
      std::string all;
      for (const auto& n : names) all += n + "\n";
      return text(all);
    }
    if (r == "mkdir" || r == "rm") {
      int rc = r == "mkdir" ? mkdir(arg.c_str(), 0755) : unlink(arg.c_str());
      return text(rc == 0 ? "ok" : std::string("error: ") + std::strerror(errno));
    }
    if (r == "stdin") {
      char buf[64];
      size_t n = std::fread(buf, 1, sizeof buf, stdin);
      return text(n == 0 ? "eof" : std::string(buf, n));
    }
    if (r == "exit") std::exit(std::atoi(arg.c_str()));
    return actr::Reply::Err(actr::ActrError::unknown_route(r));
  }
};

ACTR_WORKLOAD(WasiProbe)
