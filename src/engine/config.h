#pragma once
// Llama hyper-parameters read from GGUF metadata ("{arch}.*" keys), with the
// checks that make every later shape computation safe.

#include <cstdint>
#include <string>

#include "gguf/reader.h"
#include "util/status.h"

namespace ss::engine {

struct Config {
  std::string arch;  // "llama"
  int n_vocab = 0;
  int n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int n_ff = 0;
  int n_ctx = 0;  // training context length
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;
  int rope_dim = 0;  // rotated dimensions per head (== head_dim for Llama)

  // Reads and checks the hyper-parameters; refuses architectures other than llama.
  static Result<Config> FromGguf(const gguf::File& file);
};

}  // namespace ss::engine
