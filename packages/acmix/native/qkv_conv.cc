// Fused TensorFlow CPU kernels for ACmix's conv path from q, k, v (ACmix.forward, "## conv", with fc folded in).
// ACmixQkvConv (q, k, v, att, w, rate1) → out = rate1·att + conv: fc (3T → K, 1×1, no bias) then dep_conv is
// linear, so it is one grouped conv over q, k, v with M = 3T input channels per group, w[g, u·T + h, t·K + κ]
// = Σ_m fc[u·T + h, m]·dep[g, m, t·K + κ] (composed_weights.cc folds it): channel u·T + h of group g is
// channel g of head h of q, k, v (u = 0, 1, 2), read straight from the projections, so f_conv is never
// projected or stored. Same multiply-adds as fc then dep_conv (3T·T·K per group and pixel).
//   q, k [B, H, W, T, E] (E ≥ G: the first G channels of each head are read), v [B, H, W, T, G],
//   att, out [B, Ho, Wo, G·T] (att: the attention path's output, channel for channel), rate1 [1]
//   direct (attribute, default 1): ACmixQkvConv reads q, k, v where they are (qkv_direct.h); 0 takes the planes
//   route (planes_route.h), which ACmixGroupedConv (grouped_conv.cc) always takes (f_conv's groups are not
//   contiguous).
#include <algorithm>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "planes_route.h"
#include "qkv_direct.h"

namespace {

using acmix::RoundUp;
using acmix::V;
using acmix::grouped::Backward;
using acmix::grouped::Channels;
using acmix::grouped::ConvGeometry;
using acmix::grouped::Forward;
using acmix::grouped::MakeConvGeometry;
using acmix::grouped::Tasks;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;

// q, k, v's channels: u·T + h of group g at tensor_u + pixel·T·E_u + h·E_u + g.
template <typename T>
Channels<T> QkvChannels(T* const (&qkv)[3], const int (&e)[3], const ConvGeometry& g) {
  Channels<T> c;
  for (int u = 0; u < 3; ++u) {
    for (int h = 0; h < g.t; ++h) {
      c.base.push_back(qkv[u] + static_cast<size_t>(h) * e[u]);
      c.step.push_back(static_cast<size_t>(g.t) * e[u]);
    }
  }
  c.group_step = 1;
  return c;
}

// Checks ACmixQkvConv's inputs q, k, v, att, w, rate1 and returns its geometry and the q, k, v strides.
bool QkvGeometry(OpKernelContext* ctx, int kernel, int stride, ConvGeometry* g, int (&e)[3]) {
  const Tensor& q = ctx->input(0);
  const Tensor& k = ctx->input(1);
  const Tensor& v = ctx->input(2);
  const Tensor& w = ctx->input(4);
  bool ok = q.dims() == 5 && k.shape() == q.shape() && v.dims() == 5 && w.dims() == 3 && ctx->input(5).NumElements() == 1;
  for (int i = 0; i < 4 && ok; ++i) ok = v.dim_size(i) == q.dim_size(i);
  if (ok) {
    const int heads = q.dim_size(3), groups = v.dim_size(4), taps = kernel * kernel;
    *g = MakeConvGeometry(q.dim_size(0), q.dim_size(1), q.dim_size(2), groups, 3 * heads, heads, kernel, stride);
    ok = q.dim_size(4) >= groups && w.dim_size(0) == groups && w.dim_size(1) == 3 * heads && w.dim_size(2) == heads * taps &&
         ctx->input(3).NumElements() == static_cast<int64_t>(g->batch) * g->ho * g->wo * groups * heads;
    e[0] = e[1] = q.dim_size(4);
    e[2] = groups;
  }
  if (!ok) {
    ctx->SetStatus(tensorflow::errors::InvalidArgument(
        "ACmixQkvConv: q, k [B,H,W,T,E], v [B,H,W,T,G], att [B,Ho,Wo,G·T], w [G,3T,T·K], rate1 [1] expected, got q ",
        q.shape().DebugString(), " v ", v.shape().DebugString(), " att ", ctx->input(3).shape().DebugString(), " w ",
        w.shape().DebugString()));
  }
  return ok;
}

// ACmixQkvConv with direct = 1 (qkv_direct.h): q, k, v read in place, tasks are output rows (b, yo).
template <typename Emit>
void DirectForward(OpKernelContext* ctx, const ConvGeometry& g, const Channels<const float>& in, const float* w, Emit&& emit) {
  const std::vector<float> wr = acmix::direct::WeightsByTap(w, g);
  auto fn = [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int b = task / g.ho, yo = task % g.ho;
      const size_t row = (static_cast<size_t>(b) * g.ho + yo) * g.wo;
      acmix::direct::ForwardRow(in, wr.data(), g, b, yo, [&](int xo, int t, int group, float value) {
        emit((row + xo) * g.groups * g.t + static_cast<size_t>(group) * g.t + t, value);
      });
    }
  };
  const int64_t cost = static_cast<int64_t>(g.wo) * g.groups * g.k * g.m * g.t * 2;
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(static_cast<int64_t>(g.batch) * g.ho, cost, fn);
}

