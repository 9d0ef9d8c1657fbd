// Training-mode nn.BatchNorm2d followed by nn.SiLU (Ultralytics nn/modules/conv.py::Conv.forward:
// act(bn(conv(x)))) as one op forward and one backward, over NHWC maps seen as [P pixels, C channels].
// Composed, they are TensorFlow's FusedBatchNormV3 then AcmixLabSilu forward and AcmixLabSiluGrad then
// FusedBatchNormGradV3 backward, each its own passes over the map, with the normalised map kept alive
// between forward and backward. Here:
//   forward   pass 1: per-channel Σx, Σx² → μ, biased σ² (normalises, as torch batch_norm), unbiased σ²
//                     (what torch folds into running_var), inv = 1/√(σ² + eps);
//             pass 2: y = silu(z), z = x·a + b with a = γ·inv, b = β − μ·a;
//   backward  pass 1: z and σ(z) recomputed from x, dz = dy·σ(z)·(1 + z·(1 − σ(z))) written to dx's buffer,
//                     dβ = Σ dz, dγ = Σ dz·x̂;
//             pass 2: dx = a·(dz − dβ/P − x̂·dγ/P) in place, x̂ = (x − μ)·inv.
// Only x (with γ, β, μ, inv) is kept from forward to backward. Writing dz rather than recomputing it in pass 2
// (σ evaluated twice) made the backward ~10–20% faster on YOLOv8n's maps (load ~9, so roughly).
// σ is SigmoidPolynomial (exp inline, sigmoid.h): the forward's pass 2 and the backward's pass 1 are bound by
// computing σ more than by memory on this machine, where the libmvec expf call GCC emits took half again the
// CPU time (poly_sigmoid = 0 keeps that route, bit for bit as before, for A/B; docs/benchmarks.md).
// Sums are taken over chunks of pixels fixed by the shape (in float within a chunk, in double across) and
// the chunk partials added in chunk order, so results do not depend on the thread count; the statistics
// sum x − x[0, c], which keeps σ² accurate even when |μ| ≫ σ.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "sigmoid.h"

namespace {

using acmix::LoadFirst;
using acmix::Sigmoid;
using acmix::SigmoidPolynomial;
using acmix::StoreFirst;
using acmix::V;
using acmix::vf;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::errors::InvalidArgument;

struct Map {
  int64_t pixels, channels;
};

// x [..., C] with γ and β [C]; sets the error and returns false otherwise.
bool CheckInputs(OpKernelContext* ctx, const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta, Map* map) {
  if (x.dims() < 2 || x.NumElements() == 0) {
    ctx->SetStatus(InvalidArgument(op, ": x must be a non-empty [..., C] map, got ", x.shape().DebugString()));
    return false;
  }
  const int64_t c = x.dim_size(x.dims() - 1);
  for (const Tensor* t : {&gamma, &beta}) {
    if (t->dims() != 1 || t->dim_size(0) != c) {
      ctx->SetStatus(InvalidArgument(op, ": γ and β must be [", c, "], got ", t->shape().DebugString()));
      return false;
    }
  }
  *map = {x.NumElements() / c, c};
  return true;
}

// The map is walked in blocks of whole pixels, at least kRun elements each, so inner loops run long whatever C
// (per-channel constants are tiled to the block: element j of a block is channel j % C). Reductions sum blocks
// into per-chunk partials (kChunk elements or more); block and chunk bounds depend on the shape only.
constexpr int64_t kRun = 256;
constexpr int64_t kChunk = 8192;

struct Blocks {
  explicit Blocks(Map m) : map(m), pixels((kRun + m.channels - 1) / m.channels), size(pixels * m.channels),
                           count((m.pixels + pixels - 1) / pixels) {}
  // Elements of block k: [k·size, k·size + length(k)).
  int64_t length(int64_t k) const { return std::min(size, map.pixels * map.channels - k * size); }
  std::vector<float> Tile(const std::vector<float>& per_channel) const {
    std::vector<float> t(size);
    for (int64_t j = 0; j < size; ++j) t[j] = per_channel[j % map.channels];
    return t;
  }
  Map map;
  int64_t pixels, size, count;
};

// Calls run(offset, n) on every block across the intra-op pool (each element's result is computed the same
// way whatever the split, the vector and scalar parts of a block included).
template <typename Run>
void ForBlocks(OpKernelContext* ctx, const Blocks& b, Run run) {
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(b.count, b.size * 40, [&](int64_t first, int64_t end) {
    for (int64_t k = first; k < end; ++k) run(k * b.size, b.length(k));
  });
}

// Per-channel sums s[c], q[c] of the terms run(offset, n, s, q) adds for the block's elements j (into s[j], q[j]):
// in float over the blocks of a chunk (at most kChunk / kRun terms each), in double over chunks.
template <typename Run>
void ChannelSums(OpKernelContext* ctx, const Blocks& b, Run run, std::vector<double>& s, std::vector<double>& q) {
  const int64_t C = b.map.channels;
  const int64_t per_chunk = std::max<int64_t>(1, kChunk / b.size);
  const int64_t chunks = (b.count + per_chunk - 1) / per_chunk;
  std::vector<double> partial(chunks * 2 * C, 0.0);
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(chunks, per_chunk * b.size * 40, [&](int64_t first, int64_t end) {
    std::vector<float> acc(2 * b.size);
    for (int64_t chunk = first; chunk < end; ++chunk) {
      std::fill(acc.begin(), acc.end(), 0.f);
      for (int64_t k = chunk * per_chunk; k < std::min(b.count, (chunk + 1) * per_chunk); ++k) {
        run(k * b.size, b.length(k), acc.data(), acc.data() + b.size);
      }
      double* ps = partial.data() + chunk * 2 * C;
      for (int64_t j = 0; j < b.size; ++j) {
        ps[j % C] += acc[j];
        ps[C + j % C] += acc[b.size + j];
      }
    }
  });
  s.assign(C, 0.0);
  q.assign(C, 0.0);
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const double* ps = partial.data() + chunk * 2 * C;
    for (int64_t c = 0; c < C; ++c) {
      s[c] += ps[c];
      q[c] += ps[C + c];
    }
  }
}

