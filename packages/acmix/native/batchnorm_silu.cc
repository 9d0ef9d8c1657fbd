// Training-mode nn.BatchNorm2d followed by nn.SiLU (Ultralytics nn/modules/conv.py::Conv.forward:
// act(bn(conv(x)))) as one op forward and one backward, over NHWC maps seen as [P pixels, C channels].
// Composed, they are TensorFlow's FusedBatchNormV3 then AcmixLabSilu forward and AcmixLabSiluGrad then
// FusedBatchNormGradV3 backward, each its own passes over the map, with the normalised map kept alive
// between forward and backward. Here:
//   forward   pass 1: per-channel Σx, Σx² → μ, biased σ² (normalises, as torch batch_norm), unbiased σ²
//                     (what torch folds into running_var), inv = 1/√(σ² + eps);
//             pass 2: y = silu(z), z = x·a + b with a = γ·inv, b = β − μ·a;
//   backward  pass 1: z and σ(z) recomputed from x, dz = dy·σ(z)·(1 + z·(1 − σ(z))), dβ = Σ dz, dγ = Σ dz·x̂;
//             pass 2: dx = a·(dz − dβ/P − x̂·dγ/P), x̂ = (x − μ)·inv, dz recomputed.
// Sums are taken in double over chunks of pixels fixed by the shape and the chunk partials added in
// chunk order, so results do not depend on the thread count (Σx² − P·μ² in double keeps σ² accurate
// on 16×160×160 maps even when |μ| ≫ σ).
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "sigmoid.h"

