// ACmix's composed weight matrices (layer.ts composedWeights(), README.md "How it is computed") and their
// gradient, one op each: composed from stock ops they were ~30 small ops forward and ~100 backward per layer
// and batch, whose dispatch cost more than their arithmetic (docs/benchmarks.md, "ACmix step").
//
// Inputs (tfjs layouts): w1, w2, w3 [Ci, C] and b1, b2, b3 [C] (conv1..3, channel t·D + g of head t),
// wp [2, D] (conv_p; its bias cancels), fc [3·T, K] (K = kc²), dep [D, K, T·K], rate1, rate2 [1].
// Rows r of the augmented input xa = [x, 1, loc_w, loc_h]: r < Ci is x, r = Ci the ones (biases), then loc.
// Outputs, with s = D^-1/2 and q, k, v the conv1..3 weights extended by their bias row and two zero rows:
//   wq [R, T·(D+2)]   [r, t·(D+2) + g] = s·q[r, t·D + g]; [.., D + j] = Σ_g s·q[r, t·D + g]·wp[j, g]
//   wk [R, T·(D+2)]   [r, t·(D+2) + g] = k[r, t·D + g];   [.., D + j] = −1 where r = Ci + 1 + j, else 0
//   wv [R, C]         rate1·v
//   wf [R, D·K]       [r, g·K + m] = Σ_{u<3, t} fc[u·T + t, m]·(q|k|v)_u[r, t·D + g]   (f_conv = xa·wf)
//   depr [D, K, T·K]  rate2·dep
// ACmixFoldedWeights (same inputs; rate1 unread) outputs wq, wk, wv = v unscaled and, for ACmixQkvConv
// (qkv_conv.cc), which reads q′ = s·q, k and v: wc [D, 3T, T·K] = rate2·fcq·dep per group (Fold below).
// Single-threaded (the work is a few MFLOP) with every sum in a fixed order: deterministic.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

struct Dims {
  int ci, c, heads, d, k, rows;
};

// (q|k|v)_u[r, ·] extended: the weight row, the bias, then two zero rows.
const float* ExtendedRow(const float* w, const float* b, const Dims& n, int r) {
  return r < n.ci ? w + static_cast<size_t>(r) * n.c : r == n.ci ? b : nullptr;
}

// Checks the 11 weight inputs and reads their dimensions.
bool CheckInputs(OpKernelContext* ctx, Dims* n) {
  const Tensor& w1 = ctx->input(0);
  const Tensor& wp = ctx->input(6);
  const Tensor& fc = ctx->input(7);
  const Tensor& dep = ctx->input(8);
  bool ok = w1.dims() == 2 && fc.dims() == 2 && dep.dims() == 3 && wp.dims() == 2 && fc.dim_size(0) % 3 == 0;
  if (ok) {
    *n = {static_cast<int>(w1.dim_size(0)), static_cast<int>(w1.dim_size(1)), static_cast<int>(fc.dim_size(0) / 3),
          static_cast<int>(wp.dim_size(1)), static_cast<int>(fc.dim_size(1)), static_cast<int>(w1.dim_size(0)) + 3};
    ok = n->heads * n->d == n->c && wp.dim_size(0) == 2 && dep.dim_size(0) == n->d && dep.dim_size(1) == n->k &&
         dep.dim_size(2) == n->heads * n->k;
    for (int i = 0; i < 3 && ok; ++i) {
      ok = ctx->input(2 * i).shape() == w1.shape() && ctx->input(2 * i + 1).NumElements() == n->c;
    }
    ok = ok && ctx->input(9).NumElements() == 1 && ctx->input(10).NumElements() == 1;
  }
  if (!ok) {
    ctx->SetStatus(tensorflow::errors::InvalidArgument(
        "ACmixComposedWeights: w1..3 [Ci, C], b1..3 [C], wp [2, D], fc [3T, K], dep [D, K, T·K], rates [1] expected, got w1 ",
        w1.shape().DebugString(), " wp ", wp.shape().DebugString(), " fc ", fc.shape().DebugString(), " dep ",
        dep.shape().DebugString()));
  }
  return ok;
}

const float* In(OpKernelContext* ctx, int i) { return ctx->input(i).flat<float>().data(); }

