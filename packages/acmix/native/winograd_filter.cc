// The filter gradient of a 3×3, stride-1, dilation-1, padding-1 NHWC conv (groups 1) by Winograd F(3×3, m×m)
// (winograd.h, WinogradFilter): dW[ky, kx, ci, co] = Σ_{n, y, x} x[n, y + ky − 1, x + kx − 1, ci] · dy[n, y, x, co]
// is, per m×m tile of dy, a 3×3 correlation of the (m+2)² tile of x around it with that dy tile as the filter. Its
// (m+2)² points turn the 9·m² multiplies per tile and channel pair into (m+2)²: 16 instead of 36 for m = 2, 36
// instead of 144 for m = 4. conv_backprop_filter.cc computes the same directly; a YOLO step's C2f bottlenecks and
// Detect head convs are most of its time (bench:kernels).
//
// Because the output transform is linear, the sum over tiles runs in the Winograd domain: per point p,
// M[p][ci][co] = Σ_tiles V[p][t][ci] · Y[p][t][co] with V = B^T x_tile B and Y = A dy_tile A^T, one GEMM per point
// whose reduction runs over the tiles; at the end dW = G^T M G per channel pair. Tiles are transformed in blocks
// that stay in L2 beside the GEMMs' accumulators (the register-blocked Gemm of winograd.h: mr input channels ×
// nv·16 output channels).
//
// Deterministic, whatever the thread count: the tiles are split into groups and the input channels into slices on
// boundaries fixed by the shapes; a (group, slice) item sums its group's tiles block by block, in order, into the
// group's partial M, and the partials are added in group order before the output transform. Threads only decide
// who computes which item; no two items write the same element.
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
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

// About this many tiles per group (each group adds a partial M to read back), at most kMaxGroups groups, and
// partials of at most kPartialFloats in all (wide convs, e.g. 512 → 512, take one group split into slices).
constexpr int64_t kGroupTiles = 64;
constexpr int kMaxGroups = 8;
constexpr int64_t kPartialFloats = 8 * 1024 * 1024;
// Work items a call is split into at least (groups × input-channel slices), slices of at least kSliceChannels.
constexpr int kItems = 4;
constexpr int kSliceChannels = 32;
// A block's transformed x and dy tiles (floats) stay under this, in L2 (2 MiB here) beside the partial M.
constexpr int64_t kBlockFloats = 128 * 1024;

struct Shape {
  int64_t batch, h, w, cin, cout;
  int64_t cin_pad, cout_pad;  // multiples of V
};

template <int M>
class WinogradFilterGradient {
  using W = acmix::Winograd<M>;
  using F = acmix::WinogradFilter<M>;
  static constexpr int T = W::kTile;
  static constexpr int P = T * T;  // transform points

 public:
  WinogradFilterGradient(const Shape& s, const float* x, const float* dy) : s_(s), x_(x), dy_(dy) {
    th_ = (s.h + M - 1) / M;
    tw_ = (s.w + M - 1) / M;
    tiles_ = s.batch * th_ * tw_;
    const int64_t max_groups = std::clamp<int64_t>(kPartialFloats / partial_floats(), 1, kMaxGroups);
    groups_ = static_cast<int>(std::clamp<int64_t>(tiles_ / kGroupTiles, 1, max_groups));
    const int64_t slice_vectors = std::max<int64_t>(1, kSliceChannels / V), vectors = s.cin_pad / V;
    slices_ = static_cast<int>(std::clamp<int64_t>((kItems + groups_ - 1) / groups_, 1, (vectors + slice_vectors - 1) / slice_vectors));
    block_tiles_ = std::clamp<int64_t>(kBlockFloats / (P * (s.cin_pad + s.cout_pad)), 1, (tiles_ + groups_ - 1) / groups_);
  }
  int items() const { return groups_ * slices_; }
  int groups() const { return groups_; }
  int slices() const { return slices_; }
  int64_t partial_floats() const { return P * s_.cin_pad * s_.cout_pad; }
  int64_t scratch_floats() const { return P * block_tiles_ * (s_.cin_pad + s_.cout_pad); }
  double item_flops() const { return 2.0 * P * tiles_ * s_.cin * s_.cout_pad / items(); }

