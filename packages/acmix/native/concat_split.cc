// Concatenation and split along one axis, as TensorFlow's ConcatV2 and SplitV compute them (pure copies, so
// bit for bit theirs). Viewed around the axis, every tensor is [outer, width]: a part's width is its size
// along the axis times the dimensions after it. Along NHWC's channel axis (C2f's split and concat, the neck's
// Concat, and each one's gradient, which is the other) every pixel is one row of 16–256 floats per part;
// TensorFlow's SplitV there copies through Eigen's slicing one output at a time, and its ConcatV2 calls
// memcpy per row and part. Here each row of the whole tensor is copied part after part in 16-float vector
// moves (a masked one for the tail), rows shared across the intra-op pool; a copy does not depend on how the
// rows are shared, so the result does not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "simd.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace {

using acmix::Load;
using acmix::LoadFirst;
using acmix::Store;
using acmix::StoreFirst;
using acmix::V;
using tensorflow::OpInputList;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::OpOutputList;
using tensorflow::Tensor;
using tensorflow::TensorShape;
namespace errors = tensorflow::errors;

// n floats from src to dst: rows of a few hundred floats, where a call to memcpy costs as much as the copy.
inline void CopyRow(float* dst, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 4 * V <= n; i += 4 * V) {
    const acmix::vf a = Load(src + i), b = Load(src + i + V), c = Load(src + i + 2 * V), d = Load(src + i + 3 * V);
    Store(dst + i, a), Store(dst + i + V, b), Store(dst + i + 2 * V, c), Store(dst + i + 3 * V, d);
  }
  for (; i + V <= n; i += V) Store(dst + i, Load(src + i));
  if (i < n) StoreFirst(dst + i, LoadFirst(src + i, static_cast<int>(n - i)), static_cast<int>(n - i));
}

// The parts' widths (floats per row) and their offsets in a row of the whole; offsets.back() is its width.
struct Rows {
  int64_t outer = 1;
  std::vector<int64_t> widths, offsets{0};
};

// Rows [begin, end) of the whole, each copied part by part: to_whole (concat) or from it (split).
template <bool kToWhole>
void CopyRows(OpKernelContext* ctx, const Rows& rows, float* whole, const std::vector<float*>& parts) {
  const int64_t width = rows.offsets.back();
  if (rows.outer == 0 || width == 0) return;
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(
      rows.outer, width * sizeof(float), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          float* row = whole + r * width;
          for (size_t p = 0; p < parts.size(); ++p) {
            const int64_t w = rows.widths[p];
            float* part = parts[p] + r * w;
            if (kToWhole) CopyRow(row + rows.offsets[p], part, w);
            else CopyRow(part, row + rows.offsets[p], w);
          }
        }
      });
}

// The row view of `shape` split at `axis` into parts of `sizes` along it.
Rows RowView(const TensorShape& shape, int axis, const std::vector<int64_t>& sizes) {
  Rows rows;
  int64_t inner = 1;
  for (int d = 0; d < axis; ++d) rows.outer *= shape.dim_size(d);
  for (int d = axis + 1; d < shape.dims(); ++d) inner *= shape.dim_size(d);
  for (int64_t size : sizes) {
    rows.widths.push_back(size * inner);
    rows.offsets.push_back(rows.offsets.back() + size * inner);
  }
  return rows;
}

class ConcatOp : public OpKernel {
 public:
  explicit ConcatOp(OpKernelConstruction* ctx) : OpKernel(ctx) { OP_REQUIRES_OK(ctx, ctx->GetAttr("axis", &axis_)); }

  void Compute(OpKernelContext* ctx) override {
    OpInputList values;
    OP_REQUIRES_OK(ctx, ctx->input_list("values", &values));
    const TensorShape& first = values[0].shape();
    OP_REQUIRES(ctx, axis_ >= 0 && axis_ < first.dims(),
                errors::InvalidArgument("AcmixLabConcat: axis ", axis_, " of a rank-", first.dims(), " tensor"));
    TensorShape shape = first;
    std::vector<int64_t> sizes;
    for (const Tensor& t : values) {
      bool fits = t.dims() == first.dims();
      for (int d = 0; fits && d < first.dims(); ++d) fits = d == axis_ || t.dim_size(d) == first.dim_size(d);
      OP_REQUIRES(ctx, fits, errors::InvalidArgument("AcmixLabConcat: ", t.shape().DebugString(), " does not fit ",
                                                     first.DebugString(), " along axis ", axis_));
      sizes.push_back(t.dim_size(axis_));
    }
    int64_t total = 0;
    for (int64_t s : sizes) total += s;
    shape.set_dim(axis_, total);
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, shape, &out));
    std::vector<float*> parts;
    for (const Tensor& t : values) parts.push_back(const_cast<float*>(t.flat<float>().data()));
    CopyRows<true>(ctx, RowView(shape, axis_, sizes), out->flat<float>().data(), parts);
  }

 private:
  int axis_ = 0;
};

class SplitOp : public OpKernel {
 public:
  explicit SplitOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("axis", &axis_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("sizes", &sizes_));
    int64_t n = 0;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("N", &n));
    OP_REQUIRES(ctx, n == static_cast<int64_t>(sizes_.size()),
                errors::InvalidArgument("AcmixLabSplit: N is ", n, " but sizes has ", sizes_.size()));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    OP_REQUIRES(ctx, axis_ >= 0 && axis_ < x.dims(),
                errors::InvalidArgument("AcmixLabSplit: axis ", axis_, " of a rank-", x.dims(), " tensor"));
    int64_t total = 0;
    for (int64_t s : sizes_) total += s;
    OP_REQUIRES(ctx, total == x.dim_size(axis_) && std::all_of(sizes_.begin(), sizes_.end(), [](int64_t s) { return s >= 0; }),
                errors::InvalidArgument("AcmixLabSplit: sizes do not add up to ", x.dim_size(axis_), " along axis ", axis_));
    OpOutputList pieces;
    OP_REQUIRES_OK(ctx, ctx->output_list("pieces", &pieces));
    std::vector<float*> parts;
    for (size_t i = 0; i < sizes_.size(); ++i) {
      TensorShape shape = x.shape();
      shape.set_dim(axis_, sizes_[i]);
      Tensor* t = nullptr;
      OP_REQUIRES_OK(ctx, pieces.allocate(i, shape, &t));
      parts.push_back(t->flat<float>().data());
    }
    CopyRows<false>(ctx, RowView(x.shape(), axis_, sizes_), const_cast<float*>(x.flat<float>().data()), parts);
  }

 private:
  int axis_ = 0;
  std::vector<int64_t> sizes_;
};

}  // namespace

// axis: non-negative, below the rank; every value has the first one's shape but along it.
REGISTER_OP("AcmixLabConcat")
    .Input("values: N * float")
    .Output("output: float")
    .Attr("N: int >= 1")
    .Attr("axis: int")
    .SetShapeFn(tensorflow::shape_inference::UnknownShape);

// sizes: the pieces' sizes along axis, adding up to x's.
REGISTER_OP("AcmixLabSplit")
    .Input("x: float")
    .Output("pieces: N * float")
    .Attr("N: int >= 1")
    .Attr("axis: int")
    .Attr("sizes: list(int)")
    .SetShapeFn(tensorflow::shape_inference::UnknownShape);

REGISTER_KERNEL_BUILDER(Name("AcmixLabConcat").Device(tensorflow::DEVICE_CPU), ConcatOp);
REGISTER_KERNEL_BUILDER(Name("AcmixLabSplit").Device(tensorflow::DEVICE_CPU), SplitOp);
