// Fused TensorFlow CPU kernels for ACmix's sliding-window attention (forward and backward),
// loaded into the tfjs-node process with the Node addon (addon.cc): dlopen runs the static
// REGISTER_OP / REGISTER_KERNEL_BUILDER initialisers against the libtensorflow_framework the
// tfjs-node binding already loaded, and tfjs-node then runs the ops by name. The composed TensorFlow.js version in
// src/attention.ts is the reference and the fallback; both implement the same window rules
// (src/geometry.ts): reflection padding, reach min((kernel_att-1)/2, (size-1)/dilation) taps per
// axis, queries every `stride` pixels, output ceil(size/stride).
//
// Layouts (all float32, channels last, like the projections the layer produces):
//   q, k  [B, H, W, heads, E]   (E = head_dim + 2 positional channels)
//   v     [B, H, W, heads, D]
//   out   [B, Ho, Wo, heads, D]
//   probs [B, heads, Ho, window, Wo rounded up to 16]   softmax weights, saved for the backward
// A task handles one (batch, head): it gathers that head's keys and values once into channel-major
// planes, then works one output row and 16 output columns at a time, so every inner step is one
// SIMD multiply-add over contiguous columns.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "window_taps.h"

namespace {

using namespace acmix::window;  // NOLINT: the kernels below are this header's only users

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

using acmix::FromChannelMajor;
using acmix::Load;
using acmix::RoundUp;
using acmix::Store;
using acmix::V;
using acmix::vf;

class WindowAttentionOp : public OpKernel {
 public:
  explicit WindowAttentionOp(OpKernelConstruction* c) : OpKernel(c) {
    OP_REQUIRES_OK(c, c->GetAttr("kernel_att", &kernel_att_));
    OP_REQUIRES_OK(c, c->GetAttr("stride", &stride_));
    OP_REQUIRES_OK(c, c->GetAttr("dilation", &dilation_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& q = ctx->input(0);
    const Tensor& k = ctx->input(1);
    const Tensor& v = ctx->input(2);
    OP_REQUIRES(ctx, q.dims() == 5 && k.shape() == q.shape() && v.dims() == 5 &&
                         v.dim_size(0) == q.dim_size(0) && v.dim_size(1) == q.dim_size(1) &&
                         v.dim_size(2) == q.dim_size(2) && v.dim_size(3) == q.dim_size(3),
                tensorflow::errors::InvalidArgument("ACmixWindowAttention: q, k [B,H,W,heads,E] and v [B,H,W,heads,D] expected, got ",
                                                    q.shape().DebugString(), " ", k.shape().DebugString(), " ", v.shape().DebugString()));
    const Geometry g = MakeGeometry(q, v, kernel_att_, stride_, dilation_);
    Tensor* out = nullptr;
    Tensor* probs = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({g.batch, g.rows.out, g.cols.out, g.heads, g.d}), &out));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({g.batch, g.heads, g.rows.out, g.window, g.wide}), &probs));
    const float* qp = q.flat<float>().data();
    const float* kp = k.flat<float>().data();
    const float* vp = v.flat<float>().data();
    float* op = out->flat<float>().data();
    float* pp = probs->flat<float>().data();
    const size_t image = static_cast<size_t>(g.rows.size) * g.cols.size * g.heads;
    // One task per (batch, head): its key and value planes are gathered once for all its rows.
    auto heads_fn = [&](int64_t begin, int64_t end) {
      Plane kpl, vpl;
      kpl.Resize(g.e, g);
      vpl.Resize(g.d, g);
      std::vector<float> qrow(static_cast<size_t>(g.e) * g.wide), orow(static_cast<size_t>(g.d) * g.wide);
      std::vector<size_t> off;
      for (int64_t task = begin; task < end; ++task) {
        const int h = task % g.heads;
        const int b = task / g.heads;
        kpl.Fill(kp + b * image * g.e, g.e, g.heads, h, g);
        vpl.Fill(vp + b * image * g.d, g.d, g.heads, h, g);
        for (int yo = 0; yo < g.rows.out; ++yo) {
          ReadQueries(qp, g, b, yo, h, qrow.data(), g.wide);
          TapOffsets(g, kpl, yo, off);
          float* p = pp + ((static_cast<size_t>(b) * g.heads + h) * g.rows.out + yo) * g.window * g.wide;
          for (int x0 = 0; x0 < g.wide; x0 += V) {
            TapDots(g, off.data(), x0, qrow.data(), g.wide, g.e, kpl, p, g.wide);
            // Softmax over the window taps, per output column.
            vf mx = Load(p + x0);
            for (int w = 1; w < g.window; ++w) {
              const vf l = Load(p + static_cast<size_t>(w) * g.wide + x0);
              mx = l > mx ? l : mx;
            }
            vf sum = {};
            for (int w = 0; w < g.window; ++w) {
              float* l = p + static_cast<size_t>(w) * g.wide + x0;
              float t[V];
              Store(t, Load(l) - mx);
              for (int i = 0; i < V; ++i) t[i] = std::exp(t[i]);
              const vf ev = Load(t);
              Store(l, ev);
              sum += ev;
            }
            const vf inv = 1.f / sum;
            for (int w = 0; w < g.window; ++w) {
              float* l = p + static_cast<size_t>(w) * g.wide + x0;
              Store(l, Load(l) * inv);
            }
            TapSum(g, off.data(), x0, p, g.wide, g.d, vpl, orow.data(), g.wide);
          }
          FromChannelMajor(orow.data(), g.wide, g.cols.out, g.d, op + ((static_cast<size_t>(b) * g.rows.out + yo) * g.cols.out * g.heads + h) * g.d,
                           static_cast<size_t>(g.heads) * g.d);
        }
      }
    };
    const int64_t cost = static_cast<int64_t>(g.rows.out) * g.wide * g.window * (g.e + g.d) * 2;
    ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(static_cast<int64_t>(g.batch) * g.heads, cost, heads_fn);
  }

 private:
  int kernel_att_, stride_, dilation_;
};