  // Item (group, slice): partial[p][ci][co] of the group = Σ over its tiles of V[p][t][ci]·Y[p][t][co] for the
  // slice's ci; scratch holds a block's V [p][t][slice ci] and Y [p][t][co].
  void Item(int item, float* partial, float* scratch) const {
    const int group = item / slices_, slice = item % slices_;
    const int64_t vectors = s_.cin_pad / V;
    const int64_t c0 = vectors * slice / slices_ * V, c1 = std::min(s_.cin, vectors * (slice + 1) / slices_ * V);
    const int64_t width = vectors * (slice + 1) / slices_ * V - c0;  // V's row: the slice's channels, padded
    const int64_t t0 = tiles_ * group / groups_, t1 = tiles_ * (group + 1) / groups_;
    float* v = scratch;
    float* y = scratch + P * block_tiles_ * width;
    const int64_t vp = block_tiles_ * width, yp = block_tiles_ * s_.cout_pad;  // per point p
    for (int64_t b = t0; b < t1; b += block_tiles_) {
      const int64_t count = std::min(block_tiles_, t1 - b);
      for (int64_t t = 0; t < count; ++t) {
        TransformInput(b + t, c0, c1, v + t * width, vp);
        TransformGradient(b + t, y + t * s_.cout_pad, yp);
      }
      for (int p = 0; p < P; ++p) {
        for (int64_t co = 0; co < s_.cout_pad; co += kMaxNv * V) {
          const int nv = static_cast<int>(std::min<int64_t>(kMaxNv, (s_.cout_pad - co) / V));
          // The slice's channels in row blocks of near-equal size (32 = 6+6+5+5+5+5 rather than 6·5+2: a 2-row
          // block is bound by its loads).
          const int64_t n = c1 - c0, row_blocks = (n + kMaxMr[nv] - 1) / kMaxMr[nv];
          for (int64_t i = 0; i < row_blocks; ++i) {
            const int64_t r = n * i / row_blocks, rows = n * (i + 1) / row_blocks - r;
            kGemms[nv][rows](v + p * vp + r, 1, width, y + p * yp + co, s_.cout_pad,
                             partial + (p * s_.cin_pad + c0 + r) * s_.cout_pad + co, s_.cout_pad, count, b != t0);
          }
        }
      }
    }
  }

  // dW[ky, kx, ci, co] = (G^T M G)[ky][kx] with M = Σ over groups of the partials, in group order, for ci in
  // [ci0, ci1).
  void Output(const float* partials, int64_t ci0, int64_t ci1, float* dw) const {
    const int64_t size = partial_floats();
    for (int64_t ci = ci0; ci < ci1; ++ci) {
      for (int64_t co = 0; co < s_.cout; co += V) {
        const int width = static_cast<int>(std::min<int64_t>(V, s_.cout - co));
        vf m[P], out[9];
        for (int p = 0; p < P; ++p) {
          const float* e = partials + (p * s_.cin_pad + ci) * s_.cout_pad + co;
          m[p] = Load(e);
          for (int g = 1; g < groups_; ++g) m[p] += Load(e + g * size);
        }
        acmix::Sandwich(F::kGT.m, m, out);
        for (int k = 0; k < 9; ++k) {
          float* pw = dw + (k * s_.cin + ci) * s_.cout + co;
          if (width == V) Store(pw, out[k]);
          else StoreFirst(pw, out[k], width);
        }
      }
    }
  }

 private:
  struct Origin { int64_t n, y, x; };  // a tile's first dy pixel
  Origin TileOrigin(int64_t tile) const {
    const int64_t per_image = th_ * tw_, rem = tile % per_image;
    return {tile / per_image, rem / tw_ * M, rem % tw_ * M};
  }

  // v[p·stride + (ci − c0)] = (B^T d B)[p] for the (m+2)² inputs d around the tile (zero outside the image), ci in
  // [c0, c1); the slice's padding channels are zero.
  void TransformInput(int64_t tile, int64_t c0, int64_t c1, float* v, int64_t stride) const {
    const Origin o = TileOrigin(tile);
    for (int64_t c = c0; c < c1; c += V) {
      const int width = static_cast<int>(std::min<int64_t>(V, c1 - c));
      vf d[P], out[P];
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
      for (int p = 0; p < P; ++p) Store(v + p * stride + (c - c0), out[p]);
    }
  }

