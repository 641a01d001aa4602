#include "model/test_model.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gguf/tensor_names.h"
#include "gguf/writer.h"
#include "util/file_io.h"
#include "util/half.h"

namespace ss::model {
namespace {

using gguf::TensorType;
using gguf::Value;

// splitmix64: tiny, fast and good enough for random weights.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float Uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(Next() >> 40) * 0x1p-24f; }

 private:
  uint64_t s_;
};

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> dims;
  TensorType type;
  bool norm;  // F32 weights near 1.0
};

std::vector<TensorSpec> Tensors(const TestModelSpec& s) {
  auto E = static_cast<uint64_t>(s.n_embd), V = static_cast<uint64_t>(s.n_vocab),
       F = static_cast<uint64_t>(s.n_ff), KV = static_cast<uint64_t>(s.n_embd / s.n_head * s.n_head_kv);
  std::vector<TensorSpec> t;
  t.push_back({gguf::WeightName(gguf::kTokenEmbd), {E, V}, s.type, false});
  for (int i = 0; i < s.n_layer; ++i) {
    using enum gguf::LayerTensor;
    auto name = [i](gguf::LayerTensor lt) { return gguf::LayerWeightName(i, lt); };
    t.push_back({name(kAttnNorm), {E}, TensorType::F32, true});
    t.push_back({name(kAttnQ), {E, E}, s.type, false});
    t.push_back({name(kAttnK), {E, KV}, s.type, false});
    t.push_back({name(kAttnV), {E, KV}, s.type, false});
    t.push_back({name(kAttnOutput), {E, E}, s.type, false});
    t.push_back({name(kFfnNorm), {E}, TensorType::F32, true});
    t.push_back({name(kFfnGate), {E, F}, s.type, false});
    t.push_back({name(kFfnUp), {E, F}, s.type, false});
    t.push_back({name(kFfnDown), {F, E}, s.type, false});
  }
  t.push_back({gguf::WeightName(gguf::kOutputNorm), {E}, TensorType::F32, true});
  if (!s.tied) t.push_back({gguf::WeightName(gguf::kOutput), {E, V}, s.type, false});
  return t;
}

// Fills `out` with `n_blocks` blocks (or elements for float types) of random
// weights with a standard deviation of about 0.02, as freshly initialised.
void FillRandom(TensorType type, bool norm, Rng& rng, size_t n, std::vector<uint8_t>& out) {
  constexpr float kStd = 0.02f, kRange = kStd * 1.7320508f;  // uniform(-a, a) has std a/sqrt(3)
  out.clear();
  switch (type) {
    case TensorType::F32:
      out.resize(n * 4);
      for (size_t i = 0; i < n; ++i) {
        float v = norm ? rng.Uniform(0.9f, 1.1f) : rng.Uniform(-kRange, kRange);
        std::memcpy(&out[i * 4], &v, 4);
      }
      break;
    case TensorType::F16:
      out.resize(n * 2);
      for (size_t i = 0; i < n; ++i) {
        uint16_t h = FloatToHalf(rng.Uniform(-kRange, kRange));
        std::memcpy(&out[i * 2], &h, 2);
      }
      break;
    case TensorType::Q8_0:  // n blocks of {f16 d; int8 q[32]}
      out.resize(n * 34);
      for (size_t b = 0; b < n; ++b) {
        uint16_t d = FloatToHalf(rng.Uniform(0.5f, 1.5f) * kStd / 73.0f);
        std::memcpy(&out[b * 34], &d, 2);
        for (int j = 0; j < 32; ++j)
          out[b * 34 + 2 + j] = static_cast<uint8_t>(static_cast<int>(rng.Next() % 255) - 127);
      }
      break;
    case TensorType::Q4_0:  // n blocks of {f16 d; uint8 q[16]}, value = (nibble - 8) * d
      out.resize(n * 18);
      for (size_t b = 0; b < n; ++b) {
        uint16_t d = FloatToHalf(rng.Uniform(0.5f, 1.5f) * kStd / 4.6f);
        std::memcpy(&out[b * 18], &d, 2);
        uint64_t r0 = rng.Next(), r1 = rng.Next();
        std::memcpy(&out[b * 18 + 2], &r0, 8);
        std::memcpy(&out[b * 18 + 10], &r1, 8);
      }
      break;
    default:
      break;
  }
}

// A made-up word for filler token `id`: '▁' and two or more syllables
// ("▁kamo"), distinct per id. Fillers print like words, as a real
// vocabulary's tokens do, yet text never tokenizes to them: the vocabulary
// has no two-character token for SentencePiece merges to start from.
std::string FillerWord(int id) {
  static const char* kConsonants = "bdfghjklmnprstvwxyz";  // 19
  static const char* kVowels = "aeiou";
  auto syllable = [](int n) { return std::string{kConsonants[n / 5 % 19], kVowels[n % 5]}; };
  std::string word = "\xE2\x96\x81" + syllable(id % 95) + syllable(id / 95 % 95);
  if (id >= 95 * 95) word += syllable(id / (95 * 95) % 95);
  if (id >= 95 * 95 * 95) word += std::to_string(id);
  return word;
}

