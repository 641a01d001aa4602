#include "engine/weights.h"

#include "engine/quants.h"
#include "engine/vec_dot.h"
#include "gguf/tensor_names.h"

namespace ss::engine {
namespace {

std::string Dims(int64_t a, int64_t b) { return "[" + std::to_string(a) + ", " + std::to_string(b) + "]"; }

Result<const gguf::TensorInfo*> Find(const gguf::File& f, const std::string& name) {
  const gguf::TensorInfo* t = f.FindTensor(name);
  if (!t) return Status::Error(f.path() + ": tensor '" + name + "' is missing");
  return t;
}

Result<const float*> Norm(const gguf::File& f, const std::string& name, int64_t n) {
  auto t = Find(f, name);
  if (!t.ok()) return t.status();
  if ((*t)->type != gguf::TensorType::F32)
    return Status::Error(f.path() + ": tensor '" + name + "' has type " + gguf::TypeName((*t)->type) +
                         "; norm weights must be F32");
  if ((*t)->dims.size() != 1 || static_cast<int64_t>((*t)->dims[0]) != n)
    return Status::Error(f.path() + ": tensor '" + name + "' has shape " + (*t)->ShapeString() +
                         ", expected [" + std::to_string(n) + "]");
  return reinterpret_cast<const float*>((*t)->data);
}

Result<WeightView> Matrix(const gguf::File& f, const std::string& name, int64_t n_in, int64_t n_out) {
  auto t = Find(f, name);
  if (!t.ok()) return t.status();
  const gguf::TensorInfo& info = **t;
  if (info.dims.size() != 2 || static_cast<int64_t>(info.dims[0]) != n_in ||
      static_cast<int64_t>(info.dims[1]) != n_out)
    return Status::Error(f.path() + ": tensor '" + name + "' has shape " + info.ShapeString() +
                         ", expected " + Dims(n_in, n_out));
  WeightView w{info.type, info.data, n_in, n_out};
  if (!CheckMatMul(w).ok())
    return Status::Error(
        f.path() + ": tensor '" + name + "' has type " + gguf::TypeName(info.type) +
        ", which the engine cannot compute (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
  return w;
}

}  // namespace

Result<StageWeights> LoadStageWeights(const gguf::File& f, const Config& c, int start, int end, bool first,
                                      bool last) {
  StageWeights s;
  const int64_t E = c.n_embd, KV = static_cast<int64_t>(c.n_head_kv) * c.head_dim, F = c.n_ff, V = c.n_vocab;
  const std::string embd = gguf::WeightName(gguf::kTokenEmbd), output = gguf::WeightName(gguf::kOutput);
  if (first || (last && !f.FindTensor(output))) {
    auto t = Matrix(f, embd, E, V);
    if (!t.ok()) return t.status();
    if (!CanDequantize(t->type))
      return Status::Error(f.path() + ": tensor '" + embd + "' has type " + gguf::TypeName(t->type) +
                           ", which the engine cannot read");
    s.token_embd = *t;
  }
  if (last) {
    auto norm = Norm(f, gguf::WeightName(gguf::kOutputNorm), E);
    if (!norm.ok()) return norm.status();
    s.output_norm = *norm;
    if (f.FindTensor(output)) {
      auto out = Matrix(f, output, E, V);
      if (!out.ok()) return out.status();
      s.output = *out;
    } else {
      s.output = s.token_embd;  // tied embeddings
    }
  }
  for (int l = start; l < end; ++l) {
    using enum gguf::LayerTensor;
    auto name = [l](gguf::LayerTensor t) { return gguf::LayerWeightName(l, t); };
    LayerWeights w;
    auto an = Norm(f, name(kAttnNorm), E);
    auto fn = Norm(f, name(kFfnNorm), E);
    auto q = Matrix(f, name(kAttnQ), E, E);
    auto k = Matrix(f, name(kAttnK), E, KV);
    auto v = Matrix(f, name(kAttnV), E, KV);
    auto o = Matrix(f, name(kAttnOutput), E, E);
    auto g = Matrix(f, name(kFfnGate), E, F);
    auto u = Matrix(f, name(kFfnUp), E, F);
    auto d = Matrix(f, name(kFfnDown), F, E);
    for (const Status* st : {&an.status(), &fn.status(), &q.status(), &k.status(), &v.status(), &o.status(),
                             &g.status(), &u.status(), &d.status()})
      if (!st->ok()) return *st;
    w.attn_norm = *an;
    w.ffn_norm = *fn;
    w.wq = *q;
    w.wk = *k;
    w.wv = *v;
    w.wo = *o;
    w.w_gate = *g;
    w.w_up = *u;
    w.w_down = *d;
    s.layers.push_back(w);
  }
  return s;
}

void InterleaveStageWeights(const gguf::File& file, StageWeights* s) {
  uint8_t* base = file.mutable_bytes();
  if (base == nullptr) return;
  auto interleave = [&](WeightView* w) {
    if (!CanInterleave(w->type) || w->interleaved() || w->n_out % kInterleave != 0 ||
        w->data == s->token_embd.data)
      return;
    uint8_t* rows = base + (static_cast<const uint8_t*>(w->data) - file.bytes());
    const int group_rows = GetTypeTraits(w->type)->group_rows;
    InterleaveMatrix(w->type, rows, w->n_in, w->n_out, group_rows);
    w->group_rows = group_rows;
  };
  for (LayerWeights& l : s->layers) {
    for (WeightView* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) interleave(w);
  }
  if (s->output.data != nullptr) interleave(&s->output);
}

}  // namespace ss::engine