// a = γ·inv and b = β − μ·a: z = x·a + b, the same float operations in forward and backward.
void Affine(const float* gamma, const float* beta, const float* mean, const float* inv, int64_t c, std::vector<float>& a,
            std::vector<float>& b) {
  a.resize(c);
  b.resize(c);
  for (int64_t i = 0; i < c; ++i) {
    a[i] = gamma[i] * inv[i];
    b[i] = beta[i] - mean[i] * a[i];
  }
}

// The four passes over n elements of a block; per-channel constants (k, a, b, inv, shift, dβ/P, dγ/P) come
// tiled to the block. Separate functions with restrict pointers so that GCC vectorises them without alias checks.
// Σ (x − k) and Σ (x − k)².
void ShiftedSums(const float* __restrict__ x, const float* __restrict__ k, int64_t n, float* __restrict__ s, float* __restrict__ q) {
  for (int64_t j = 0; j < n; ++j) {
    const float d = x[j] - k[j];
    s[j] += d;
    q[j] += d * d;
  }
}

void SiluOfAffine(const float* __restrict__ x, const float* __restrict__ a, const float* __restrict__ b, int64_t n, float* __restrict__ y) {
  for (int64_t j = 0; j < n; ++j) {
    const float z = x[j] * a[j] + b[j];
    y[j] = z * Sigmoid(z);
  }
}

// dz = dy·σ(z)·(1 + z·(1 − σ(z))), z = x·a + b (the gradient reaching the BatchNorm output, σ recomputed from x),
// written to dz; Σ dz and Σ dz·x̂, x̂ = x·inv + shift (shift = −μ·inv).
void GradSums(const float* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ a, const float* __restrict__ b,
              const float* __restrict__ inv, const float* __restrict__ shift, int64_t n, float* __restrict__ s, float* __restrict__ q,
              float* __restrict__ dz) {
  for (int64_t j = 0; j < n; ++j) {
    const float z = x[j] * a[j] + b[j];
    const float sg = Sigmoid(z);
    const float d = dy[j] * sg * (1.f + z * (1.f - sg));
    dz[j] = d;
    s[j] += d;
    q[j] += d * (x[j] * inv[j] + shift[j]);
  }
}

// The two σ passes again with σ from SigmoidPolynomial (the product's route; the two above are
// ACMIX_LAB_BN_SILU_POLY_SIGMOID=0's), V elements at a time, the last n % V masked.
template <typename Body>
void ForVectors(int64_t n, Body body) {
  for (int64_t j = 0; j < n; j += V) body(j, static_cast<int>(std::min<int64_t>(V, n - j)));
}

