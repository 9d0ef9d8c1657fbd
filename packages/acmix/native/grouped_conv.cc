// Fused TensorFlow CPU kernels for ACmix's conv path (ACmix.forward, "## conv"): dep_conv, a grouped conv
// with groups = head_dim (G), `head` outputs (T) per group, kc×kc taps (K = kc²), zero padding kc / 2 and
// stride s (official: padding 1, i.e. kc = 3). TensorFlow's own grouped and depthwise CPU convolutions are
// slow at these shapes, especially backward. The loops are grouped_conv.h's, run by planes_route.h; the
// conv path from q, k, v with fc folded in is qkv_conv.cc.
//
// ACmixGroupedConv (f, w) → out: dep_conv over f_conv, M = K input channels per group.
//   f   [B, H, W, G, M]     f_conv, channel g·M + m as in the official module
//   w   [G, M, T·K]         w[g, m, t·K + κ] = torch dep_conv.weight[g·T + t, m, κ / kc, κ % kc]
//   out [B, Ho, Wo, G, T]   channel g·T + t
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "planes_route.h"

namespace {

using acmix::grouped::Backward;
using acmix::grouped::Channels;
using acmix::grouped::ConvGeometry;
using acmix::grouped::Forward;
using acmix::grouped::MakeConvGeometry;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

// f_conv's channels: m of group g at f + pixel·G·M + g·M + m.
template <typename T>
Channels<T> FChannels(T* f, const ConvGeometry& g) {
  Channels<T> c;
  for (int m = 0; m < g.m; ++m) {
    c.base.push_back(f + m);
    c.step.push_back(static_cast<size_t>(g.groups) * g.m);
  }
  c.group_step = g.m;
  return c;
}

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
    const ConvGeometry g = Geometry(f, w);
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({g.batch, g.ho, g.wo, g.groups, g.t}), &out));
    float* op = out->flat<float>().data();
    Forward(ctx, g, FChannels(f.flat<float>().data(), g), w.flat<float>().data(), [&](size_t i, float value) { op[i] = value; });
  }

 protected:
  ConvGeometry Geometry(const Tensor& f, const Tensor& w) const {
    return MakeConvGeometry(f.dim_size(0), f.dim_size(1), f.dim_size(2), f.dim_size(3), f.dim_size(4),
                            w.dim_size(2) / (kernel_ * kernel_), kernel_, stride_);
  }
  int kernel_, stride_;
};

class GroupedConvGradOp : public GroupedConvOp {
 public:
  using GroupedConvOp::GroupedConvOp;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& f = ctx->input(0);
    const Tensor& w = ctx->input(1);
    const Tensor& dout = ctx->input(2);
    const ConvGeometry g = Geometry(f, w);
    OP_REQUIRES(ctx, dout.NumElements() == static_cast<int64_t>(g.batch) * g.ho * g.wo * g.groups * g.t,
                tensorflow::errors::InvalidArgument("ACmixGroupedConvGrad: dout does not match f, w and the attributes"));
    Tensor *df_t = nullptr, *dw_t = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, f.shape(), &df_t));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, w.shape(), &dw_t));
    float* df = df_t->flat<float>().data();
    float* dw = dw_t->flat<float>().data();
    Backward(ctx, g, FChannels(f.flat<float>().data(), g), FChannels(df, g), w.flat<float>().data(), dout.flat<float>().data(), dw,
             [](int64_t, size_t) {});
  }
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