void AddTokenizer(const TestModelSpec& s, gguf::Writer& w) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};  // UNKNOWN, CONTROL, CONTROL
  static const char* kHex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
    scores.push_back(0);
    types.push_back(6);  // BYTE
  }
  tokens.push_back("\xE2\x96\x81");  // '▁', SentencePiece's space
  scores.push_back(-1);
  types.push_back(1);
  for (char c = '!'; c <= '~'; ++c) {
    tokens.push_back(std::string(1, c));
    scores.push_back(-2.0f - static_cast<float>(c - '!'));
    types.push_back(1);  // NORMAL
  }
  while (static_cast<int>(tokens.size()) < s.n_vocab) {
    tokens.push_back(FillerWord(static_cast<int>(tokens.size())));
    scores.push_back(-1e4f);
    types.push_back(1);  // NORMAL
  }
  w.SetMetadata("tokenizer.ggml.model", Value::String("llama"));
  w.SetMetadata("tokenizer.ggml.tokens", Value::StringArray(std::move(tokens)));
  w.SetMetadata("tokenizer.ggml.scores", Value::F32Array(scores));
  w.SetMetadata("tokenizer.ggml.token_type", Value::I32Array(types));
  w.SetMetadata("tokenizer.ggml.bos_token_id", Value::U32(1));
  w.SetMetadata("tokenizer.ggml.eos_token_id", Value::U32(2));
  w.SetMetadata("tokenizer.ggml.unknown_token_id", Value::U32(0));
  w.SetMetadata("tokenizer.ggml.add_bos_token", Value::Bool(true));
  w.SetMetadata("tokenizer.ggml.add_eos_token", Value::Bool(false));
}

Status CheckSpec(const TestModelSpec& s) {
  if (s.type != TensorType::F32 && s.type != TensorType::F16 && s.type != TensorType::Q8_0 &&
      s.type != TensorType::Q4_0)
    return Status::Error("test models are made in F32, F16, Q8_0 or Q4_0, not " +
                         std::string(gguf::TypeName(s.type)));
  if (s.n_vocab < kTestVocabMin)
    return Status::Error("the vocabulary needs at least " + std::to_string(kTestVocabMin) + " tokens");
  if (s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.n_ff <= 0 || s.n_ctx <= 0)
    return Status::Error("every dimension must be positive");
  if (s.n_embd % s.n_head != 0 || s.n_head % s.n_head_kv != 0)
    return Status::Error("n_embd must divide by n_head, and n_head by n_head_kv");
  uint32_t block = gguf::TypeInfo(s.type).block_size;
  if (s.n_embd % block != 0 || s.n_ff % block != 0)
    return Status::Error("n_embd and n_ff must be multiples of " + std::to_string(block) + " for " +
                         gguf::TypeName(s.type));
  return Status::Ok();
}

}  // namespace

Status WriteTestModel(const TestModelSpec& s, const std::string& path) {
  SS_RETURN_IF_ERROR(CheckSpec(s));
  gguf::Writer w;
  w.SetMetadata("general.architecture", Value::String("llama"));
  w.SetMetadata("general.name", Value::String(s.name));
  w.SetMetadata("general.alignment", Value::U32(32));
  w.SetMetadata("llama.context_length", Value::U32(static_cast<uint32_t>(s.n_ctx)));
  w.SetMetadata("llama.embedding_length", Value::U32(static_cast<uint32_t>(s.n_embd)));
  w.SetMetadata("llama.block_count", Value::U32(static_cast<uint32_t>(s.n_layer)));
  w.SetMetadata("llama.feed_forward_length", Value::U32(static_cast<uint32_t>(s.n_ff)));
  w.SetMetadata("llama.rope.dimension_count", Value::U32(static_cast<uint32_t>(s.n_embd / s.n_head)));
  w.SetMetadata("llama.attention.head_count", Value::U32(static_cast<uint32_t>(s.n_head)));
  w.SetMetadata("llama.attention.head_count_kv", Value::U32(static_cast<uint32_t>(s.n_head_kv)));
  w.SetMetadata("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5f));
  w.SetMetadata("llama.rope.freq_base", Value::F32(s.rope_base));
  AddTokenizer(s, w);

  std::vector<TensorSpec> tensors = Tensors(s);
  for (const TensorSpec& t : tensors) SS_RETURN_IF_ERROR(w.AddTensor(t.name, t.dims, t.type));

  auto out = OutputFile::Create(path);
  if (!out.ok()) return out.status();
  SS_RETURN_IF_ERROR(w.Begin(out->get()));
  std::vector<uint8_t> buf;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSpec& t = tensors[i];
    Rng rng(s.seed * 0x100000001b3ull + i);
    uint64_t units = t.dims[0] * (t.dims.size() > 1 ? t.dims[1] : 1) / gguf::TypeInfo(t.type).block_size;
    constexpr uint64_t kChunkUnits = 1 << 16;
    for (uint64_t done = 0; done < units; done += kChunkUnits) {
      FillRandom(t.type, t.norm, rng, static_cast<size_t>(std::min(kChunkUnits, units - done)), buf);
      SS_RETURN_IF_ERROR(w.Append(buf.data(), buf.size()));
    }
  }
  SS_RETURN_IF_ERROR(w.Finish());
  return (*out)->Commit();
}

}  // namespace ss::model