// The 11 weight inputs (w1, b1, w2, b2, w3, b3, wp, fc, dep, rate1, rate2).
struct Weights {
  const float* w[3];
  const float* b[3];
  const float* wp;
  const float* fc;
  const float* dep;
  float rate1, rate2;
};

Weights ReadWeights(OpKernelContext* ctx) {
  return {{In(ctx, 0), In(ctx, 2), In(ctx, 4)}, {In(ctx, 1), In(ctx, 3), In(ctx, 5)}, In(ctx, 6), In(ctx, 7), In(ctx, 8),
          In(ctx, 9)[0], In(ctx, 10)[0]};
}

float* Out(OpKernelContext* ctx, int i, const TensorShape& shape) {
  Tensor* t = nullptr;
  const auto status = ctx->allocate_output(i, shape, &t);
  if (!status.ok()) {
    ctx->SetStatus(status);
    return nullptr;
  }
  return t->flat<float>().data();
}

// ACmixFoldedWeights: fc folded into rate2·dep_conv for ACmixQkvConv (qkv_conv.cc), which reads the
// projections q′ = s·q, k and v themselves. fcq[u·T + h, m] = fc[u·T + h, m], times 1/s for q (u = 0).
float FoldedFc(const float* fc, const Dims& n, int row, int m, float scale) {
  return fc[row * n.k + m] * (row < n.heads ? 1.f / scale : 1.f);
}

class ComposedWeightsOp : public OpKernel {
 public:
  explicit ComposedWeightsOp(OpKernelConstruction* c) : OpKernel(c), fold_(c->def().op() == "ACmixFoldedWeights") {}

  void Compute(OpKernelContext* ctx) override {
    Dims n;
    if (!CheckInputs(ctx, &n)) return;
    const auto [w, b, wp, fc, dep, rate1, rate2] = ReadWeights(ctx);
    const int e = n.d + 2;
    float* wq = Out(ctx, 0, TensorShape({n.rows, n.heads * e}));
    float* wk = Out(ctx, 1, TensorShape({n.rows, n.heads * e}));
    float* wv = Out(ctx, 2, TensorShape({n.rows, n.c}));
    if (fold_) {
      float* wc = Out(ctx, 3, TensorShape({n.d, 3 * n.heads, n.heads * n.k}));
      if (!wq || !wk || !wv || !wc) return;
      Project(n, w, b, wp, fc, 1.f, wq, wk, wv, nullptr);
      Fold(n, fc, dep, rate2, wc);
      return;
    }
    float* wf = Out(ctx, 3, TensorShape({n.rows, n.d * n.k}));
    float* depr = Out(ctx, 4, TensorShape({n.d, n.k, n.heads * n.k}));
    if (!wq || !wk || !wv || !wf || !depr) return;
    Project(n, w, b, wp, fc, rate1, wq, wk, wv, wf);
    const int64_t deps = ctx->input(8).NumElements();
    for (int64_t i = 0; i < deps; ++i) depr[i] = rate2 * dep[i];
  }

 private:
  // wq, wk, wv = v_scale·v and, unless null, wf.
  static void Project(const Dims& n, const float* const (&w)[3], const float* const (&b)[3], const float* wp, const float* fc,
                      float v_scale, float* wq, float* wk, float* wv, float* wf) {
    const int e = n.d + 2;
    const float scale = 1.f / std::sqrt(static_cast<float>(n.d));
    std::vector<float> mix(static_cast<size_t>(n.k) * n.d);  // one row of wf, m-major
    for (int r = 0; r < n.rows; ++r) {
      const float* src[3];
      for (int u = 0; u < 3; ++u) src[u] = ExtendedRow(w[u], b[u], n, r);
      float* q = wq + static_cast<size_t>(r) * n.heads * e;
      float* k = wk + static_cast<size_t>(r) * n.heads * e;
      float* v = wv + static_cast<size_t>(r) * n.c;
      std::fill(mix.begin(), mix.end(), 0.f);
      for (int t = 0; t < n.heads; ++t) {
        float* qt = q + t * e;
        float* kt = k + t * e;
        for (int g = 0; g < n.d; ++g) {
          qt[g] = src[0] ? scale * src[0][t * n.d + g] : 0.f;
          kt[g] = src[1] ? src[1][t * n.d + g] : 0.f;
          v[t * n.d + g] = src[2] ? v_scale * src[2][t * n.d + g] : 0.f;
        }
        for (int j = 0; j < 2; ++j) {
          float sum = 0.f;
          for (int g = 0; g < n.d; ++g) sum += qt[g] * wp[j * n.d + g];
          qt[n.d + j] = sum;
          kt[n.d + j] = r == n.ci + 1 + j ? -1.f : 0.f;
        }
        for (int u = 0; u < 3 && wf; ++u) {
          if (!src[u]) continue;
          const float* row = src[u] + t * n.d;
          for (int m = 0; m < n.k; ++m) {
            const float a = fc[(u * n.heads + t) * n.k + m];
            float* dst = mix.data() + static_cast<size_t>(m) * n.d;
            for (int g = 0; g < n.d; ++g) dst[g] += a * row[g];
          }
        }
      }
      if (!wf) continue;
      float* f = wf + static_cast<size_t>(r) * n.d * n.k;
      for (int g = 0; g < n.d; ++g) {
        for (int m = 0; m < n.k; ++m) f[g * n.k + m] = mix[static_cast<size_t>(m) * n.d + g];
      }
    }
  }