// The direct backward, one image per task: dout regrouped, the image's weight-gradient share (summed over images in
// order afterwards), the input gradients written to dst; on_image(b) runs first in each task.
template <typename OnImage>
void DirectBackward(OpKernelContext* ctx, const ConvGeometry& g, const Channels<const float>& in, const Channels<float>& dst, const float* w, const float* gp_all, float* dw, OnImage&& on_image) {
  const int gp = RoundUp(g.groups, V);
  const std::vector<float> wr = acmix::direct::WeightsByTap(w, g);
  const size_t wsize = wr.size();
  const size_t image_outputs = static_cast<size_t>(g.ho) * g.wo * g.groups * g.t;
  std::vector<float> partial(g.batch * wsize);
  auto fn = [&](int64_t begin, int64_t end) {
    std::vector<float> dt(static_cast<size_t>(g.ho) * g.wo * g.t * gp, 0.f);
    for (int64_t b = begin; b < end; ++b) {
      on_image(b);
      acmix::direct::RegroupDout(gp_all + b * image_outputs, g, gp, dt.data());
      acmix::direct::WeightGradImage(in, dt.data(), g, gp, b, &partial[b * wsize]);
      acmix::direct::InputGradImage(wr.data(), dt.data(), g, gp, b, [&](int m, size_t pixel, int g0, int lanes, acmix::vf value) {
        acmix::StoreFirst(dst.at(m, g0, pixel), value, lanes);
      });
    }
  };
  const int64_t cost = static_cast<int64_t>(g.ho) * g.wo * g.groups * g.k * g.m * g.t * 4;
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(g.batch, cost, fn);
  // dw[g, m, t·K + tap] = Σ_b of image b's share, images in order.
  for (int grp = 0; grp < g.groups; ++grp) {
    for (int m = 0; m < g.m; ++m) {
      for (int t = 0; t < g.t; ++t) {
        for (int tap = 0; tap < g.k; ++tap) {
          const size_t j = acmix::direct::WeightIndex(g, grp - grp % V, tap, m, t) + grp % V;
          float sum = 0.f;
          for (int b = 0; b < g.batch; ++b) sum += partial[b * wsize + j];
          dw[(static_cast<size_t>(grp) * g.m + m) * g.t * g.k + t * g.k + tap] = sum;
        }
      }
    }
  }
}

class QkvConvOp : public OpKernel {
 public:
  explicit QkvConvOp(OpKernelConstruction* c) : OpKernel(c) {
    OP_REQUIRES_OK(c, c->GetAttr("kernel", &kernel_));
    OP_REQUIRES_OK(c, c->GetAttr("stride", &stride_));
    OP_REQUIRES_OK(c, c->GetAttr("direct", &direct_));
  }

  void Compute(OpKernelContext* ctx) override {
    ConvGeometry g;
    int e[3];
    if (!QkvGeometry(ctx, kernel_, stride_, &g, e)) return;
    const float* qkv[3] = {ctx->input(0).flat<float>().data(), ctx->input(1).flat<float>().data(), ctx->input(2).flat<float>().data()};
    const float* att = ctx->input(3).flat<float>().data();
    const float rate1 = ctx->input(5).flat<float>()(0);
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, ctx->input(3).shape(), &out));
    float* op = out->flat<float>().data();
    auto emit = [&](size_t i, float value) { op[i] = rate1 * att[i] + value; };
    if (direct_) {
      DirectForward(ctx, g, QkvChannels(qkv, e, g), ctx->input(4).flat<float>().data(), emit);
    } else {
      Forward(ctx, g, QkvChannels(qkv, e, g), ctx->input(4).flat<float>().data(), emit);
    }
  }

 protected:
  int kernel_, stride_, direct_;
};

