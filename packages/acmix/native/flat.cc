// Many tensors laid end to end in one 1-D tensor and back, each in one op. The trainer keeps its
// gradient sums, momentum buffers and EMA as one flat tensor per parameter group so that the per-step
// bookkeeping is a handful of elementwise ops instead of several per parameter; composed from stock ops,
// every piece would need its own Reshape (an op and a shape tensor) on the way in and on the way out.
// Pure copies: the results do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace {

using tensorflow::OpInputList;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::OpOutputList;
using tensorflow::Tensor;
using tensorflow::TensorShape;

// Copies the pieces' elements [first, end) of the flat layout, across the intra-op pool. `starts` holds
// each piece's first flat index and the total at the end.
template <typename Copy>
void ParallelCopy(OpKernelContext* ctx, const std::vector<int64_t>& starts, Copy copy) {
  const int64_t total = starts.back();
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(
      total, 1, [&](int64_t first, int64_t end) {
        auto piece = std::upper_bound(starts.begin(), starts.end(), first) - starts.begin() - 1;
        for (int64_t at = first; at < end; ++piece) {
          const int64_t stop = std::min(end, starts[piece + 1]);
          copy(piece, at - starts[piece], at, stop - at);
          at = stop;
        }
      });
}

class FlatConcatOp : public OpKernel {
 public:
  explicit FlatConcatOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    OpInputList values;
    OP_REQUIRES_OK(ctx, ctx->input_list("values", &values));
    std::vector<int64_t> starts(1, 0);
    for (const Tensor& t : values) starts.push_back(starts.back() + t.NumElements());
    Tensor* flat = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({starts.back()}), &flat));
    float* out = flat->flat<float>().data();
    ParallelCopy(ctx, starts, [&](int64_t piece, int64_t from, int64_t at, int64_t n) {
      std::memcpy(out + at, values[piece].flat<float>().data() + from, n * sizeof(float));
    });
  }
};

class FlatSplitOp : public OpKernel {
 public:
  explicit FlatSplitOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    std::vector<int64_t> ranks, dims;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("ranks", &ranks));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("dims", &dims));
    auto dim = dims.begin();
    for (int64_t rank : ranks) {
      OP_REQUIRES(ctx, rank >= 0 && dims.end() - dim >= rank,
                  tensorflow::errors::InvalidArgument("AcmixLabFlatSplit: ranks and dims disagree"));
      TensorShape shape;
      for (int64_t d = 0; d < rank; ++d, ++dim) OP_REQUIRES_OK(ctx, shape.AddDimWithStatus(*dim));
      shapes_.push_back(shape);
    }
    OP_REQUIRES(ctx, dim == dims.end(), tensorflow::errors::InvalidArgument("AcmixLabFlatSplit: dims left over"));
    int64_t n = 0;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("N", &n));
    OP_REQUIRES(ctx, n == static_cast<int64_t>(ranks.size()),
                tensorflow::errors::InvalidArgument("AcmixLabFlatSplit: N is ", n, " but ranks has ", ranks.size()));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& flat = ctx->input(0);
    std::vector<int64_t> starts(1, 0);
    for (const TensorShape& s : shapes_) starts.push_back(starts.back() + s.num_elements());
    OP_REQUIRES(ctx, flat.dims() == 1 && flat.NumElements() == starts.back(),
                tensorflow::errors::InvalidArgument("AcmixLabFlatSplit: input ", flat.shape().DebugString(),
                                                    " does not hold the ", starts.back(), " elements of the pieces"));
    OpOutputList pieces;
    OP_REQUIRES_OK(ctx, ctx->output_list("pieces", &pieces));
    std::vector<float*> outs(shapes_.size());
    for (size_t i = 0; i < shapes_.size(); ++i) {
      Tensor* t = nullptr;
      OP_REQUIRES_OK(ctx, pieces.allocate(i, shapes_[i], &t));
      outs[i] = t->flat<float>().data();
    }
    const float* in = flat.flat<float>().data();
    ParallelCopy(ctx, starts, [&](int64_t piece, int64_t from, int64_t at, int64_t n) {
      std::memcpy(outs[piece] + from, in + at, n * sizeof(float));
    });
  }

 private:
  std::vector<TensorShape> shapes_;
};

}  // namespace

REGISTER_OP("AcmixLabFlatConcat")
    .Input("values: N * float")
    .Output("flat: float")
    .Attr("N: int >= 1")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->Vector(c->UnknownDim()));
      return absl::OkStatus();
    });

// ranks[i] is the rank of piece i; dims holds every piece's dimensions one after another.
REGISTER_OP("AcmixLabFlatSplit")
    .Input("flat: float")
    .Output("pieces: N * float")
    .Attr("N: int >= 1")
    .Attr("ranks: list(int)")
    .Attr("dims: list(int)")
    .SetShapeFn(tensorflow::shape_inference::UnknownShape);

REGISTER_KERNEL_BUILDER(Name("AcmixLabFlatConcat").Device(tensorflow::DEVICE_CPU), FlatConcatOp);
REGISTER_KERNEL_BUILDER(Name("AcmixLabFlatSplit").Device(tensorflow::DEVICE_CPU), FlatSplitOp);