  // wc[g, s, j] = rate2·Σ_m fcq[s, m]·dep[g, m, j], j = t·K + κ.
  static void Fold(const Dims& n, const float* fc, const float* dep, float rate2, float* wc) {
    const float scale = 1.f / std::sqrt(static_cast<float>(n.d));
    const int cols = n.heads * n.k;
    for (int g = 0; g < n.d; ++g) {
      for (int s = 0; s < 3 * n.heads; ++s) {
        float* dst = wc + (static_cast<size_t>(g) * 3 * n.heads + s) * cols;
        std::fill(dst, dst + cols, 0.f);
        for (int m = 0; m < n.k; ++m) {
          const float a = FoldedFc(fc, n, s, m, scale);
          const float* d = dep + (static_cast<size_t>(g) * n.k + m) * cols;
          for (int j = 0; j < cols; ++j) dst[j] += a * d[j];
        }
        for (int j = 0; j < cols; ++j) dst[j] *= rate2;
      }
    }
  }

 protected:
  const bool fold_;
};

// Inputs: the forward's 11, then dwq, dwk, dwv, dwf, ddepr (ACmixFoldedWeightsGrad: dwq, dwk, dv, dwc). Outputs:
// the gradients of the 11 inputs (folded: rate1's is 0, its forward does not read it).
class ComposedWeightsGradOp : public OpKernel {
 public:
  explicit ComposedWeightsGradOp(OpKernelConstruction* c) : OpKernel(c), fold_(c->def().op() == "ACmixFoldedWeightsGrad") {}

