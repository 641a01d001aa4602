#include "node/forward_session.h"

namespace ss::node {
namespace {

template <typename T>
Status ReadField(const nlohmann::json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  constexpr bool kFloat = std::is_floating_point_v<T>;
  constexpr bool kUnsigned = std::is_unsigned_v<T>;
  const bool fits = kFloat      ? it->is_number()
                    : kUnsigned ? it->is_number_unsigned() && it->template get<uint64_t>() <= UINT32_MAX
                                : it->is_number_integer() && it->template get<int64_t>() >= INT32_MIN &&
                                      it->template get<int64_t>() <= INT32_MAX;
  if (!fits)
    return Status::InvalidArgument(std::string("invalid sampling parameters: \"") + key + "\" must be " +
                                   (kFloat      ? "a number"
                                    : kUnsigned ? "an integer from 0 to 4294967295"
                                                : "a 32-bit integer"));
  *out = it->template get<T>();
  return Status::Ok();
}

}  // namespace

Result<model::SamplingParams> ParseSamplingParams(const nlohmann::json& j) {
  model::SamplingParams p;
  if (!j.is_object()) return Status::InvalidArgument("invalid sampling parameters: not a JSON object");
  SS_RETURN_IF_ERROR(ReadField(j, "temperature", &p.temperature));
  SS_RETURN_IF_ERROR(ReadField(j, "top_k", &p.top_k));
  SS_RETURN_IF_ERROR(ReadField(j, "top_p", &p.top_p));
  SS_RETURN_IF_ERROR(ReadField(j, "min_p", &p.min_p));
  SS_RETURN_IF_ERROR(ReadField(j, "repeat_penalty", &p.repeat_penalty));
  SS_RETURN_IF_ERROR(ReadField(j, "penalty_last_n", &p.penalty_last_n));
  SS_RETURN_IF_ERROR(ReadField(j, "frequency_penalty", &p.frequency_penalty));
  SS_RETURN_IF_ERROR(ReadField(j, "presence_penalty", &p.presence_penalty));
  SS_RETURN_IF_ERROR(ReadField(j, "seed", &p.seed));
  SS_RETURN_IF_ERROR(ReadField(j, "skip_draws", &p.skip_draws));
  Status valid = model::ValidateSamplingParams(p);
  if (!valid.ok()) return Status::InvalidArgument(valid.message());
  return p;
}

Status ForwardSession::PrepareSampling(const model::SamplingParams& params,
                                       const std::vector<net::ActivationRow>& rows) {
  const int first = rows.front().pos;
  bool rewind = !sampler || first < length;
  for (size_t i = 0; !rewind && i < rows.size(); ++i) {
    const size_t pos = static_cast<size_t>(rows[i].pos);
    rewind = pos < history.size() && history[pos] != rows[i].token;
  }
  if (!rewind) return Status::Ok();
  history.resize(std::min(history.size(), static_cast<size_t>(first)));
  SS_ASSIGN_OR_RETURN(model::Sampler s, model::Sampler::Create(params));
  for (int32_t t : history) s.Accept(t);
  sampler = std::move(s);
  return Status::Ok();
}

void ForwardSession::AcceptRows(const std::vector<net::ActivationRow>& rows) {
  for (const net::ActivationRow& r : rows)
    if (static_cast<size_t>(r.pos) == history.size()) {
      sampler->Accept(r.token);
      history.push_back(r.token);
    }
}

int32_t ForwardSession::SampleNext(const float* logits, int n_vocab) {
  const int32_t token = sampler->Sample(logits, n_vocab);
  sampler->Accept(token);
  history.push_back(token);
  return token;
}

}  // namespace ss::node
