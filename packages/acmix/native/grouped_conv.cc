// Fused TensorFlow CPU kernels for ACmix's dep_conv (ACmix.forward, "## conv"): a grouped conv
// with groups = head_dim (G), kc² input channels (M) and `head` outputs (T) per group, kc×kc taps
// (K = kc²), zero padding kc / 2 and stride s (official: padding 1, i.e. kc = 3). TensorFlow's
// own grouped and depthwise CPU convolutions are slow at these shapes, especially backward.
//
// Layouts (float32):
//   f   [B, H, W, G, M]     dep_conv's input f_conv, channel g·M + m as in the official module
//   w   [G, M, T·K]         w[g, m, t·K + κ] = torch dep_conv.weight[g·T + t, m, κ / kc, κ % kc]
//   out [B, Ho, Wo, G, T]   channel g·T + t
// A task handles one (image, group): it gathers the group's M channels once into a channel-major
// zero-padded plane and works 16 output columns at a time.
#include <algorithm>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "simd.h"

namespace {

using acmix::Load;
using acmix::RoundUp;
using acmix::Store;
using acmix::V;
using acmix::vf;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

struct ConvGeometry {
  int batch, h, w, groups, m, t, kc, k, stride, pad, ho, wo, wide;
  int reach() const { return (kc - 1) / stride; }  // largest kx / stride
};

ConvGeometry MakeConvGeometry(const Tensor& f, const Tensor& w, int kc, int stride) {
  ConvGeometry g;
  g.batch = f.dim_size(0);
  g.h = f.dim_size(1);
  g.w = f.dim_size(2);
  g.groups = f.dim_size(3);
  g.m = f.dim_size(4);
  g.kc = kc;
  g.k = kc * kc;
  g.t = w.dim_size(2) / g.k;
  g.stride = stride;
  g.pad = (kc - 1) / 2;
  g.ho = (g.h + stride - 1) / stride;
  g.wo = (g.w + stride - 1) / stride;
  g.wide = RoundUp(g.wo, V);
  return g;
}

// One group of one image, channel-major, columns zero-padded by `pad` and split into `stride`
// phases: padded column xo·s + kx (tap kx of output column xo) is at phase kx % s, index
// xo + kx / s. Rows are not padded: taps outside the image are skipped.
struct ZeroPlane {
  int per_phase = 0, rows = 0;
  size_t channel_stride = 0;
  acmix::PhaseColumns columns;
  std::vector<float> data;
  void Resize(const ConvGeometry& g) {
    const int stride = g.stride;
    rows = g.h;
    per_phase = RoundUp(std::max((g.w + 2 * g.pad + stride - 1) / stride, g.wide + g.reach()), V) + V;
    channel_stride = static_cast<size_t>(rows) * stride * per_phase;
    columns.Resize(stride, per_phase);
    data.assign(g.m * channel_stride, 0.f);
  }
  size_t index(int y, int padded_col) const { return columns.index(y, padded_col); }
  void Fill(const float* f, const ConvGeometry& g, int b, int group) {
    std::fill(data.begin(), data.end(), 0.f);
    const int* col = columns.col.data() + g.pad;
    const size_t px = static_cast<size_t>(g.groups) * g.m;
    // Channel by channel within a row: the row's source stays in L1 while every store is sequential.
    for (int y = 0; y < g.h; ++y) {
      const float* row = f + ((static_cast<size_t>(b) * g.h + y) * g.w * g.groups + group) * g.m;
      for (int m = 0; m < g.m; ++m) {
        float* dst = data.data() + m * channel_stride + y * columns.row_stride;
        for (int x = 0; x < g.w; ++x) dst[col[x]] = row[x * px + m];
      }
    }
  }
};

class GroupedConvOp : public OpKernel {
 public:
  explicit GroupedConvOp(OpKernelConstruction* c) : OpKernel(c) {
    OP_REQUIRES_OK(c, c->GetAttr("kernel", &kernel_));
    OP_REQUIRES_OK(c, c->GetAttr("stride", &stride_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& f = ctx->input(0);
    const Tensor& w = ctx->input(1);
    OP_REQUIRES(ctx, f.dims() == 5 && w.dims() == 3 && w.dim_size(0) == f.dim_size(3) && w.dim_size(1) == f.dim_size(4) &&
                         w.dim_size(2) % (kernel_ * kernel_) == 0,
                tensorflow::errors::InvalidArgument("ACmixGroupedConv: f [B,H,W,G,M] and w [G,M,T·K] expected, got ",
                                                    f.shape().DebugString(), " ", w.shape().DebugString()));
    const ConvGeometry g = MakeConvGeometry(f, w, kernel_, stride_);
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({g.batch, g.ho, g.wo, g.groups, g.t}), &out));
    const float* fp = f.flat<float>().data();
    const float* wp = w.flat<float>().data();
    float* op = out->flat<float>().data();
    auto fn = [&](int64_t begin, int64_t end) {
      ZeroPlane plane;
      plane.Resize(g);
      for (int64_t task = begin; task < end; ++task) {
        const int group = task % g.groups;
        const int b = task / g.groups;
        plane.Fill(fp, g, b, group);
        const float* wg = wp + static_cast<size_t>(group) * g.m * g.t * g.k;
        const size_t cs = plane.channel_stride;
        for (int yo = 0; yo < g.ho; ++yo) {
          for (int x0 = 0; x0 < g.wide; x0 += V) {
            const int cols = std::min(V, g.wo - x0);
            // N outputs per pass share each loaded input vector.
            acmix::Blocks4(g.t, [&](auto nt, int t0) {
              constexpr int N = decltype(nt)::value;
              vf acc[N] = {};
              for (int ky = 0; ky < g.kc; ++ky) {
                const int y = yo * g.stride + ky - g.pad;
                if (y < 0 || y >= g.h) continue;
                for (int kx = 0; kx < g.kc; ++kx) {
                  const float* pin = plane.data.data() + plane.index(y, kx) + x0;
                  const float* wt = wg + static_cast<size_t>(t0) * g.k + ky * g.kc + kx;
                  for (int m = 0; m < g.m; ++m) {
                    const vf fv = Load(pin + m * cs);
                    const float* wm = wt + static_cast<size_t>(m) * g.t * g.k;
#pragma GCC unroll 4
                    for (int i = 0; i < N; ++i) acc[i] += wm[i * g.k] * fv;
                  }
                }
              }
              for (int i = 0; i < N; ++i) {
                float lanes[V];
                Store(lanes, acc[i]);
                for (int l = 0; l < cols; ++l) op[(((static_cast<size_t>(b) * g.ho + yo) * g.wo + x0 + l) * g.groups + group) * g.t + t0 + i] = lanes[l];
              }
            });
          }
        }
      }
    };
    const int64_t cost = static_cast<int64_t>(g.ho) * g.wide * g.k * g.m * g.t * 2;
    ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(static_cast<int64_t>(g.batch) * g.groups, cost, fn);
  }