  void Compute(OpKernelContext* ctx) override {
    Dims n;
    if (!CheckInputs(ctx, &n)) return;
    const auto [w, b, wp, fc, dep, rate1, rate2] = ReadWeights(ctx);
    const int e = n.d + 2;
    const int64_t sizes[5] = {int64_t{n.rows} * n.heads * e, int64_t{n.rows} * n.heads * e, int64_t{n.rows} * n.c,
                              fold_ ? ctx->input(8).NumElements() / n.k * 3 * n.heads : int64_t{n.rows} * n.d * n.k,
                              ctx->input(8).NumElements()};
    for (int i = 0; i < (fold_ ? 4 : 5); ++i) {
      OP_REQUIRES(ctx, ctx->input(11 + i).NumElements() == sizes[i],
                  tensorflow::errors::InvalidArgument("ACmixComposedWeightsGrad: gradient ", i, " has ",
                                                      ctx->input(11 + i).NumElements(), " elements, expected ", sizes[i]));
    }
    const float *dwq = In(ctx, 11), *dwk = In(ctx, 12), *dwv = In(ctx, 13);
    const float* dwf = fold_ ? nullptr : In(ctx, 14);
    float* dw[3];
    float* db[3];
    for (int u = 0; u < 3; ++u) {
      dw[u] = Out(ctx, 2 * u, ctx->input(2 * u).shape());
      db[u] = Out(ctx, 2 * u + 1, ctx->input(2 * u + 1).shape());
    }
    float* dwp = Out(ctx, 6, ctx->input(6).shape());
    float* dfc = Out(ctx, 7, ctx->input(7).shape());
    float* ddep = Out(ctx, 8, ctx->input(8).shape());
    float* drate1 = Out(ctx, 9, ctx->input(9).shape());
    float* drate2 = Out(ctx, 10, ctx->input(10).shape());
    for (float* p : {dw[0], dw[1], dw[2], db[0], db[1], db[2], dwp, dfc, ddep, drate1, drate2}) {
      if (!p) return;
    }
    const float scale = 1.f / std::sqrt(static_cast<float>(n.d));
    std::fill(dwp, dwp + 2 * n.d, 0.f);
    std::fill(dfc, dfc + 3 * n.heads * n.k, 0.f);
    float sum_rate1 = 0.f;
    std::vector<float> dmix(static_cast<size_t>(n.k) * n.d);  // one row of dwf, m-major
    std::vector<float> grad(n.d);
    // Rows Ci + 1 and Ci + 2 (loc) of q, k, v are constant zeros: their gradients are dropped, so only the
    // weight rows and the bias row are visited.
    for (int r = 0; r <= n.ci; ++r) {
      const float* src[3];
      float* dst[3];
      for (int u = 0; u < 3; ++u) {
        src[u] = ExtendedRow(w[u], b[u], n, r);
        dst[u] = r < n.ci ? dw[u] + static_cast<size_t>(r) * n.c : db[u];
      }
      for (int g = 0; g < n.d && dwf; ++g) {
        for (int m = 0; m < n.k; ++m) dmix[static_cast<size_t>(m) * n.d + g] = dwf[(static_cast<size_t>(r) * n.d + g) * n.k + m];
      }
      for (int t = 0; t < n.heads; ++t) {
        const float* dq = dwq + (static_cast<size_t>(r) * n.heads + t) * e;
        const float* dk = dwk + (static_cast<size_t>(r) * n.heads + t) * e;
        const float* dv = dwv + static_cast<size_t>(r) * n.c + t * n.d;
        for (int u = 0; u < 3; ++u) {
          const float* row = src[u] + t * n.d;
          if (u == 0) {
            // wq = [s·q, s·q·wpᵀ]: d(s·q) = dwq[:D] + dwq[D:]·wp, and dwp += dwq[D:]ᵀ ⊗ s·q.
            for (int g = 0; g < n.d; ++g) grad[g] = scale * (dq[g] + dq[n.d] * wp[g] + dq[n.d + 1] * wp[n.d + g]);
            for (int j = 0; j < 2; ++j) {
              for (int g = 0; g < n.d; ++g) dwp[j * n.d + g] += dq[n.d + j] * (scale * row[g]);
            }
          } else if (u == 1) {
            for (int g = 0; g < n.d; ++g) grad[g] = dk[g];
          } else if (fold_) {
            for (int g = 0; g < n.d; ++g) grad[g] = dv[g];
          } else {
            for (int g = 0; g < n.d; ++g) {
              grad[g] = rate1 * dv[g];
              sum_rate1 += dv[g] * row[g];
            }
          }
          // wf: d(q|k|v)_u += Σ_m fc[u·T + t, m]·dwf[r, g·K + m]; dfc[u·T + t, m] += Σ_g row[g]·dwf[r, g·K + m].
          for (int m = 0; m < n.k && dwf; ++m) {
            const float a = fc[(u * n.heads + t) * n.k + m];
            const float* dm = dmix.data() + static_cast<size_t>(m) * n.d;
            float sum = 0.f;
            for (int g = 0; g < n.d; ++g) {
              grad[g] += a * dm[g];
              sum += row[g] * dm[g];
            }
            dfc[(u * n.heads + t) * n.k + m] += sum;
          }
          std::copy(grad.begin(), grad.end(), dst[u] + t * n.d);
        }
      }
    }
    drate1[0] = sum_rate1;
    if (fold_) {
      Unfold(n, fc, dep, rate2, In(ctx, 14), dfc, ddep, drate2);
      return;
    }
    const float* ddepr = In(ctx, 15);
    const int64_t deps = ctx->input(8).NumElements();
    float sum_rate2 = 0.f;
    for (int64_t i = 0; i < deps; ++i) {
      ddep[i] = rate2 * ddepr[i];
      sum_rate2 += ddepr[i] * dep[i];
    }
    drate2[0] = sum_rate2;
  }

