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
#include "simd.h"

namespace {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;

using acmix::Load;
using acmix::RoundUp;
using acmix::Store;
using acmix::V;
using acmix::vf;

// One spatial axis: `taps` window offsets each side, `dilation` pixels apart.
struct Axis {
  int size, out, taps, dilation, stride, pad;
  // Padded row/column p (0 ≤ p < size + 2·pad) holds pixel reflect(p − pad): ReflectionPad2d.
  int pixel(int p) const {
    int i = std::abs(p - pad);
    return i > size - 1 ? 2 * (size - 1) - i : i;
  }
};

Axis MakeAxis(int size, int kernel_att, int stride, int dilation) {
  Axis a;
  a.size = size;
  a.out = (size + stride - 1) / stride;
  a.taps = std::min((kernel_att - 1) / 2, (size - 1) / dilation);
  a.dilation = dilation;
  a.stride = stride;
  a.pad = a.taps * dilation;
  return a;
}

struct Geometry {
  Axis rows, cols;
  int batch, heads, e, d, window, wide;  // wide: output columns rounded up to V
  int tap(int ky, int kx) const { return (ky + rows.taps) * (2 * cols.taps + 1) + kx + cols.taps; }
  int row(int yo, int ky) const { return rows.pixel(yo * rows.stride + rows.pad + ky * rows.dilation); }
  int col(int kx) const { return cols.pad + kx * cols.dilation; }  // padded column of tap kx for xo = 0
  int reach() const { return 2 * cols.pad / cols.stride; }  // largest col(kx) / stride
};

Geometry MakeGeometry(const Tensor& q, const Tensor& v, int kernel_att, int stride, int dilation) {
  Geometry g;
  g.batch = q.dim_size(0);
  g.heads = q.dim_size(3);
  g.e = q.dim_size(4);
  g.d = v.dim_size(4);
  g.rows = MakeAxis(q.dim_size(1), kernel_att, stride, dilation);
  g.cols = MakeAxis(q.dim_size(2), kernel_att, stride, dilation);
  g.window = (2 * g.rows.taps + 1) * (2 * g.cols.taps + 1);
  g.wide = (g.cols.out + V - 1) / V * V;
  return g;
}

// One head of one image, channel-major, columns reflection-padded and split into `stride` phases
// so that the keys of tap kx for output columns xo, xo+1, … are contiguous: padded column
// xo·s + col(kx) lives in phase col(kx) % s at index xo + col(kx) / s. V spare zero columns per
// phase let whole vectors run past the last output column.
struct Plane {
  int rows = 0, stride = 1, per_phase = 0;
  size_t channel_stride = 0;
  std::vector<float> data;
  void Resize(int channels, const Geometry& g) {
    rows = g.rows.size;
    stride = g.cols.stride;
    per_phase = RoundUp(std::max((g.cols.size + 2 * g.cols.pad + stride - 1) / stride, g.wide + g.reach()), V) + V;
    channel_stride = static_cast<size_t>(rows) * stride * per_phase;
    data.assign(channels * channel_stride, 0.f);
  }
  size_t index(int y, int padded_col) const { return (static_cast<size_t>(y) * stride + padded_col % stride) * per_phase + padded_col / stride; }
  float* at(int c, int y, int padded_col) { return &data[c * channel_stride + index(y, padded_col)]; }
  // Gather head h of image `src` ([H, W, heads, channels] row-major) with reflected columns.
  void Fill(const float* src, int channels, int heads, int h, const Geometry& g) {
    const int padded = g.cols.size + 2 * g.cols.pad;
    const size_t cs = channel_stride;
    float* base = data.data();
    for (int y = 0; y < rows; ++y) {
      for (int p = 0; p < padded; ++p) {
        const float* px = src + ((static_cast<size_t>(y) * g.cols.size + g.cols.pixel(p)) * heads + h) * channels;
        float* dst = base + index(y, p);
        for (int c = 0; c < channels; ++c) dst[c * cs] = px[c];
      }
    }
  }
};

// Where window tap w of output row yo starts in a plane (column xo = 0), for every tap.
void TapOffsets(const Geometry& g, const Plane& plane, int yo, std::vector<size_t>& off) {
  off.resize(g.window);
  for (int ky = -g.rows.taps; ky <= g.rows.taps; ++ky) {
    const int y = g.row(yo, ky);
    for (int kx = -g.cols.taps; kx <= g.cols.taps; ++kx) off[g.tap(ky, kx)] = plane.index(y, g.col(kx));
  }
}

// Row buffers are channel-major: row c of `a` starts at a + c·lda, output column xo at [xo].

// dst[w] = Σ_c a[c] · plane[c] at tap w, for every tap and V columns from x0 (the logits q·k, or
// dP = dO·v in the backward).
void TapDots(const Geometry& g, const size_t* off, int x0, const float* a, size_t lda, int channels, const Plane& plane, float* dst, size_t ldd) {
  const float* pl = plane.data.data() + x0;
  const size_t cs = plane.channel_stride;
  // N taps per pass: each loaded `a` vector is reused N times.
  acmix::Blocks4(g.window, [&](auto n, int w0) {
    constexpr int N = decltype(n)::value;
    vf acc[N] = {};
    for (int c = 0; c < channels; ++c) {
      const vf av = Load(a + c * lda + x0);
      const float* pc = pl + c * cs;
#pragma GCC unroll 4
      for (int i = 0; i < N; ++i) acc[i] += av * Load(pc + off[w0 + i]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) Store(dst + (w0 + i) * ldd + x0, acc[i]);
  });
}

// dst[c] = Σ_w weights[w] · plane[c] at tap w, V columns from x0 (attention · v, or dS · k).
void TapSum(const Geometry& g, const size_t* off, int x0, const float* weights, size_t ldw, int channels, const Plane& plane, float* dst, size_t ldd) {
  const float* pl = plane.data.data() + x0;
  const size_t cs = plane.channel_stride;
  // N channels per pass share each loaded weight vector.
  acmix::Blocks4(channels, [&](auto n, int c0) {
    constexpr int N = decltype(n)::value;
    vf acc[N] = {};
    for (int w = 0; w < g.window; ++w) {
      const vf wv = Load(weights + w * ldw + x0);
      const float* pw = pl + c0 * cs + off[w];
#pragma GCC unroll 4
      for (int i = 0; i < N; ++i) acc[i] += wv * Load(pw + i * cs);
    }
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) Store(dst + (c0 + i) * ldd + x0, acc[i]);
  });
}

// Key-side gradients of output row yo for window row ky (image row y):
// plane[c] at padded column xo·s + col(kx) += weights[tap(ky, kx)][xo] · a[c][xo], summed over kx.
// Written as a gather over kx per plane column, so each plane vector is updated once (updating
// per tap would make overlapping read-modify-writes of neighbouring columns). `weights` and `a`
// need reach() zero columns before column 0 and past the row.
void TapScatterRow(const Geometry& g, int ky, int y, const float* weights, size_t ldw, const float* a, size_t lda, int channels, Plane& plane) {
  const int s = g.cols.stride;
  const int limit = RoundUp(g.wide + g.reach(), V);
  const size_t cs = plane.channel_stride;
  for (int phase = 0; phase < s; ++phase) {
    int taps[64], shifts[64], n = 0;
    for (int kx = -g.cols.taps; kx <= g.cols.taps && n < 64; ++kx) {
      if (g.col(kx) % s != phase) continue;
      taps[n] = g.tap(ky, kx);
      shifts[n++] = g.col(kx) / s;
    }
    float* row = plane.at(0, y, phase);
    // N channels per pass share each loaded weight vector.
    acmix::Blocks4(channels, [&](auto nc, int c0) {
      constexpr int N = decltype(nc)::value;
      for (int i0 = 0; i0 < limit; i0 += V) {
        vf acc[N] = {};
        for (int t = 0; t < n; ++t) {
          const vf wv = Load(weights + taps[t] * ldw + i0 - shifts[t]);
          const float* ac = a + c0 * lda + i0 - shifts[t];
#pragma GCC unroll 4
          for (int i = 0; i < N; ++i) acc[i] += wv * Load(ac + i * lda);
        }
#pragma GCC unroll 4
        for (int i = 0; i < N; ++i) {
          float* d = row + (c0 + i) * cs + i0;
          Store(d, Load(d) + acc[i]);
        }
      }
    });
  }
}

// Copy output row yo of head h into row buffer `row` (channel c at row + c·ld), zero elsewhere.
void ReadRow(const float* src, const Geometry& g, int b, int yo, int h, int channels, float* row, size_t ld) {
  for (int c = 0; c < channels; ++c) std::fill(row + c * ld, row + c * ld + g.wide, 0.f);
  for (int xo = 0; xo < g.cols.out; ++xo) {
    const float* px = src + (((static_cast<size_t>(b) * g.rows.out + yo) * g.cols.out + xo) * g.heads + h) * channels;
    for (int c = 0; c < channels; ++c) row[c * ld + xo] = px[c];
  }
}

// Queries of output row yo: image pixels (yo·s, xo·s) of head h.
void ReadQueries(const float* q, const Geometry& g, int b, int yo, int h, float* row, size_t ld) {
  for (int c = 0; c < g.e; ++c) std::fill(row + c * ld, row + c * ld + g.wide, 0.f);
  for (int xo = 0; xo < g.cols.out; ++xo) {
    const float* px = q + (((static_cast<size_t>(b) * g.rows.size + yo * g.rows.stride) * g.cols.size + xo * g.cols.stride) * g.heads + h) * g.e;
    for (int c = 0; c < g.e; ++c) row[c * ld + xo] = px[c];
  }
}

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
          for (int xo = 0; xo < g.cols.out; ++xo) {
            float* dst = op + (((static_cast<size_t>(b) * g.rows.out + yo) * g.cols.out + xo) * g.heads + h) * g.d;
            for (int c = 0; c < g.d; ++c) dst[c] = orow[static_cast<size_t>(c) * g.wide + xo];
          }
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
      // Rows read with shifts (TapScatterRow) carry `margin` zero columns in front.
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
          for (int ky = -g.rows.taps; ky <= g.rows.taps; ++ky) {
            const int y = g.row(yo, ky);
            TapScatterRow(g, ky, y, ds, ld, qrow, ld, g.e, dkpl);
            TapScatterRow(g, ky, y, prow, ld, grow, ld, g.d, dvpl);
          }
          for (int xo = 0; xo < g.cols.out; ++xo) {
            float* dst = dqp + (((static_cast<size_t>(b) * g.rows.size + yo * g.rows.stride) * g.cols.size + xo * g.cols.stride) * g.heads + h) * g.e;
            for (int c = 0; c < g.e; ++c) dst[c] = dqrow[static_cast<size_t>(c) * g.wide + xo];
          }
        }
        // Fold the padded columns onto the image (reflected columns add up); pixels that are not
        // queries (stride > 1) get a zero query gradient.
        const int padded = g.cols.size + 2 * g.cols.pad;
        for (int y = 0; y < g.rows.size; ++y) {
          for (int x = 0; x < g.cols.size; ++x) {
            const size_t base = (b * image / g.heads + static_cast<size_t>(y) * g.cols.size + x) * g.heads + h;
            std::fill(dkp + base * g.e, dkp + (base + 1) * g.e, 0.f);
            std::fill(dvp + base * g.d, dvp + (base + 1) * g.d, 0.f);
            if (y % g.rows.stride != 0 || x % g.cols.stride != 0) std::fill(dqp + base * g.e, dqp + (base + 1) * g.e, 0.f);
          }
          for (int pcol = 0; pcol < padded; ++pcol) {
            const size_t base = (b * image / g.heads + static_cast<size_t>(y) * g.cols.size + g.cols.pixel(pcol)) * g.heads + h;
            for (int c = 0; c < g.e; ++c) dkp[base * g.e + c] += *dkpl.at(c, y, pcol);
            for (int c = 0; c < g.d; ++c) dvp[base * g.d + c] += *dvpl.at(c, y, pcol);
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