class WindowAttentionGradOp : public OpKernel {
 public:
  explicit WindowAttentionGradOp(OpKernelConstruction* c) : OpKernel(c) {
    OP_REQUIRES_OK(c, c->GetAttr("kernel_att", &kernel_att_));
    OP_REQUIRES_OK(c, c->GetAttr("stride", &stride_));
    OP_REQUIRES_OK(c, c->GetAttr("dilation", &dilation_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& q = ctx->input(0);
    const Tensor& k = ctx->input(1);
    const Tensor& v = ctx->input(2);
    const Tensor& probs = ctx->input(3);
    const Tensor& out = ctx->input(4);
    const Tensor& dout = ctx->input(5);
    const Geometry g = MakeGeometry(q, v, kernel_att_, stride_, dilation_);
    OP_REQUIRES(ctx, probs.NumElements() == static_cast<int64_t>(g.batch) * g.heads * g.rows.out * g.window * g.wide &&
                         dout.shape() == out.shape() && out.NumElements() == static_cast<int64_t>(g.batch) * g.rows.out * g.cols.out * g.heads * g.d,
                tensorflow::errors::InvalidArgument("ACmixWindowAttentionGrad: probs/out/dout do not match q, v and the attributes"));
    Tensor *dq = nullptr, *dk = nullptr, *dv = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, q.shape(), &dq));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, k.shape(), &dk));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, v.shape(), &dv));
    const float* qp = q.flat<float>().data();
    const float* kp = k.flat<float>().data();
    const float* vp = v.flat<float>().data();
    const float* pp = probs.flat<float>().data();
    const float* op = out.flat<float>().data();
    const float* gp = dout.flat<float>().data();
    float* dqp = dq->flat<float>().data();
    float* dkp = dk->flat<float>().data();
    float* dvp = dv->flat<float>().data();
    const size_t image = static_cast<size_t>(g.rows.size) * g.cols.size * g.heads;
    // One task per (batch, head): every key is scattered to by several rows, so a task owns its
    // slice of dk and dv and accumulates it in padded planes before folding the reflections.
    auto heads_fn = [&](int64_t begin, int64_t end) {
      Plane kpl, vpl, dkpl, dvpl;
      kpl.Resize(g.e, g);
      vpl.Resize(g.d, g);
      dkpl.Resize(g.e, g);
      dvpl.Resize(g.d, g);
      // Rows read with shifts (TapScatter) carry `margin` zero columns in front.
      const int margin = RoundUp(g.reach(), V);
      const size_t ld = margin + kpl.per_phase + V;
      std::vector<float> qbuf(g.e * ld, 0.f), gbuf(g.d * ld, 0.f), sbuf(g.window * ld, 0.f), pbuf(g.window * ld, 0.f);
      float *qrow = qbuf.data() + margin, *grow = gbuf.data() + margin, *ds = sbuf.data() + margin, *prow = pbuf.data() + margin;
      std::vector<float> orow(static_cast<size_t>(g.d) * g.wide), dqrow(static_cast<size_t>(g.e) * g.wide);
      std::vector<size_t> off;
      for (int64_t task = begin; task < end; ++task) {
        const int h = task % g.heads;
        const int b = task / g.heads;
        kpl.Fill(kp + b * image * g.e, g.e, g.heads, h, g);
        vpl.Fill(vp + b * image * g.d, g.d, g.heads, h, g);
        std::fill(dkpl.data.begin(), dkpl.data.end(), 0.f);
        std::fill(dvpl.data.begin(), dvpl.data.end(), 0.f);
        for (int yo = 0; yo < g.rows.out; ++yo) {
          ReadQueries(qp, g, b, yo, h, qrow, ld);
          ReadRow(gp, g, b, yo, h, g.d, grow, ld);
          ReadRow(op, g, b, yo, h, g.d, orow.data(), g.wide);
          TapOffsets(g, kpl, yo, off);
          const float* p = pp + ((static_cast<size_t>(b) * g.heads + h) * g.rows.out + yo) * g.window * g.wide;
          for (int w = 0; w < g.window; ++w) std::copy(p + w * g.wide, p + (w + 1) * g.wide, prow + w * ld);
          for (int x0 = 0; x0 < g.wide; x0 += V) {
            // dS = P·(dP − Σ_w P·dP), with Σ_w P·dP = dO·O.
            vf delta = {};
            for (int c = 0; c < g.d; ++c) delta += Load(grow + c * ld + x0) * Load(&orow[c * g.wide + x0]);
            TapDots(g, off.data(), x0, grow, ld, g.d, vpl, ds, ld);
            for (int w = 0; w < g.window; ++w) {
              float* sw = ds + w * ld + x0;
              Store(sw, Load(prow + w * ld + x0) * (Load(sw) - delta));
            }
            TapSum(g, off.data(), x0, ds, ld, g.e, kpl, dqrow.data(), g.wide);
          }
          TapScatter(g, yo, ds, ld, qrow, ld, g.e, dkpl);
          TapScatter(g, yo, prow, ld, grow, ld, g.d, dvpl);
          FromChannelMajor(dqrow.data(), g.wide, g.cols.out, g.e,
                           dqp + ((static_cast<size_t>(b) * g.rows.size + yo * g.rows.stride) * g.cols.size * g.heads + h) * g.e,
                           static_cast<size_t>(g.cols.stride) * g.heads * g.e);
        }
        // Fold the padded columns onto the image (reflected columns add up); pixels that are not
        // queries (stride > 1) get a zero query gradient.
        for (int y = 0; y < g.rows.size; ++y) {
          const size_t row = (b * image / g.heads + static_cast<size_t>(y) * g.cols.size) * g.heads + h;
          dkpl.FoldRow(y, g.e, g.heads, g, dkp + row * g.e);
          dvpl.FoldRow(y, g.d, g.heads, g, dvp + row * g.d);
          if (g.rows.stride == 1 && g.cols.stride == 1) continue;
          for (int x = 0; x < g.cols.size; ++x) {
            const size_t px = row + static_cast<size_t>(x) * g.heads;
            if (y % g.rows.stride != 0 || x % g.cols.stride != 0) std::fill(dqp + px * g.e, dqp + (px + 1) * g.e, 0.f);
          }
        }
      }
    };
    const int64_t cost = static_cast<int64_t>(g.rows.out) * g.wide * g.window * (g.e + g.d) * 4;
    ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(static_cast<int64_t>(g.batch) * g.heads, cost, heads_fn);
  }

 private:
  int kernel_att_, stride_, dilation_;
};

}  // namespace

REGISTER_OP("ACmixWindowAttention")
    .Input("q: float")
    .Input("k: float")
    .Input("v: float")
    .Output("out: float")
    .Output("probs: float")
    .Attr("kernel_att: int >= 1")
    .Attr("stride: int >= 1")
    .Attr("dilation: int >= 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->UnknownShapeOfRank(5));
      c->set_output(1, c->UnknownShapeOfRank(5));
      return absl::OkStatus();
    });

REGISTER_OP("ACmixWindowAttentionGrad")
    .Input("q: float")
    .Input("k: float")
    .Input("v: float")
    .Input("probs: float")
    .Input("out: float")
    .Input("dout: float")
    .Output("dq: float")
    .Output("dk: float")
    .Output("dv: float")
    .Attr("kernel_att: int >= 1")
    .Attr("stride: int >= 1")
    .Attr("dilation: int >= 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      for (int i = 0; i < 3; ++i) c->set_output(i, c->input(i));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("ACmixWindowAttention").Device(tensorflow::DEVICE_CPU), WindowAttentionOp);
REGISTER_KERNEL_BUILDER(Name("ACmixWindowAttentionGrad").Device(tensorflow::DEVICE_CPU), WindowAttentionGradOp);
