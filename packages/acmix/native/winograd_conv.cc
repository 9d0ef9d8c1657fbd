// A 3×3, stride-1, dilation-1, padding-1 NHWC convolution (groups 1) by Winograd F(m×m, 3×3) (winograd.h), for the
// forward of a YOLO step's 3×3 stride-1 convs (the C2f bottlenecks, the Detect head) and, with the filter rotated
// by 180° and its channel axes swapped, their input gradient: Conv2DBackpropInput of such a conv is that conv of
// dy. TensorFlow's kernels (oneDNN brgemm) run these near the core's FMA throughput already; Winograd does
// (m+2)²/m² multiplies per output and channel pair instead of 9: 4 for F(2×2), 2.25 for F(4×4) (output_tile: the
// forward uses 2, the input gradient 4, for accuracy: packages/acmix/src/native-winograd.ts).
//
// Per call: the filter is transformed once, U[p][ci][co] = (G g G^T)[p] for the (m+2)² points p. The output's
// m×m tiles are then processed in blocks sized to stay in L2; per block: the input tiles' transforms
// V[p][t][ci] = (B^T d B)[p], (m+2)² GEMMs M[p] = V[p]·U[p] (a register-blocked micro-kernel: mr tiles ×
// nv·16 output channels in mr·nv ≤ 24 vector accumulators), and the output transforms A^T M A into y.
//
// Deterministic, whatever the thread count: every output element is one tile's, computed by one block in a
// fixed order (Σ over ci in order, then the fixed transforms); threads only decide which thread runs a block.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "simd.h"
#include "winograd.h"

namespace {

using acmix::kGemms;
using acmix::kMaxMr;
using acmix::kMaxNv;
using acmix::Load;
using acmix::LoadFirst;
using acmix::Store;
using acmix::StoreFirst;
using acmix::V;
using acmix::vf;
using acmix::Winograd;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

// A block's transformed inputs and GEMM outputs (floats) stay under this, in L2 beside U's panels.
constexpr int64_t kBlockFloats = 96 * 1024;
constexpr int kMaxBlockTiles = 128;

struct Shape {
  int64_t batch, h, w, cin, cout;
  int64_t cin_pad, cout_pad;  // channel strides of the transformed tensors: multiples of V, zero-filled
};

// U[p][ci][co] (row stride cout_pad, zero beyond cout) from the filter f [3, 3, fi, fo]: g = f[·, ·, ci, co], or
// with `transposed` (the input gradient's conv) g[a][b] = f[2 − a, 2 − b, co, ci], gathered from f (small, in
// cache) so that U's rows are written whole.
template <int M>
void TransformFilter(OpKernelContext* ctx, const Shape& s, const float* f, bool transposed, float* u) {
  using W = Winograd<M>;
  constexpr int T = W::kTile;
  const int64_t plane = s.cin * s.cout_pad;
  auto rows = [&](int64_t first, int64_t end) {
    for (int64_t ci = first; ci < end; ++ci) {
      for (int64_t co = 0; co < s.cout_pad; co += V) {
        const int width = static_cast<int>(std::min<int64_t>(V, s.cout - co));
        vf g[9] = {}, out[T * T];
        for (int k = 0; k < 9; ++k) {
          if (!transposed) g[k] = LoadFirst(f + (k * s.cin + ci) * s.cout + co, width);
          else for (int l = 0; l < width; ++l) g[k][l] = f[((8 - k) * s.cout + co + l) * s.cin + ci];
        }
        acmix::Sandwich(W::kG, g, out);
        for (int p = 0; p < T * T; ++p) Store(u + p * plane + ci * s.cout_pad + co, out[p]);
      }
    }
  };
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(s.cin, 40 * T * T * s.cout_pad, rows);
}

template <int M>
class WinogradConv {
  using W = Winograd<M>;
  static constexpr int T = W::kTile;

