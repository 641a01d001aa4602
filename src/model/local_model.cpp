#include "model/local_model.h"

#include <algorithm>

namespace ss::model {

LocalModel::LocalModel(engine::Pipeline& pipeline, Sampler sampler, uint64_t session)
    : pipeline_(pipeline), sampler_(std::move(sampler)), session_(session) {}

LocalModel::~LocalModel() { pipeline_.CloseSession(session_); }

Result<int32_t> LocalModel::Next(int pos, std::span<const int32_t> tokens) {
  if (tokens.empty()) return Status::InvalidArgument("no tokens to feed");
  const int n = static_cast<int>(tokens.size());
  std::vector<engine::BatchRow> rows;
  for (int start = 0; start < n; start += kMaxBatchRows) {
    const int end = std::min(n, start + kMaxBatchRows);
    rows.clear();
    for (int i = start; i < end; ++i) rows.push_back({session_, pos + i, tokens[i], i + 1 == n});
    SS_RETURN_IF_ERROR(pipeline_.Forward(rows, &logits_));
  }
  for (int i = 0; i < n; ++i)
    if (pos + i >= n_accepted_) sampler_.Accept(tokens[i]);
  const int32_t token = sampler_.Sample(logits_.data(), pipeline_.config().n_vocab);
  sampler_.Accept(token);
  n_accepted_ = pos + n + 1;
  return token;
}

}  // namespace ss::model