void SiluOfAffinePolynomial(const float* x, const float* a, const float* b, int64_t n, float* y) {
  ForVectors(n, [&](int64_t j, int m) {
    const vf z = LoadFirst(x + j, m) * LoadFirst(a + j, m) + LoadFirst(b + j, m);
    StoreFirst(y + j, z * SigmoidPolynomial(z), m);
  });
}

void GradSumsPolynomial(const float* x, const float* dy, const float* a, const float* b, const float* inv, const float* shift, int64_t n,
                        float* s, float* q, float* dz) {
  ForVectors(n, [&](int64_t j, int m) {
    const vf xv = LoadFirst(x + j, m);
    const vf z = xv * LoadFirst(a + j, m) + LoadFirst(b + j, m);
    const vf sg = SigmoidPolynomial(z);
    const vf d = LoadFirst(dy + j, m) * sg * (1.f + z * (1.f - sg));
    StoreFirst(dz + j, d, m);
    StoreFirst(s + j, LoadFirst(s + j, m) + d, m);
    StoreFirst(q + j, LoadFirst(q + j, m) + d * (xv * LoadFirst(inv + j, m) + LoadFirst(shift + j, m)), m);
  });
}

// dx = a·(dz − dβ/P − x̂·dγ/P), over dz in place.
void GradInput(const float* __restrict__ x, const float* __restrict__ a,
               const float* __restrict__ inv, const float* __restrict__ shift, const float* __restrict__ dbeta_n,
               const float* __restrict__ dgamma_n, int64_t n, float* __restrict__ dz_dx) {
  for (int64_t j = 0; j < n; ++j) {
    const float xhat = x[j] * inv[j] + shift[j];
    dz_dx[j] = a[j] * (dz_dx[j] - dbeta_n[j] - xhat * dgamma_n[j]);
  }
}

class BatchNormSiluOp : public OpKernel {
 public:
  explicit BatchNormSiluOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("epsilon", &epsilon_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("poly_sigmoid", &poly_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    Map m;
    if (!CheckInputs(ctx, "AcmixLabBatchNormSilu", x, ctx->input(1), ctx->input(2), &m)) return;
    const int64_t C = m.channels;
    Tensor *y, *mean, *variance, *inv;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &y));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, {C}, &mean));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {C}, &variance));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(3, {C}, &inv));
    const Blocks blocks(m);
    const float* px = x.flat<float>().data();
    // Sums of x − k, k the first pixel: Σx² − P·μ² would lose σ² to cancellation when |μ| ≫ σ.
    const std::vector<float> k(px, px + C), tk = blocks.Tile(k);
    std::vector<double> s, q;
    ChannelSums(ctx, blocks, [&](int64_t offset, int64_t n, float* ps, float* pq) { ShiftedSums(px + offset, tk.data(), n, ps, pq); }, s, q);
    float* pmean = mean->flat<float>().data();
    float* pvar = variance->flat<float>().data();
    float* pinv = inv->flat<float>().data();
    const double n = static_cast<double>(m.pixels);
    for (int64_t c = 0; c < C; ++c) {
      const double shifted_mean = s[c] / n;
      const double biased = std::max(q[c] / n - shifted_mean * shifted_mean, 0.0);
      pmean[c] = static_cast<float>(k[c] + shifted_mean);
      pvar[c] = static_cast<float>(biased * n / std::max(n - 1, 1.0));
      pinv[c] = static_cast<float>(1.0 / std::sqrt(biased + epsilon_));
    }
    std::vector<float> a, b;
    Affine(ctx->input(1).flat<float>().data(), ctx->input(2).flat<float>().data(), pmean, pinv, C, a, b);
    const std::vector<float> ta = blocks.Tile(a), tb = blocks.Tile(b);
    float* py = y->flat<float>().data();
    ForBlocks(ctx, blocks, [&](int64_t offset, int64_t n) {
      (poly_ ? SiluOfAffinePolynomial : SiluOfAffine)(px + offset, ta.data(), tb.data(), n, py + offset);
    });
  }

 private:
  float epsilon_;
  int poly_;
};