 private:
  int kernel_, stride_;
};

class GroupedConvGradOp : public OpKernel {
 public:
  explicit GroupedConvGradOp(OpKernelConstruction* c) : OpKernel(c) {
    OP_REQUIRES_OK(c, c->GetAttr("kernel", &kernel_));
    OP_REQUIRES_OK(c, c->GetAttr("stride", &stride_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& f = ctx->input(0);
    const Tensor& w = ctx->input(1);
    const Tensor& dout = ctx->input(2);
    const ConvGeometry g = MakeConvGeometry(f, w, kernel_, stride_);
    OP_REQUIRES(ctx, dout.NumElements() == static_cast<int64_t>(g.batch) * g.ho * g.wo * g.groups * g.t,
                tensorflow::errors::InvalidArgument("ACmixGroupedConvGrad: dout does not match f, w and the attributes"));
    Tensor *df = nullptr, *dw = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, f.shape(), &df));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, w.shape(), &dw));
    const float* fp = f.flat<float>().data();
    const float* wp = w.flat<float>().data();
    const float* gp = dout.flat<float>().data();
    float* dfp = df->flat<float>().data();
    // Per-(image, group) weight-gradient partials, summed over images afterwards.
    const size_t wsize = static_cast<size_t>(g.m) * g.t * g.k;
    std::vector<float> partial(static_cast<size_t>(g.batch) * g.groups * wsize);
    auto fn = [&](int64_t begin, int64_t end) {
      ZeroPlane plane, dplane;
      plane.Resize(g);
      dplane.Resize(g);
      // All output-gradient rows of the task, [t][yo] with `margin` zero columns in front (the
      // input-gradient gather reads them shifted).
      const int margin = RoundUp(g.reach(), V);
      const size_t ld = margin + plane.per_phase + V;
      std::vector<float> rows(static_cast<size_t>(g.t) * g.ho * ld, 0.f);
      auto dout_row = [&](int t, int yo) { return rows.data() + (static_cast<size_t>(t) * g.ho + yo) * ld + margin; };
      for (int64_t task = begin; task < end; ++task) {
        const int group = task % g.groups;
        const int b = task / g.groups;
        plane.Fill(fp, g, b, group);
        std::fill(dplane.data.begin(), dplane.data.end(), 0.f);
        const float* wg = wp + static_cast<size_t>(group) * wsize;
        for (int yo = 0; yo < g.ho; ++yo) {
          const float* src = gp + ((static_cast<size_t>(b) * g.ho + yo) * g.wo * g.groups + group) * g.t;
          for (int t = 0; t < g.t; ++t) {
            float* r = dout_row(t, yo);
            for (int xo = 0; xo < g.wo; ++xo) r[xo] = src[static_cast<size_t>(xo) * g.groups * g.t + t];
          }
        }
        // dw[m, t, tap] = Σ_{yo, xo} dout[t] · f[m] at tap: N outputs share each loaded input vector,
        // the sums stay in registers over the whole image.
        float* part = &partial[(static_cast<size_t>(b) * g.groups + group) * wsize];
        for (int tap = 0; tap < g.k; ++tap) {
          const int ky = tap / g.kc, kx = tap % g.kc;
          for (int m = 0; m < g.m; ++m) {
            const float* pm = plane.data.data() + m * plane.channel_stride;
            acmix::Blocks4(g.t, [&](auto nt, int t0) {
              constexpr int N = decltype(nt)::value;
              vf acc[N] = {};
              for (int yo = 0; yo < g.ho; ++yo) {
                const int y = yo * g.stride + ky - g.pad;
                if (y < 0 || y >= g.h) continue;
                const float* pin = pm + plane.index(y, kx);
                for (int x0 = 0; x0 < g.wide; x0 += V) {
                  const vf fv = Load(pin + x0);
#pragma GCC unroll 4
                  for (int i = 0; i < N; ++i) acc[i] += Load(dout_row(t0 + i, yo) + x0) * fv;
                }
              }
              for (int i = 0; i < N; ++i) {
                float lanes[V];
                Store(lanes, acc[i]);
                float sum = 0.f;
                for (int l = 0; l < V; ++l) sum += lanes[l];
                part[(static_cast<size_t>(m) * g.t + t0 + i) * g.k + tap] = sum;
              }
            });
          }
        }
        for (int yo = 0; yo < g.ho; ++yo) {
          for (int ky = 0; ky < g.kc; ++ky) {
            const int y = yo * g.stride + ky - g.pad;
            if (y < 0 || y >= g.h) continue;
            // df[m] at padded column i·s + phase += Σ_{kx ≡ phase} Σ_t w[m, t, tap] · dout[t][i − kx / s]:
            // a gather over taps, so each plane vector is written once per row.
            const size_t dcs = dplane.channel_stride;
            for (int phase = 0; phase < g.stride; ++phase) {
              float* drow = dplane.data.data() + dplane.index(y, phase);
              // N input channels per pass share each loaded output-gradient vector.
              acmix::Blocks4(g.m, [&](auto nm, int m0) {
                constexpr int N = decltype(nm)::value;
                for (int i0 = 0; i0 < RoundUp(g.wide + g.reach(), V); i0 += V) {
                  vf acc[N] = {};
                  for (int kx = phase; kx < g.kc; kx += g.stride) {
                    const int tap = ky * g.kc + kx;
                    for (int t = 0; t < g.t; ++t) {
                      const vf dv = Load(dout_row(t, yo) + i0 - kx / g.stride);
                      const float* wmt = wg + (static_cast<size_t>(m0) * g.t + t) * g.k + tap;
#pragma GCC unroll 4
                      for (int i = 0; i < N; ++i) acc[i] += wmt[i * g.t * g.k] * dv;
                    }
                  }
#pragma GCC unroll 4
                  for (int i = 0; i < N; ++i) {
                    float* d = drow + (m0 + i) * dcs + i0;
                    Store(d, Load(d) + acc[i]);
                  }
                }
              });
            }
          }
        }
        for (int y = 0; y < g.h; ++y) {
          float* row = dfp + ((static_cast<size_t>(b) * g.h + y) * g.w * g.groups + group) * g.m;
          const int* col = dplane.columns.col.data() + g.pad;
          for (int m = 0; m < g.m; ++m) {
            const float* src = dplane.data.data() + m * dplane.channel_stride + y * dplane.columns.row_stride;
            for (int x = 0; x < g.w; ++x) row[static_cast<size_t>(x) * g.groups * g.m + m] = src[col[x]];
          }
        }
      }
    };
    const int64_t cost = static_cast<int64_t>(g.ho) * g.wide * g.k * g.m * g.t * 6;
    ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(static_cast<int64_t>(g.batch) * g.groups, cost, fn);
    float* dwp = dw->flat<float>().data();
    std::fill(dwp, dwp + g.groups * wsize, 0.f);
    for (int b = 0; b < g.batch; ++b) {
      for (size_t i = 0; i < g.groups * wsize; ++i) dwp[i] += partial[b * g.groups * wsize + i];
    }
  }

 private:
  int kernel_, stride_;
};

}  // namespace

REGISTER_OP("ACmixGroupedConv")
    .Input("f: float")
    .Input("w: float")
    .Output("out: float")
    .Attr("kernel: int >= 1")
    .Attr("stride: int >= 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->UnknownShapeOfRank(5));
      return absl::OkStatus();
    });

REGISTER_OP("ACmixGroupedConvGrad")
    .Input("f: float")
    .Input("w: float")
    .Input("dout: float")
    .Output("df: float")
    .Output("dw: float")
    .Attr("kernel: int >= 1")
    .Attr("stride: int >= 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      c->set_output(1, c->input(1));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("ACmixGroupedConv").Device(tensorflow::DEVICE_CPU), GroupedConvOp);
REGISTER_KERNEL_BUILDER(Name("ACmixGroupedConvGrad").Device(tensorflow::DEVICE_CPU), GroupedConvGradOp);