 public:
  WinogradConv(const Shape& s, const float* x, const float* u, float* y) : s_(s), x_(x), u_(u), y_(y) {
    th_ = (s.h + M - 1) / M;
    tw_ = (s.w + M - 1) / M;
    tiles_ = s.batch * th_ * tw_;
    block_tiles_ = std::clamp<int64_t>(kBlockFloats / (T * T * (s.cin_pad + s.cout_pad)), 1, kMaxBlockTiles);
    block_tiles_ = std::min(block_tiles_, tiles_);
  }
  int64_t block_tiles() const { return block_tiles_; }
  int64_t blocks() const { return (tiles_ + block_tiles_ - 1) / block_tiles_; }
  int64_t block_flops() const { return 2 * T * T * block_tiles_ * s_.cin * s_.cout_pad; }

  // Tiles [b·block_tiles, …) into y; v and m hold a block's transformed inputs and GEMM outputs.
  void Block(int64_t b, float* v, float* m) const {
    const int64_t t0 = b * block_tiles_, count = std::min(block_tiles_, tiles_ - t0);
    const int64_t vp = block_tiles_ * s_.cin_pad, mp = block_tiles_ * s_.cout_pad;  // per point p
    for (int64_t t = 0; t < count; ++t) TransformInput(t0 + t, v + t * s_.cin_pad, vp);
    for (int p = 0; p < T * T; ++p) {
      const float* up = u_ + p * s_.cin * s_.cout_pad;
      for (int64_t co = 0; co < s_.cout_pad; co += kMaxNv * V) {
        const int nv = static_cast<int>(std::min<int64_t>(kMaxNv, (s_.cout_pad - co) / V));
        const int mr = kMaxMr[nv];
        for (int64_t r = 0; r < count; r += mr) {
          const int rows = static_cast<int>(std::min<int64_t>(mr, count - r));
          kGemms[nv][rows](v + p * vp + r * s_.cin_pad, s_.cin_pad, 1, up + co, s_.cout_pad,
                           m + p * mp + r * s_.cout_pad + co, s_.cout_pad, s_.cin, false);
        }
      }
    }
    for (int64_t t = 0; t < count; ++t) TransformOutput(t0 + t, m + t * s_.cout_pad, mp);
  }

 private:
  struct Origin { int64_t n, y, x; };  // a tile's first output pixel
  Origin TileOrigin(int64_t tile) const {
    const int64_t per_image = th_ * tw_, rem = tile % per_image;
    return {tile / per_image, rem / tw_ * M, rem % tw_ * M};
  }

  // v[p·stride + ci] = (B^T d B)[p] for the tile's (m+2)² inputs d around it (zero outside the image).
  void TransformInput(int64_t tile, float* v, int64_t stride) const {
    const Origin o = TileOrigin(tile);
    for (int64_t c = 0; c < s_.cin; c += V) {
      const int width = static_cast<int>(std::min<int64_t>(V, s_.cin - c));
      vf d[T * T], out[T * T];
      for (int a = 0; a < T; ++a) {
        const int64_t iy = o.y - 1 + a;
        for (int b = 0; b < T; ++b) {
          const int64_t ix = o.x - 1 + b;
          const bool inside = iy >= 0 && iy < s_.h && ix >= 0 && ix < s_.w;
          const float* px = x_ + ((o.n * s_.h + iy) * s_.w + ix) * s_.cin + c;
          d[a * T + b] = !inside ? vf{} : width == V ? Load(px) : LoadFirst(px, width);
        }
      }
      acmix::Sandwich(W::kBT, d, out);
      for (int p = 0; p < T * T; ++p) Store(v + p * stride + c, out[p]);
    }
  }

  // The tile's outputs A^T m A, from m[p·stride + co], where they fall inside the image.
  void TransformOutput(int64_t tile, const float* m, int64_t stride) const {
    const Origin o = TileOrigin(tile);
    const int rows = static_cast<int>(std::min<int64_t>(M, s_.h - o.y)), cols = static_cast<int>(std::min<int64_t>(M, s_.w - o.x));
    for (int64_t c = 0; c < s_.cout; c += V) {
      const int width = static_cast<int>(std::min<int64_t>(V, s_.cout - c));
      vf in[T * T], out[M * M];
      for (int p = 0; p < T * T; ++p) in[p] = Load(m + p * stride + c);
      acmix::Sandwich(W::kAT, in, out);
      for (int i = 0; i < rows; ++i) {
        float* py = y_ + ((o.n * s_.h + o.y + i) * s_.w + o.x) * s_.cout + c;
        for (int j = 0; j < cols; ++j, py += s_.cout) {
          if (width == V) Store(py, out[i * M + j]);
          else StoreFirst(py, out[i * M + j], width);
        }
      }
    }
  }

