// The filter gradient of a dense NHWC conv2d (groups 1, dilation 1), for every conv of a YOLO training step:
//   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh − pad_top, ow·s + kw − pad_left, ci] · dy[n, oh, ow, co]
// with taps outside the image skipped (zero padding). TensorFlow's CPU Conv2DBackpropFilter (oneDNN NHWC) took
// 1.3–2.7× the forward's time for the same FLOPs, and the 1×1 convs' gradient as MatMul (X^T·dY over N·H·W
// pixels, small C_in × C_out) reached ~11 GFLOP/s (docs/benchmarks.md, issue 12). This kernel is 1.15–1.2× faster
// over a YOLOv8n step's convs (bench:kernels), most on 1×1 convs of wide maps and small C_in or C_out.
//
// No im2col: per kernel row, dW is a sum of outer products of x rows (the kw·C_in floats a pixel's taps read,
// contiguous) and dy rows (C_out contiguous). A tile of mr of those × nv·16 output channels is held in mr·nv
// vector accumulators (≤ 24 registers): each pixel broadcasts mr x values and loads nv dy vectors. Output
// channels beyond a multiple of 16 are masked.
//
// Deterministic, whatever the thread count: the output rows (n, oh) are split into groups and chunks whose
// boundaries depend on the shapes only; each group sums its pixels chunk by chunk, in order, into its own
// partial dW, and the partials are added in group order. Threads only decide who computes which (group, tap
// and channel block) item; no two items write the same element.
//
// With padded_order, a tile runs over every output column of its rows, the taps outside the image multiplied as
// zeros, rather than over the columns where all of its taps are inside and then each tap's edge columns: every
// dW element then sums its terms row by row, columns in order, which is the order of the same conv run VALID over
// a zero-padded copy of x (whose padding only adds zero terms), bit for bit, without that copy. @acmix-lab/yolo's
// PyTorch-padded convs (stride 2, padding 1: TensorFlow's SAME pads those on one side only) take this route.
#include <algorithm>
#include <utility>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "simd.h"

namespace {

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

// About this many pixels per group (fewer groups for small maps: a partial dW each), and per chunk (x and dy
// rows of a chunk stay in L2 while every tile of every tap passes over them).
constexpr int64_t kGroupPixels = 2048;
constexpr int kMaxGroups = 32;
constexpr int kChunkPixels = 256;
// Work items a call is split into at least (groups × splits of the (tap, channel block) list).
constexpr int kItems = 16;

struct Geometry {
  int64_t batch, h, w, cin, ho, wo, cout;
  int kh, kw, sh, sw, pad_top, pad_left;
  int nv_main, mr;
  int64_t row_width() const { return kw * cin; }  // one kernel row's (kx, ci), contiguous in x and in dW
  int64_t rows() const { return batch * ho; }      // output rows (n, oh)
  // Output columns whose tap kx reads a column inside the image: [first, end).
  std::pair<int64_t, int64_t> Columns(int64_t kx) const {
    const int64_t first = std::max<int64_t>(0, (pad_left - kx + sw - 1) / sw);
    const int64_t last = (w - 1 + pad_left - kx);  // ow·sw ≤ last
    const int64_t end = last < 0 ? 0 : std::min<int64_t>(wo, last / sw + 1);
    return {std::min(first, end), end};
  }
};

// One tile: dW[ky, j0 .. j0+MR, o0 .. o0+NV·16) += Σ over output rows [r0, r1) and columns [ow0, ow1), where
// j = kx·C_in + ci indexes a kernel row: x[n, ih, ow·s − pad_left + kx, ci] is j floats past
// x[n, ih, ow·s − pad_left, 0], so one tile may span taps (small C_in, or C_in not a multiple of the block) at
// the columns where all of them are inside the image. `tail` is how many channels of the last vector are real (16 but for the last
// block). With `first` the accumulators start at zero, else at dW's value. Columns of [ow0, ow1) outside
// [in0, in1) may read taps outside the image, which count as zeros (padded_order).
template <int MR, int NV>
void Tile(const Geometry& g, const float* x, const float* dy, float* dw, int ky, int64_t j0, int64_t o0, int tail,
          int64_t r0, int64_t r1, int64_t ow0, int64_t ow1, int64_t in0, int64_t in1, bool first) {
  vf acc[MR][NV];
  float* out = dw + (ky * g.row_width() + j0) * g.cout + o0;
#pragma GCC unroll 24
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (first) acc[i][v] = vf{};
      else acc[i][v] = v == NV - 1 ? LoadFirst(out + i * g.cout + v * V, tail) : Load(out + i * g.cout + v * V);
    }
  }
  int64_t kx[MR];  // each row element's tap
  for (int i = 0; i < MR; ++i) kx[i] = (j0 + i) / g.cin;
  in0 = std::clamp(in0, ow0, ow1);
  in1 = std::clamp(in1, in0, ow1);
  for (int64_t r = r0; r < r1 && ow0 < ow1; ++r) {
    const int64_t n = r / g.ho, oh = r % g.ho;
    const int64_t ih = oh * g.sh + ky - g.pad_top;
    if (ih < 0 || ih >= g.h) continue;
    const float* row = x + (n * g.h + ih) * g.w * g.cin + j0;
    const float* dp = dy + r * g.wo * g.cout + o0;
    auto columns = [&](int64_t c0, int64_t c1, auto inside) {
      for (int64_t ow = c0; ow < c1; ++ow) {
        const float* xp = row + (ow * g.sw - g.pad_left) * g.cin;
        vf d[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) d[v] = v == NV - 1 ? LoadFirst(dp + ow * g.cout + v * V, tail) : Load(dp + ow * g.cout + v * V);
#pragma GCC unroll 24
        for (int i = 0; i < MR; ++i) {
          float b;
          if constexpr (inside) b = xp[i];
          else b = static_cast<uint64_t>(ow * g.sw - g.pad_left + kx[i]) < static_cast<uint64_t>(g.w) ? xp[i] : 0.f;
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[i][v] += b * d[v];
        }
      }
    };
    columns(ow0, in0, std::false_type{});
    columns(in0, in1, std::true_type{});
    columns(in1, ow1, std::false_type{});
  }
