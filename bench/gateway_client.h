#pragma once
// What the distributed-inference benchmarks share: a local swarm started by
// `shardswarm up` (the real binary), and a streamed completion over its
// OpenAI API timed token by token.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.h"
#include "util/child_process.h"

inline double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// Starts `up` with `flags` in dir/up and returns its API port once it
// printed it (0 if it died or took 5 minutes); `up` is kept in *child.
inline uint16_t StartUp(const std::string& bin, std::vector<std::string> flags,
                        const std::filesystem::path& dir, std::unique_ptr<ss::ChildProcess>* child) {
  std::vector<std::string> args = {bin, "up", "--http-port", "0", "--work-dir", (dir / "up").string()};
  args.insert(args.end(), flags.begin(), flags.end());
  auto up = ss::ChildProcess::Start(args, (dir / "up.log").string());
  if (!up.ok()) return 0;
  *child = std::move(up.value());
  for (double deadline = Now() + 300; Now() < deadline;) {
    std::ifstream in((*child)->log_path());
    std::string log((std::istreambuf_iterator<char>(in)), {});
    std::smatch m;
    if (std::regex_search(log, m, std::regex(R"(API: +http://127\.0\.0\.1:(\d+)/v1)")))
      return static_cast<uint16_t>(std::atoi(m[1].str().c_str()));
    if (auto ended = (*child)->Ended()) {
      std::fprintf(stderr, "up %s:\n%s", ended->c_str(), (*child)->LogTail(20).c_str());
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return 0;
}

struct StreamResult {
  bool ok = false;
  int tokens = 0;
  double start = 0, first = 0, last = 0;
  std::vector<double> token_times;
  std::string text, error;
  nlohmann::json final_chunk;  // the one with finish_reason
};

// One streamed completion; times every token event. `on_token(n)` runs
// after the n-th. Temperature 0 is greedy, as `generate --temp 0`.
inline StreamResult Stream(uint16_t port, const std::string& prompt, int max_tokens, int seed,
                           double temperature, const std::function<void(int)>& on_token = {}) {
  using nlohmann::json;
  StreamResult s;
  json body = {{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", temperature},
               {"seed", seed},     {"ignore_eos", true},       {"stream", true}};
  ss::net::HttpClientRequest r;
  r.method = "POST";
  r.port = port;
  r.target = "/v1/completions";
  r.body = body.dump();
  r.timeout = std::chrono::seconds(600);
  std::string pending;
  s.start = Now();
  r.on_body = [&](std::string_view piece) {
    pending.append(piece);
    for (size_t end; (end = pending.find("\n\n")) != std::string::npos; pending.erase(0, end + 2)) {
      std::string event = pending.substr(0, end);
      if (event.rfind("data: {", 0) != 0) continue;
      auto j = json::parse(event.substr(6), nullptr, false);
      if (j.contains("error")) s.error = j["error"].dump();
      if (!j.contains("choices") || j["choices"].empty()) continue;
      s.text += j["choices"][0].value("text", "");
      if (!j["choices"][0]["finish_reason"].is_null()) {
        s.final_chunk = j;
        continue;
      }
      double now = Now();
      if (s.tokens == 0) s.first = now;
      s.last = now;
      s.token_times.push_back(now);
      ++s.tokens;
      if (on_token) on_token(s.tokens);
    }
    return true;
  };
  auto res = ss::net::HttpFetch(r);
  if (!res.ok()) s.error = res.status().message();
  s.ok = res.ok() && res->status == 200 && s.error.empty();
  if (res.ok() && res->status != 200) s.error = res->body;
  return s;
}
