#pragma once
// The stages of a whole model chained in one process: a single GGUF file is
// one stage, a shards directory one stage per shard file, and hidden states
// pass from stage to stage exactly as they would between swarm nodes.

#include <memory>
#include <string>
#include <vector>

#include "engine/stage.h"
#include "util/status.h"

namespace ss::engine {

class Pipeline {
 public:
  // `path` is a GGUF model or a directory of shard-{i}.gguf files.
  static Result<std::unique_ptr<Pipeline>> Open(const std::string& path, const StageOptions& options);

  // Runs the batch through every stage; logits for the rows that ask for them.
  Status Forward(const std::vector<BatchRow>& rows, std::vector<float>* logits);
  void CloseSession(uint64_t session);

  const Config& config() const { return stages_.front()->config(); }
  // The first stage's file: every shard carries the tokenizer and chat template.
  const gguf::File& file() const { return stages_.front()->file(); }
  int n_ctx() const { return stages_.front()->n_ctx(); }
  const std::vector<std::unique_ptr<Stage>>& stages() const { return stages_; }

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
  std::vector<float> hidden_[2];
};

}  // namespace ss::engine