class BatchNormSiluGradOp : public OpKernel {
 public:
  explicit BatchNormSiluGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("poly_sigmoid", &poly_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& dy = ctx->input(5);
    Map m;
    if (!CheckInputs(ctx, "AcmixLabBatchNormSiluGrad", x, ctx->input(1), ctx->input(2), &m)) return;
    OP_REQUIRES(ctx, dy.shape() == x.shape(),
                InvalidArgument("AcmixLabBatchNormSiluGrad: x ", x.shape().DebugString(), " and dy ", dy.shape().DebugString(), " differ"));
    const int64_t C = m.channels;
    Tensor *dx, *dgamma, *dbeta;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &dx));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, {C}, &dgamma));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {C}, &dbeta));
    const Blocks blocks(m);
    const float* mean = ctx->input(3).flat<float>().data();
    const float* inv = ctx->input(4).flat<float>().data();
    std::vector<float> a, b;
    Affine(ctx->input(1).flat<float>().data(), ctx->input(2).flat<float>().data(), mean, inv, C, a, b);
    // x̂ = (x − μ)·inv as x·inv + shift, shift = −μ·inv.
    std::vector<float> shift(C);
    for (int64_t c = 0; c < C; ++c) shift[c] = -mean[c] * inv[c];
    const std::vector<float> ta = blocks.Tile(a), tb = blocks.Tile(b), tinv = blocks.Tile(std::vector<float>(inv, inv + C)),
                             tshift = blocks.Tile(shift);
    const float* px = x.flat<float>().data();
    const float* pdy = dy.flat<float>().data();
    float* pdx = dx->flat<float>().data();
    std::vector<double> sum_dz, sum_dz_xhat;
    ChannelSums(ctx, blocks, [&](int64_t offset, int64_t n, float* ps, float* pq) {
      (poly_ ? GradSumsPolynomial : GradSums)(px + offset, pdy + offset, ta.data(), tb.data(), tinv.data(), tshift.data(), n, ps, pq, pdx + offset);
    }, sum_dz, sum_dz_xhat);
    float* pdgamma = dgamma->flat<float>().data();
    float* pdbeta = dbeta->flat<float>().data();
    std::vector<float> dbeta_n(C), dgamma_n(C);
    for (int64_t c = 0; c < C; ++c) {
      pdbeta[c] = static_cast<float>(sum_dz[c]);
      pdgamma[c] = static_cast<float>(sum_dz_xhat[c]);
      dbeta_n[c] = static_cast<float>(sum_dz[c] / m.pixels);
      dgamma_n[c] = static_cast<float>(sum_dz_xhat[c] / m.pixels);
    }
    const std::vector<float> tdbeta = blocks.Tile(dbeta_n), tdgamma = blocks.Tile(dgamma_n);
    ForBlocks(ctx, blocks, [&](int64_t offset, int64_t n) {
      GradInput(px + offset, ta.data(), tinv.data(), tshift.data(), tdbeta.data(), tdgamma.data(), n, pdx + offset);
    });
  }

 private:
  int poly_;
};

absl::Status ChannelVectors(tensorflow::shape_inference::InferenceContext* c, int first, int count) {
  tensorflow::shape_inference::ShapeHandle x;
  TF_RETURN_IF_ERROR(c->WithRankAtLeast(c->input(0), 2, &x));
  for (int i = first; i < first + count; ++i) c->set_output(i, c->Vector(c->Dim(x, -1)));
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("AcmixLabBatchNormSilu")
    .Input("x: float")
    .Input("gamma: float")
    .Input("beta: float")
    .Output("y: float")
    .Output("batch_mean: float")
    .Output("batch_variance: float")  // unbiased, as torch's running_var update takes it
    .Output("inv_std: float")
    .Attr("epsilon: float")
    .Attr("poly_sigmoid: int = 1")  // 0: σ through libm's expf (as before SigmoidPolynomial)
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return ChannelVectors(c, 1, 3);
    });

REGISTER_OP("AcmixLabBatchNormSiluGrad")
    .Input("x: float")
    .Input("gamma: float")
    .Input("beta: float")
    .Input("batch_mean: float")
    .Input("inv_std: float")
    .Input("dy: float")
    .Output("dx: float")
    .Output("dgamma: float")
    .Output("dbeta: float")
    .Attr("epsilon: float")  // unused (inv_std carries it): the forward's attributes are passed to both
    .Attr("poly_sigmoid: int = 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return ChannelVectors(c, 1, 2);
    });

REGISTER_KERNEL_BUILDER(Name("AcmixLabBatchNormSilu").Device(tensorflow::DEVICE_CPU), BatchNormSiluOp);
REGISTER_KERNEL_BUILDER(Name("AcmixLabBatchNormSiluGrad").Device(tensorflow::DEVICE_CPU), BatchNormSiluGradOp);