  Shape s_;
  const float* x_;
  const float* u_;
  float* y_;
  int64_t th_, tw_, tiles_, block_tiles_;
};

template <int M>
void Run(OpKernelContext* ctx, const Shape& s, const float* x, const float* f, bool transposed, float* y) {
  constexpr int T = Winograd<M>::kTile;
  Tensor u;
  OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({T * T * s.cin * s.cout_pad}), &u));
  TransformFilter<M>(ctx, s, f, transposed, u.flat<float>().data());
  const WinogradConv<M> conv(s, x, u.flat<float>().data(), y);
  const int64_t block_floats = T * T * conv.block_tiles() * (s.cin_pad + s.cout_pad);
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(
      conv.blocks(), conv.block_flops(), [&](int64_t first, int64_t end) {
        thread_local std::vector<float> scratch;
        if (static_cast<int64_t>(scratch.size()) < block_floats) scratch.resize(block_floats);
        float* m = scratch.data() + T * T * conv.block_tiles() * s.cin_pad;
        for (int64_t b = first; b < end; ++b) conv.Block(b, scratch.data(), m);
      });
}

class WinogradConv2DOp : public OpKernel {
 public:
  explicit WinogradConv2DOp(OpKernelConstruction* c) : OpKernel(c) {
    OP_REQUIRES_OK(c, c->GetAttr("backprop_input", &transposed_));
    OP_REQUIRES_OK(c, c->GetAttr("output_tile", &tile_));
    OP_REQUIRES(c, tile_ == 2 || tile_ == 4,
                tensorflow::errors::InvalidArgument("AcmixLabWinogradConv2D: output_tile must be 2 or 4, not ", tile_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& f = ctx->input(1);
    const int in_axis = transposed_ ? 3 : 2;
    OP_REQUIRES(ctx, x.dims() == 4 && f.dims() == 4 && f.dim_size(0) == 3 && f.dim_size(1) == 3 &&
                         f.dim_size(in_axis) == x.dim_size(3),
                tensorflow::errors::InvalidArgument("AcmixLabWinogradConv2D: x ", x.shape().DebugString(), " and filter ",
                                                    f.shape().DebugString(), " are not NHWC and a 3×3 filter over its channels"));
    const int64_t cout = f.dim_size(5 - in_axis);
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({x.dim_size(0), x.dim_size(1), x.dim_size(2), cout}), &y));
    if (y->NumElements() == 0) return;
    if (x.dim_size(3) == 0) {
      y->flat<float>().setZero();
      return;
    }
    const Shape s{x.dim_size(0), x.dim_size(1), x.dim_size(2), x.dim_size(3), cout,
                  acmix::RoundUp(static_cast<int>(x.dim_size(3)), V), acmix::RoundUp(static_cast<int>(cout), V)};
    if (tile_ == 4) Run<4>(ctx, s, x.flat<float>().data(), f.flat<float>().data(), transposed_, y->flat<float>().data());
    else Run<2>(ctx, s, x.flat<float>().data(), f.flat<float>().data(), transposed_, y->flat<float>().data());
  }

 private:
  int transposed_, tile_;
};

}  // namespace

REGISTER_OP("AcmixLabWinogradConv2D")
    .Input("x: float")
    .Input("filter: float")
    .Output("y: float")
    .Attr("backprop_input: int >= 0")
    .Attr("output_tile: int >= 2")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      int transposed;
      TF_RETURN_IF_ERROR(c->GetAttr("backprop_input", &transposed));
      const auto x = c->input(0);
      c->set_output(0, c->MakeShape({c->Dim(x, 0), c->Dim(x, 1), c->Dim(x, 2), c->Dim(c->input(1), transposed ? 2 : 3)}));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("AcmixLabWinogradConv2D").Device(tensorflow::DEVICE_CPU), WinogradConv2DOp);