 private:
  // The gradient of Fold (wc = rate2·fcq·dep per group) for dwc [D, 3T, T·K]: dfc += (1/s for q)·rate2·Σ dwc·dep,
  // ddep = rate2·Σ_s fcq·dwc, drate2 = Σ dwc·(fcq·dep) (from the unscaled product: rate2 may be 0).
  static void Unfold(const Dims& n, const float* fc, const float* dep, float rate2, const float* dwc, float* dfc, float* ddep,
                     float* drate2) {
    const float scale = 1.f / std::sqrt(static_cast<float>(n.d));
    const int cols = n.heads * n.k;
    float sum_rate2 = 0.f;
    for (int g = 0; g < n.d; ++g) {
      for (int m = 0; m < n.k; ++m) {
        const float* d = dep + (static_cast<size_t>(g) * n.k + m) * cols;
        float* dd = ddep + (static_cast<size_t>(g) * n.k + m) * cols;
        std::fill(dd, dd + cols, 0.f);
        for (int s = 0; s < 3 * n.heads; ++s) {
          const float* dc = dwc + (static_cast<size_t>(g) * 3 * n.heads + s) * cols;
          const float a = FoldedFc(fc, n, s, m, scale);
          float dot = 0.f;
          for (int j = 0; j < cols; ++j) {
            dd[j] += a * dc[j];
            dot += dc[j] * d[j];
          }
          dfc[s * n.k + m] += (s < n.heads ? 1.f / scale : 1.f) * rate2 * dot;
          sum_rate2 += a * dot;
        }
        for (int j = 0; j < cols; ++j) dd[j] *= rate2;
      }
    }
    drate2[0] = sum_rate2;
  }

  const bool fold_;
};

}  // namespace

REGISTER_OP("ACmixComposedWeights")
    .Input("w1: float").Input("b1: float").Input("w2: float").Input("b2: float").Input("w3: float").Input("b3: float")
    .Input("wp: float").Input("fc: float").Input("dep: float").Input("rate1: float").Input("rate2: float")
    .Output("wq: float").Output("wk: float").Output("wv: float").Output("wf: float").Output("depr: float");
REGISTER_KERNEL_BUILDER(Name("ACmixComposedWeights").Device(tensorflow::DEVICE_CPU), ComposedWeightsOp);

REGISTER_OP("ACmixComposedWeightsGrad")
    .Input("w1: float").Input("b1: float").Input("w2: float").Input("b2: float").Input("w3: float").Input("b3: float")
    .Input("wp: float").Input("fc: float").Input("dep: float").Input("rate1: float").Input("rate2: float")
    .Input("dwq: float").Input("dwk: float").Input("dwv: float").Input("dwf: float").Input("ddepr: float")
    .Output("dw1: float").Output("db1: float").Output("dw2: float").Output("db2: float").Output("dw3: float")
    .Output("db3: float").Output("dwp: float").Output("dfc: float").Output("ddep: float").Output("drate1: float")
    .Output("drate2: float");
REGISTER_KERNEL_BUILDER(Name("ACmixComposedWeightsGrad").Device(tensorflow::DEVICE_CPU), ComposedWeightsGradOp);

REGISTER_OP("ACmixFoldedWeights")
    .Input("w1: float").Input("b1: float").Input("w2: float").Input("b2: float").Input("w3: float").Input("b3: float")
    .Input("wp: float").Input("fc: float").Input("dep: float").Input("rate1: float").Input("rate2: float")
    .Output("wq: float").Output("wk: float").Output("wv: float").Output("wc: float");
REGISTER_KERNEL_BUILDER(Name("ACmixFoldedWeights").Device(tensorflow::DEVICE_CPU), ComposedWeightsOp);

REGISTER_OP("ACmixFoldedWeightsGrad")
    .Input("w1: float").Input("b1: float").Input("w2: float").Input("b2: float").Input("w3: float").Input("b3: float")
    .Input("wp: float").Input("fc: float").Input("dep: float").Input("rate1: float").Input("rate2: float")
    .Input("dwq: float").Input("dwk: float").Input("dwv: float").Input("dwc: float")
    .Output("dw1: float").Output("db1: float").Output("dw2: float").Output("db2: float").Output("dw3: float")
    .Output("db3: float").Output("dwp: float").Output("dfc: float").Output("ddep: float").Output("drate1: float")
    .Output("drate2: float");
REGISTER_KERNEL_BUILDER(Name("ACmixFoldedWeightsGrad").Device(tensorflow::DEVICE_CPU), ComposedWeightsGradOp);