#pragma GCC unroll 24
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (v == NV - 1) StoreFirst(out + i * g.cout + v * V, acc[i][v], tail);
      else Store(out + i * g.cout + v * V, acc[i][v]);
    }
  }
}

using TileFn = void (*)(const Geometry&, const float*, const float*, float*, int, int64_t, int64_t, int, int64_t,
                        int64_t, int64_t, int64_t, int64_t, int64_t, bool);

template <int MR, int NV>
struct TileKernel { static constexpr TileFn fn = &Tile<MR, NV>; };
// kTiles[nv][mr] = Tile<mr, nv>: mr input channels of a kernel row (taps × channels), nv output vectors.
constexpr auto kTiles = acmix::MicroKernels<TileFn, TileKernel>();

class Conv2DBackpropFilterOp : public OpKernel {
 public:
  explicit Conv2DBackpropFilterOp(OpKernelConstruction* c) : OpKernel(c) {
    for (auto [name, value] : {std::pair{"kernel_h", &kh_}, {"kernel_w", &kw_}, {"stride_h", &sh_}, {"stride_w", &sw_},
                               {"pad_top", &pad_top_}, {"pad_left", &pad_left_}, {"padded_order", &padded_order_}})
      OP_REQUIRES_OK(c, c->GetAttr(name, value));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& dy = ctx->input(1);
    OP_REQUIRES(ctx, x.dims() == 4 && dy.dims() == 4 && x.dim_size(0) == dy.dim_size(0),
                tensorflow::errors::InvalidArgument("AcmixLabConv2DBackpropFilter: x ", x.shape().DebugString(),
                                                    " and dy ", dy.shape().DebugString(), " are not NHWC of one batch"));
    Geometry g{x.dim_size(0), x.dim_size(1), x.dim_size(2), x.dim_size(3), dy.dim_size(1), dy.dim_size(2),
               dy.dim_size(3), kh_, kw_, sh_, sw_, pad_top_, pad_left_};
    Tensor* dw = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({kh_, kw_, g.cin, g.cout}), &dw));
    if (dw->NumElements() == 0) return;
    if (g.rows() * g.wo == 0) {
      dw->flat<float>().setZero();
      return;
    }
    g.nv_main = static_cast<int>(std::min<int64_t>(kMaxNv, (g.cout + V - 1) / V));
    g.mr = kMaxMr[g.nv_main];
    const int64_t row_blocks = (g.row_width() + g.mr - 1) / g.mr;

    const int64_t rows = g.rows();
    const int64_t pixels = rows * g.wo;
    const int groups = static_cast<int>(std::clamp<int64_t>(pixels / kGroupPixels, 1, std::min<int64_t>(rows, kMaxGroups)));
    const int64_t tap_blocks = kh_ * row_blocks;
    const int splits = static_cast<int>(std::min<int64_t>(tap_blocks, (kItems + groups - 1) / groups));
    const int64_t chunk_rows = std::max<int64_t>(1, kChunkPixels / std::max<int64_t>(1, g.wo));
    const int64_t size = dw->NumElements();

    Tensor partials;
    float* out = dw->flat<float>().data();
    if (groups > 1) OP_REQUIRES_OK(ctx, ctx->allocate_temp(tensorflow::DT_FLOAT, TensorShape({groups, size}), &partials));
    float* part = groups > 1 ? partials.flat<float>().data() : out;
    const float* px = x.flat<float>().data();
    const float* pdy = dy.flat<float>().data();

    // dW[ky, j0 .. j1, co ..] over output rows [r0, r1): the columns where every tap of the block is inside the
    // image in one tile, then each tap's remaining columns (near the left and right edges) with its channels; with
    // padded_order all columns in the one tile.
    auto block = [&](float* pdw, int ky, int64_t j0, int64_t j1, int64_t r0, int64_t r1, bool first) {
      const int64_t kx0 = j0 / g.cin, kx1 = (j1 - 1) / g.cin;
      const int64_t inner0 = g.Columns(kx0).first, inner1 = std::max(inner0, g.Columns(kx1).second);
      for (int64_t co = 0; co < g.cout; co += g.nv_main * V) {
        const int64_t width = std::min<int64_t>(g.nv_main * V, g.cout - co);
        const int nv = static_cast<int>((width + V - 1) / V);
        const int tail = static_cast<int>(width - (nv - 1) * V);
        if (padded_order_) {
          kTiles[nv][j1 - j0](g, px, pdy, pdw, ky, j0, co, tail, r0, r1, 0, g.wo, inner0, inner1, first);
          continue;
        }
        kTiles[nv][j1 - j0](g, px, pdy, pdw, ky, j0, co, tail, r0, r1, inner0, inner1, inner0, inner1, first);
        for (int64_t kx = kx0; kx <= kx1; ++kx) {
          const auto [f, e] = g.Columns(kx);
          const int64_t c0 = std::max(j0, kx * g.cin), c1 = std::min(j1, (kx + 1) * g.cin);
          const int64_t left_end = std::min(e, inner0), right = std::max({f, inner1, left_end});
          if (f < left_end) kTiles[nv][c1 - c0](g, px, pdy, pdw, ky, c0, co, tail, r0, r1, f, left_end, f, left_end, false);
          if (right < e) kTiles[nv][c1 - c0](g, px, pdy, pdw, ky, c0, co, tail, r0, r1, right, e, right, e, false);
        }
      }
    };
    auto item = [&](int64_t index) {
      const int group = static_cast<int>(index / splits), split = static_cast<int>(index % splits);
      const int64_t r0 = rows * group / groups, r1 = rows * (group + 1) / groups;
      const int64_t t0 = tap_blocks * split / splits, t1 = tap_blocks * (split + 1) / splits;
      for (int64_t c = r0; c < r1; c += chunk_rows) {
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t j0 = (t % row_blocks) * g.mr;
          block(part + group * size, static_cast<int>(t / row_blocks), j0, std::min(g.row_width(), j0 + g.mr), c,
                std::min(r1, c + chunk_rows), c == r0);
        }
      }
    };
    auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
    const int64_t items = static_cast<int64_t>(groups) * splits;
    const double item_flops = 2.0 * pixels * kh_ * g.row_width() * g.cout / items;
    workers->ParallelFor(items, static_cast<int64_t>(item_flops / 16),
                         [&](int64_t first, int64_t end) { for (int64_t i = first; i < end; ++i) item(i); });
    if (groups == 1) return;
    // The partials, added in group order.
    constexpr int64_t kBlock = 1024;
    workers->ParallelFor((size + kBlock - 1) / kBlock, kBlock * groups, [&](int64_t first, int64_t end) {
      for (int64_t b = first; b < end; ++b) {
        const int64_t e0 = b * kBlock, e1 = std::min(size, e0 + kBlock);
        for (int64_t e = e0; e < e1; ++e) out[e] = part[e];
        for (int grp = 1; grp < groups; ++grp)
          for (int64_t e = e0; e < e1; ++e) out[e] += part[grp * size + e];
      }
    });
  }

 private:
  int kh_, kw_, sh_, sw_, pad_top_, pad_left_, padded_order_;
};

}  // namespace

REGISTER_OP("AcmixLabConv2DBackpropFilter")
    .Input("x: float")
    .Input("dy: float")
    .Output("dw: float")
    .Attr("kernel_h: int >= 1")
    .Attr("kernel_w: int >= 1")
    .Attr("stride_h: int >= 1")
    .Attr("stride_w: int >= 1")
    .Attr("pad_top: int >= 0")
    .Attr("pad_left: int >= 0")
    .Attr("padded_order: int = 0")
    .SetShapeFn([](tensorflow::shape_inference::InferenceContext* c) {
      int kh, kw;
      TF_RETURN_IF_ERROR(c->GetAttr("kernel_h", &kh));
      TF_RETURN_IF_ERROR(c->GetAttr("kernel_w", &kw));
      c->set_output(0, c->MakeShape({kh, kw, c->Dim(c->input(0), 3), c->Dim(c->input(1), 3)}));
      return absl::OkStatus();
    });

REGISTER_KERNEL_BUILDER(Name("AcmixLabConv2DBackpropFilter").Device(tensorflow::DEVICE_CPU), Conv2DBackpropFilterOp);