  // y[p·stride + co] = (A g A^T)[p] for the tile's m×m dy values g (zero outside the image and beyond c_out).
  void TransformGradient(int64_t tile, float* y, int64_t stride) const {
    const Origin o = TileOrigin(tile);
    for (int64_t c = 0; c < s_.cout_pad; c += V) {
      const int width = static_cast<int>(std::clamp<int64_t>(s_.cout - c, 0, V));
      vf g[M * M], out[P];
      for (int i = 0; i < M; ++i) {
        for (int j = 0; j < M; ++j) {
          const bool inside = o.y + i < s_.h && o.x + j < s_.w;
          const float* pd = dy_ + ((o.n * s_.h + o.y + i) * s_.w + o.x + j) * s_.cout + c;
          g[i * M + j] = !inside ? vf{} : width == V ? Load(pd) : LoadFirst(pd, width);
        }
      }
      acmix::Sandwich(F::kA.m, g, out);
      for (int p = 0; p < P; ++p) Store(y + p * stride + c, out[p]);
    }
  }

  Shape s_;
  const float* x_;
  const float* dy_;
  int64_t th_, tw_, tiles_, block_tiles_;
  int groups_, slices_;
};

template <int M>
void Run(OpKernelContext* ctx, const Shape& s, const float* x, const float* dy, float* dw) {
  constexpr int T = acmix::Winograd<M>::kTile;
  const WinogradFilterGradient<M> grad(s, x, dy);
  Tensor partials;
  OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({grad.groups() * grad.partial_floats()}), &partials));
  float* part = partials.flat<float>().data();
  const int64_t scratch_floats = grad.scratch_floats();
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  workers->ParallelFor(grad.items(), static_cast<int64_t>(grad.item_flops() / 16), [&](int64_t first, int64_t end) {
    thread_local std::vector<float> scratch;
    if (static_cast<int64_t>(scratch.size()) < scratch_floats) scratch.resize(scratch_floats);
    for (int64_t i = first; i < end; ++i)
      grad.Item(static_cast<int>(i), part + i / grad.slices() * grad.partial_floats(), scratch.data());
  });
  const int64_t per_ci = T * T * s.cout_pad * (grad.groups() + 4);
  workers->ParallelFor(s.cin, per_ci, [&](int64_t first, int64_t end) { grad.Output(part, first, end, dw); });
}

class WinogradConv2DBackpropFilterOp : public OpKernel {
 public:
  explicit WinogradConv2DBackpropFilterOp(OpKernelConstruction* c) : OpKernel(c) {
    OP_REQUIRES_OK(c, c->GetAttr("output_tile", &tile_));
    OP_REQUIRES(c, tile_ == 2 || tile_ == 4,
                tensorflow::errors::InvalidArgument("AcmixLabWinogradConv2DBackpropFilter: output_tile must be 2 or 4, not ", tile_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& dy = ctx->input(1);
    OP_REQUIRES(ctx, x.dims() == 4 && dy.dims() == 4 && x.dim_size(0) == dy.dim_size(0) && x.dim_size(1) == dy.dim_size(1) &&
                         x.dim_size(2) == dy.dim_size(2),
                tensorflow::errors::InvalidArgument("AcmixLabWinogradConv2DBackpropFilter: x ", x.shape().DebugString(), " and dy ",
                                                    dy.shape().DebugString(), " are not NHWC maps of one size"));
    const int64_t cin = x.dim_size(3), cout = dy.dim_size(3);
    Tensor* dw = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({3, 3, cin, cout}), &dw));
    if (dw->NumElements() == 0) return;
    if (x.NumElements() == 0) {
      dw->flat<float>().setZero();
      return;
    }
    const Shape s{x.dim_size(0), x.dim_size(1), x.dim_size(2), cin, cout, acmix::RoundUp(static_cast<int>(cin), V),
                  acmix::RoundUp(static_cast<int>(cout), V)};
    if (tile_ == 4) Run<4>(ctx, s, x.flat<float>().data(), dy.flat<float>().data(), dw->flat<float>().data());
    else Run<2>(ctx, s, x.flat<float>().data(), dy.flat<float>().data(), dw->flat<float>().data());
  }

 private:
  int tile_;
};

}  // namespace

REGISTER_OP("AcmixLabWinogradConv2DBackpropFilter")
    .Input("x: float")
    .Input("dy: float")
    .Output("dw: float")
    .Attr("output_tile: int >= 2")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      c->set_output(0, c->MakeShape({3, 3, c->Dim(c->input(0), 3), c->Dim(c->input(1), 3)}));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("AcmixLabWinogradConv2DBackpropFilter").Device(tensorflow::DEVICE_CPU),
                        WinogradConv2DBackpropFilterOp);
