// nn.SiLU, y = x·σ(x), as one pass forward and one pass backward (dx = dy·σ + x·dy·σ·(1 − σ), σ
// recomputed from x). Composed from TensorFlow ops it is Sigmoid and Mul forward and Mul, Mul,
// SigmoidGrad and Add backward: six full passes over every activation of a YOLO training step, and σ
// kept alive from forward to backward. The expressions are the ones those ops evaluate (Eigen's
// logistic, TensorFlow's SigmoidGrad dy·s·(1 − s)), on the op's intra-op thread pool.
#define EIGEN_USE_THREADS
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "unsupported/Eigen/CXX11/Tensor"

namespace {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using Device = Eigen::ThreadPoolDevice;

class SiluOp : public OpKernel {
 public:
  explicit SiluOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &y));
    auto xf = x.flat<float>();
    y->flat<float>().device(ctx->eigen_device<Device>()) = xf * xf.sigmoid();
  }
};

class SiluGradOp : public OpKernel {
 public:
  explicit SiluGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& dy = ctx->input(1);
    OP_REQUIRES(ctx, x.shape() == dy.shape(),
                tensorflow::errors::InvalidArgument("AcmixLabSiluGrad: x ", x.shape().DebugString(), " and dy ",
                                                    dy.shape().DebugString(), " differ"));
    Tensor* dx = nullptr;
    OP_REQUIRES_OK(ctx, ctx->forward_input_or_allocate_output({1}, 0, x.shape(), &dx));
    auto xf = x.flat<float>();
    auto dyf = dy.flat<float>();
    auto s = xf.sigmoid();
    dx->flat<float>().device(ctx->eigen_device<Device>()) = dyf * s + xf * (dyf * s * (s.constant(1.f) - s));
  }
};

}  // namespace

REGISTER_OP("AcmixLabSilu")
    .Input("x: float")
    .Output("y: float")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return absl::OkStatus();
    });

REGISTER_OP("AcmixLabSiluGrad")
    .Input("x: float")
    .Input("dy: float")
    .Output("dx: float")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->input(0));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("AcmixLabSilu").Device(tensorflow::DEVICE_CPU), SiluOp);
REGISTER_KERNEL_BUILDER(Name("AcmixLabSiluGrad").Device(tensorflow::DEVICE_CPU), SiluGradOp);
