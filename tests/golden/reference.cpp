#include "reference.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "testing.h"

namespace ss::testing {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace

std::vector<Reference> LoadReferences() {
  std::vector<Reference> refs;
  std::string root = TestdataDir() + "/reference";
  std::vector<fs::path> files;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory() || dir.path().filename() == "prompts") continue;
    for (const auto& f : fs::directory_iterator(dir.path()))
      if (f.path().extension() == ".json") files.push_back(f.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    nlohmann::json j = nlohmann::json::parse(Slurp(f.string()));
    Reference r;
    r.name = f.parent_path().filename().string() + "/" + f.stem().string();
    r.model_path = ModelPath(j.at("model").get<std::string>());
    r.prompt_path = root + "/" + j.at("prompt_file").get<std::string>();
    r.kv_f16 = j.at("settings").at("kv_cache_type") == "f16";
    r.prompt_tokens = j.at("prompt_tokens").get<std::vector<int32_t>>();
    r.greedy_tokens = j.at("greedy_tokens").get<std::vector<int32_t>>();
    r.greedy_margins = j.at("greedy_margins").get<std::vector<float>>();
    for (const auto& step : j.at("greedy_step_top5")) {
      std::vector<std::pair<int32_t, float>> top;
      for (const auto& e : step) top.emplace_back(e.at(0).get<int32_t>(), e.at(1).get<float>());
      r.greedy_step_top5.push_back(std::move(top));
    }
    r.greedy_text = FromHex(j.at("greedy_text_hex").get<std::string>());
    std::string logits = Slurp((f.parent_path() / j.at("last_logits_file").get<std::string>()).string());
    r.last_logits.resize(logits.size() / 4);
    std::memcpy(r.last_logits.data(), logits.data(), logits.size());
    refs.push_back(std::move(r));
  }
  return refs;
}

bool IsFloatModel(const Reference& r) { return r.model_path.find("f16") != std::string::npos; }

}  // namespace ss::testing