// Inputs: the forward's six, then dout. Outputs dq, dk, dv, datt = rate1·dout, dw, drate1 = Σ dout·att; dq and
// dk are zero past each head's first G channels (the attention's extra channels the conv path does not read).
class QkvConvGradOp : public QkvConvOp {
 public:
  using QkvConvOp::QkvConvOp;

  void Compute(OpKernelContext* ctx) override {
    ConvGeometry g;
    int e[3];
    if (!QkvGeometry(ctx, kernel_, stride_, &g, e)) return;
    const Tensor& dout = ctx->input(6);
    OP_REQUIRES(ctx, dout.NumElements() == ctx->input(3).NumElements(),
                tensorflow::errors::InvalidArgument("ACmixQkvConvGrad: dout does not match att"));
    // Outputs dq, dk, dv, datt, dw, drate1: the gradients of the first six inputs, shaped alike.
    float* grads[6];
    for (int i = 0; i < 6; ++i) {
      Tensor* t = nullptr;
      OP_REQUIRES_OK(ctx, ctx->allocate_output(i, ctx->input(i).shape(), &t));
      grads[i] = t->flat<float>().data();
    }
    float* dqkv[3] = {grads[0], grads[1], grads[2]};
    float *datt = grads[3], *dw = grads[4], *drate1 = grads[5];
    const int64_t heads_total = ctx->input(0).NumElements() / e[0];
    for (int u = 0; u < 2; ++u) {
      for (int64_t i = 0; i < heads_total; ++i) std::fill(dqkv[u] + i * e[u] + g.groups, dqkv[u] + (i + 1) * e[u], 0.f);
    }
    const float* qkv[3] = {ctx->input(0).flat<float>().data(), ctx->input(1).flat<float>().data(), ctx->input(2).flat<float>().data()};
    const float* att = ctx->input(3).flat<float>().data();
    const float* gp = dout.flat<float>().data();
    const float rate1 = ctx->input(5).flat<float>()(0);
    const float* w = ctx->input(4).flat<float>().data();
    if (direct_) {
      // Σ dout·att per image, summed in image order afterwards.
      const size_t image_outputs = static_cast<size_t>(g.ho) * g.wo * g.groups * g.t;
      std::vector<double> rate_partial(g.batch, 0.0);
      DirectBackward(ctx, g, QkvChannels(qkv, e, g), QkvChannels(dqkv, e, g), w, gp, dw, [&](int64_t b) {
        double sum = 0.0;
        for (size_t i = b * image_outputs; i < (b + 1) * image_outputs; ++i) {
          datt[i] = rate1 * gp[i];
          sum += static_cast<double>(gp[i]) * att[i];
        }
        rate_partial[b] = sum;
      });
      double sum = 0.0;
      for (double p : rate_partial) sum += p;
      drate1[0] = static_cast<float>(sum);
      return;
    }
    // Σ dout·att per task, summed in task order afterwards.
    std::vector<double> rate_partial(Tasks(g).count(g), 0.0);
    Backward(ctx, g, QkvChannels(qkv, e, g), QkvChannels(dqkv, e, g), w, gp, dw,
             [&](int64_t task, size_t i) {
               datt[i] = rate1 * gp[i];
               rate_partial[task] += static_cast<double>(gp[i]) * att[i];
             });
    double sum = 0.0;
    for (double p : rate_partial) sum += p;
    drate1[0] = static_cast<float>(sum);
  }
};

}  // namespace

REGISTER_OP("ACmixQkvConv")
    .Input("q: float").Input("k: float").Input("v: float").Input("att: float").Input("w: float").Input("rate1: float")
    .Output("out: float")
    .Attr("kernel: int >= 1")
    .Attr("stride: int >= 1")
    .Attr("direct: int = 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(3));
      return absl::OkStatus();
    });

REGISTER_OP("ACmixQkvConvGrad")
    .Input("q: float").Input("k: float").Input("v: float").Input("att: float").Input("w: float").Input("rate1: float")
    .Input("dout: float")
    .Output("dq: float").Output("dk: float").Output("dv: float").Output("datt: float").Output("dw: float").Output("drate1: float")
    .Attr("kernel: int >= 1")
    .Attr("stride: int >= 1")
    .Attr("direct: int = 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      for (int i = 0; i < 6; ++i) c->set_output(i, c->input(i));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("ACmixQkvConv").Device(tensorflow::DEVICE_CPU), QkvConvOp);
REGISTER_KERNEL_BUILDER(Name("ACmixQkvConvGrad").Device(tensorflow::DEVICE_CPU), QkvConvGradOp);