namespace {

using acmix::Sigmoid;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::errors::InvalidArgument;

// Elements per reduction chunk: a few per thread even on small maps, few partials on large ones.
constexpr int64_t kChunkElements = 8192;

struct Map {
  int64_t pixels, channels;
};

// x [..., C] with γ and β [C]; sets the error and returns false otherwise.
bool CheckInputs(OpKernelContext* ctx, const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta, Map* map) {
  if (x.dims() < 1 || x.dim_size(x.dims() - 1) == 0) {
    ctx->SetStatus(InvalidArgument(op, ": x must have a non-empty channel dimension, got ", x.shape().DebugString()));
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

// Per-channel sums s[c], q[c] of the terms `pixel(p, s, q)` adds for pixel p, over all pixels.
template <typename Pixel>
void ChannelSums(OpKernelContext* ctx, Map m, Pixel pixel, std::vector<double>& s, std::vector<double>& q) {
  const int64_t per_chunk = std::max<int64_t>(1, kChunkElements / m.channels);
  const int64_t chunks = (m.pixels + per_chunk - 1) / per_chunk;
  std::vector<double> partial(chunks * 2 * m.channels, 0.0);
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(
      chunks, per_chunk * m.channels * 30, [&](int64_t first, int64_t end) {
        for (int64_t k = first; k < end; ++k) {
          double* ps = partial.data() + k * 2 * m.channels;
          const int64_t last = std::min(m.pixels, (k + 1) * per_chunk);
          for (int64_t p = k * per_chunk; p < last; ++p) pixel(p, ps, ps + m.channels);
        }
      });
  s.assign(m.channels, 0.0);
  q.assign(m.channels, 0.0);
  for (int64_t k = 0; k < chunks; ++k) {
    const double* ps = partial.data() + k * 2 * m.channels;
    for (int64_t c = 0; c < m.channels; ++c) {
      s[c] += ps[c];
      q[c] += ps[m.channels + c];
    }
  }
}

// Calls rows(first, end) on pixel ranges across the intra-op pool (each pixel's result is computed
// the same way whatever the split).
template <typename Rows>
void ForPixels(OpKernelContext* ctx, Map m, Rows rows) {
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(m.pixels, m.channels * 40, rows);
}

// a = γ·inv and b = β − μ·a: z = x·a + b, the same float operations in forward and backward.
void Affine(const float* gamma, const float* beta, const float* mean, const float* inv, int64_t c, float* a, float* b) {
  for (int64_t i = 0; i < c; ++i) {
    a[i] = gamma[i] * inv[i];
    b[i] = beta[i] - mean[i] * a[i];
  }
}

class BatchNormSiluOp : public OpKernel {
 public:
  explicit BatchNormSiluOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("epsilon", &epsilon_));
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
    const float* px = x.flat<float>().data();
    std::vector<double> s, q;
    ChannelSums(ctx, m, [&](int64_t p, double* ps, double* pq) {
      const float* row = px + p * C;
      for (int64_t c = 0; c < C; ++c) {
        const double v = row[c];
        ps[c] += v;
        pq[c] += v * v;
      }
    }, s, q);
    float* pmean = mean->flat<float>().data();
    float* pvar = variance->flat<float>().data();
    float* pinv = inv->flat<float>().data();
    const double n = static_cast<double>(m.pixels);
    for (int64_t c = 0; c < C; ++c) {
      const double mu = s[c] / n;
      const double biased = std::max(q[c] / n - mu * mu, 0.0);
      pmean[c] = static_cast<float>(mu);
      pvar[c] = static_cast<float>(biased * n / std::max(n - 1, 1.0));
      pinv[c] = static_cast<float>(1.0 / std::sqrt(biased + epsilon_));
    }
    std::vector<float> a(C), b(C);
    Affine(ctx->input(1).flat<float>().data(), ctx->input(2).flat<float>().data(), pmean, pinv, C, a.data(), b.data());
    float* py = y->flat<float>().data();
    ForPixels(ctx, m, [&](int64_t first, int64_t end) {
      for (int64_t p = first; p < end; ++p) {
        const float* row = px + p * C;
        float* out = py + p * C;
        for (int64_t c = 0; c < C; ++c) {
          const float z = row[c] * a[c] + b[c];
          out[c] = z * Sigmoid(z);
        }
      }
    });
  }

 private:
  float epsilon_;
};

class BatchNormSiluGradOp : public OpKernel {
 public:
  explicit BatchNormSiluGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& dy = ctx->input(5);
    Map m;
    if (!CheckInputs(ctx, "AcmixLabBatchNormSiluGrad", x, ctx->input(1), ctx->input(2), &m)) return;
    OP_REQUIRES(ctx, dy.shape() == x.shape(),
                InvalidArgument("AcmixLabBatchNormSiluGrad: x ", x.shape().DebugString(), " and dy ", dy.shape().DebugString(), " differ"));
    const int64_t C = m.channels;
    Tensor *dx, *dgamma, *dbeta;
    OP_REQUIRES_OK(ctx, ctx->forward_input_or_allocate_output({5}, 0, x.shape(), &dx));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, {C}, &dgamma));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, {C}, &dbeta));
    const float* px = x.flat<float>().data();
    const float* pdy = dy.flat<float>().data();
    const float* mean = ctx->input(3).flat<float>().data();
    const float* inv = ctx->input(4).flat<float>().data();
    std::vector<float> a(C), b(C);
    Affine(ctx->input(1).flat<float>().data(), ctx->input(2).flat<float>().data(), mean, inv, C, a.data(), b.data());
    // dz and x̂ of element (p, c): the gradient reaching the BatchNorm output, and the normalised input.
    auto dz_at = [&](int64_t i, int64_t c) {
      const float z = px[i] * a[c] + b[c];
      const float s = Sigmoid(z);
      return pdy[i] * s * (1.f + z * (1.f - s));
    };
    std::vector<double> sum_dz, sum_dz_xhat;
    ChannelSums(ctx, m, [&](int64_t p, double* ps, double* pq) {
      for (int64_t c = 0, i = p * C; c < C; ++c, ++i) {
        const float dz = dz_at(i, c);
        ps[c] += dz;
        pq[c] += dz * ((px[i] - mean[c]) * inv[c]);
      }
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
    // dx may overwrite dy (forwarded buffer): each element reads its dy before writing its dx.
    float* pdx = dx->flat<float>().data();
    ForPixels(ctx, m, [&](int64_t first, int64_t end) {
      for (int64_t p = first; p < end; ++p) {
        for (int64_t c = 0, i = p * C; c < C; ++c, ++i) {
          const float xhat = (px[i] - mean[c]) * inv[c];
          pdx[i] = a[c] * (dz_at(i, c) - dbeta_n[c] - xhat * dgamma_n[c]);
        }
      }
    });
  }
};

absl::Status ChannelVectors(tensorflow::shape_inference::InferenceContext* c, int first, int count) {
  tensorflow::shape_inference::ShapeHandle x;
  TF_RETURN_IF_ERROR(c->WithRankAtLeast(c->input(0), 1, &x));
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
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return ChannelVectors(c, 1, 2);
    });

REGISTER_KERNEL_BUILDER(Name("AcmixLabBatchNormSilu").Device(tensorflow::DEVICE_CPU), BatchNormSiluOp);
REGISTER_KERNEL_BUILDER(Name("AcmixLabBatchNormSiluGrad").Device(tensorflow::DEVICE_CPU), BatchNormSiluGradOp);
