// Geometry, padded planes and the SIMD inner loops of ACmix's window-attention kernels
// (window_attention.cc). Window rules as src/geometry.ts: reflection padding, reach
// min((kernel_att-1)/2, (size-1)/dilation) taps per axis, queries every `stride` pixels.
#pragma once
#include <algorithm>
#include <cstdlib>
#include <vector>

#include "tensorflow/core/framework/tensor.h"
#include "simd.h"

namespace acmix {
namespace window {

using tensorflow::Tensor;

// One spatial axis: `taps` window offsets each side, `dilation` pixels apart.
struct Axis {
  int size, out, taps, dilation, stride, pad;
  // Padded row/column p (0 ≤ p < size + 2·pad) holds pixel reflect(p − pad): ReflectionPad2d.
  int pixel(int p) const {
    int i = std::abs(p - pad);
    return i > size - 1 ? 2 * (size - 1) - i : i;
  }
};

inline Axis MakeAxis(int size, int kernel_att, int stride, int dilation) {
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

inline Geometry MakeGeometry(const Tensor& q, const Tensor& v, int kernel_att, int stride, int dilation) {
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
  int rows = 0, per_phase = 0, image_cols = 0;
  size_t channel_stride = 0;
  acmix::PhaseColumns columns;
  std::vector<int> pixel;  // image column of each padded column (reflection)
  std::vector<float> data;
  void Resize(int channels, const Geometry& g) {
    rows = g.rows.size;
    image_cols = g.cols.size;
    const int stride = g.cols.stride;
    per_phase = RoundUp(std::max((g.cols.size + 2 * g.cols.pad + stride - 1) / stride, g.wide + g.reach()), V) + V;
    channel_stride = static_cast<size_t>(rows) * stride * per_phase;
    columns.Resize(stride, per_phase);
    pixel.resize(g.cols.size + 2 * g.cols.pad);
    for (size_t p = 0; p < pixel.size(); ++p) pixel[p] = g.cols.pixel(p);
    data.assign(channels * channel_stride, 0.f);
  }
  size_t index(int y, int padded_col) const { return columns.index(y, padded_col); }
  float* at(int c, int y, int padded_col) { return &data[c * channel_stride + index(y, padded_col)]; }
  // Gather head h of image `src` ([H, W, heads, channels] row-major) with reflected columns: each
  // image row is transposed to channel-major in registers (scratch), then copied out with its
  // reflections and phase split.
  void Fill(const float* src, int channels, int heads, int h, const Geometry& g) {
    const size_t ls = ScratchColumns(g);
    scratch.resize(channels * ls);
    for (int y = 0; y < rows; ++y) {
      ToChannelMajor(src + (static_cast<size_t>(y) * g.cols.size * heads + h) * channels, static_cast<size_t>(heads) * channels, g.cols.size,
                     channels, scratch.data(), ls);
      float* base = data.data() + y * columns.row_stride;
      for (int c = 0; c < channels; ++c) SpreadRow(scratch.data() + c * ls, base + c * channel_stride);
    }
  }
  // Row y of the plane folded back onto the image row (reflected columns add onto their pixel, in
  // padded-column order, from zero) and written to `dst`: one head's channels of an image row of
  // [W, heads, channels], pixels heads·channels apart.
  void FoldRow(int y, int channels, int heads, const Geometry& g, float* dst) {
    const size_t ls = ScratchColumns(g);
    scratch.assign(channels * ls, 0.f);
    const int padded = pixel.size();
    const int* col = columns.col.data();
    for (int c = 0; c < channels; ++c) {
      const float* src = data.data() + c * channel_stride + y * columns.row_stride;
      float* t = scratch.data() + c * ls;
      for (int p = 0; p < padded; ++p) t[pixel[p]] += src[col[p]];
    }
    FromChannelMajor(scratch.data(), ls, g.cols.size, channels, dst, static_cast<size_t>(heads) * channels);
  }

 private:
  std::vector<float> scratch;  // one image row, channel-major, for Fill and FoldRow
  static size_t ScratchColumns(const Geometry& g) { return RoundUp(g.cols.size, V); }
  // dst[col(p)] = src[pixel(p)] for every padded column p: the interior is one copy at stride 1.
  void SpreadRow(const float* src, float* dst) const {
    const int padded = pixel.size();
    const int* col = columns.col.data();
    if (columns.row_stride == static_cast<size_t>(per_phase)) {  // stride 1: col(p) = p
      const int pad = (padded - image_cols) / 2;
      std::copy(src, src + image_cols, dst + pad);
      for (int p = 0; p < pad; ++p) dst[p] = src[pixel[p]];
      for (int p = pad + image_cols; p < padded; ++p) dst[p] = src[pixel[p]];
    } else {
      for (int p = 0; p < padded; ++p) dst[col[p]] = src[pixel[p]];
    }
  }
};

// Where window tap w of output row yo starts in a plane (column xo = 0), for every tap.
inline void TapOffsets(const Geometry& g, const Plane& plane, int yo, std::vector<size_t>& off) {
  off.resize(g.window);
  for (int ky = -g.rows.taps; ky <= g.rows.taps; ++ky) {
    const int y = g.row(yo, ky);
    for (int kx = -g.cols.taps; kx <= g.cols.taps; ++kx) off[g.tap(ky, kx)] = plane.index(y, g.col(kx));
  }
}

// Row buffers are channel-major: row c of `a` starts at a + c·lda, output column xo at [xo].

// dst[w] = Σ_c a[c] · plane[c] at tap w, for every tap and V columns from x0 (the logits q·k, or
// dP = dO·v in the backward).
inline void TapDots(const Geometry& g, const size_t* off, int x0, const float* a, size_t lda, int channels, const Plane& plane, float* dst, size_t ldd) {
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
inline void TapSum(const Geometry& g, const size_t* off, int x0, const float* weights, size_t ldw, int channels, const Plane& plane, float* dst, size_t ldd) {
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

// Key-side gradients of output row yo, every window row ky at once (image row row(yo, ky)):
// plane[c] at padded column xo·s + col(kx) += weights[tap(ky, kx)][xo] · a[c][xo], summed over kx.
// Written as a gather over kx per plane column, so each plane vector is updated once per window
// row (updating per tap would make overlapping read-modify-writes of neighbouring columns), window
// rows in order. The shifted a[c] vectors are the same for every window row, so NK rows share each
// load (loads per multiply-add: (NK + N) / (NK·N), against 5/4 one row at a time). `weights` and
// `a` need reach() zero columns before column 0 and past the row.
inline void TapScatter(const Geometry& g, int yo, const float* weights, size_t ldw, const float* a, size_t lda, int channels, Plane& plane) {
  const int s = g.cols.stride;
  // Plane columns from 0 on, whole vectors: as far as output column wide − 1 reaches, but no
  // further than a phase's last padded column (the fold reads no other; the shifts past the last
  // output column only add zeros), which drops a vector of 16 at every seed shape.
  const int padded = (g.cols.size + 2 * g.cols.pad + s - 1) / s;
  const int limit = std::min(RoundUp(g.wide + g.reach(), V), RoundUp(padded, V));
  const size_t cs = plane.channel_stride;
  const size_t window_row = static_cast<size_t>(2 * g.cols.taps + 1) * ldw;  // weights of one window row
  for (int phase = 0; phase < s; ++phase) {
    int shifts[64], n = 0;
    ptrdiff_t wofs[64];
    for (int kx = -g.cols.taps; kx <= g.cols.taps && n < 64; ++kx) {
      if (g.col(kx) % s != phase) continue;
      shifts[n] = g.col(kx) / s;
      wofs[n] = static_cast<ptrdiff_t>(kx + g.cols.taps) * ldw - shifts[n];
      ++n;
    }
    acmix::Blocks4(2 * g.rows.taps + 1, [&](auto nk, int k0) {
      constexpr int NK = decltype(nk)::value;
      float* rows[NK];
      for (int j = 0; j < NK; ++j) rows[j] = plane.at(0, g.row(yo, k0 + j - g.rows.taps), phase);
      const float* wk = weights + k0 * window_row;
      // N channels per pass share each loaded weight vector.
      acmix::Blocks4(channels, [&](auto nc, int c0) {
        constexpr int N = decltype(nc)::value;
        for (int i0 = 0; i0 < limit; i0 += V) {
          vf acc[NK][N] = {};
          for (int t = 0; t < n; ++t) {
            vf av[N];
#pragma GCC unroll 4
            for (int i = 0; i < N; ++i) av[i] = Load(a + (c0 + i) * lda + i0 - shifts[t]);
            const float* wt = wk + wofs[t] + i0;
#pragma GCC unroll 4
            for (int j = 0; j < NK; ++j) {
              const vf wv = Load(wt + j * window_row);
#pragma GCC unroll 4
              for (int i = 0; i < N; ++i) acc[j][i] += wv * av[i];
            }
          }
#pragma GCC unroll 4
          for (int j = 0; j < NK; ++j) {
#pragma GCC unroll 4
            for (int i = 0; i < N; ++i) {
              float* d = rows[j] + (c0 + i) * cs + i0;
              Store(d, Load(d) + acc[j][i]);
            }
          }
        }
      });
    });
  }
}

// Copy output row yo of head h into row buffer `row` (channel c at row + c·ld, zero up to column wide).
inline void ReadRow(const float* src, const Geometry& g, int b, int yo, int h, int channels, float* row, size_t ld) {
  const float* first = src + ((static_cast<size_t>(b) * g.rows.out + yo) * g.cols.out * g.heads + h) * channels;
  ToChannelMajor(first, static_cast<size_t>(g.heads) * channels, g.cols.out, channels, row, ld);
}

// Queries of output row yo: image pixels (yo·s, xo·s) of head h.
inline void ReadQueries(const float* q, const Geometry& g, int b, int yo, int h, float* row, size_t ld) {
  const float* first = q + ((static_cast<size_t>(b) * g.rows.size + yo * g.rows.stride) * g.cols.size * g.heads + h) * g.e;
  ToChannelMajor(first, static_cast<size_t>(g.cols.stride) * g.heads * g.e, g.cols.out, g.e, row, ld);
}

}  // namespace window
}  // namespace acmix
