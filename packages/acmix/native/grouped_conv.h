// The grouped kc×kc conv of ACmix's conv path (grouped_conv.cc, qkv_conv.cc; the planes route in planes_route.h), per (image, group) task: G groups, M input
// channels and T outputs per group, K = kc² taps, zero padding kc / 2, stride s. Weights w [G, M, T·K],
// w[g, m, t·K + κ]. Where a group's input channels live is described by Channels, so the same loops serve
// dep_conv over f_conv (ACmixGroupedConv) and the folded fc∘dep_conv over q, k, v (ACmixQkvConv).
// Every loop keeps each output's sum in one fixed order (blocking only changes which sums share loads):
// results do not depend on the thread count.
#pragma once
#include <algorithm>
#include <type_traits>
#include <vector>

#include "simd.h"

namespace acmix {
namespace grouped {

struct ConvGeometry {
  int batch, h, w, groups, m, t, kc, k, stride, pad, ho, wo, wide;
  int reach() const { return (kc - 1) / stride; }  // largest kx / stride
};

inline ConvGeometry MakeConvGeometry(int batch, int h, int w, int groups, int m, int t, int kc, int stride) {
  ConvGeometry g;
  g.batch = batch;
  g.h = h;
  g.w = w;
  g.groups = groups;
  g.m = m;
  g.t = t;
  g.kc = kc;
  g.k = kc * kc;
  g.stride = stride;
  g.pad = (kc - 1) / 2;
  g.ho = (h + stride - 1) / stride;
  g.wo = (w + stride - 1) / stride;
  g.wide = RoundUp(g.wo, V);
  return g;
}

// Input channel c of group `group` at pixel p = (b·H + y)·W + x is base[c] + p·step[c] + group·group_step.
template <typename T>
struct Channels {
  std::vector<T*> base;
  std::vector<size_t> step;
  size_t group_step = 0;
  T* at(int c, int group, size_t pixel) const { return base[c] + pixel * step[c] + group * group_step; }
};

// Calls body(std::integral_constant<int, N>{}, first) for blocks of N = 3 (then the 1–2 left) over [0, count).
template <typename Body>
inline void Blocks3(int count, Body&& body) {
  int i = 0;
  for (; i + 3 <= count; i += 3) body(std::integral_constant<int, 3>{}, i);
  if (count - i == 2) body(std::integral_constant<int, 2>{}, i);
  if (count - i == 1) body(std::integral_constant<int, 1>{}, i);
}

// One plane's floats: M channels of one group and image, rows × stride phases × per_phase columns.
inline int PerPhase(const ConvGeometry& g) {
  return RoundUp(std::max((g.w + 2 * g.pad + g.stride - 1) / g.stride, g.wide + g.reach()), V) + V;
}

// Groups per task: a pixel's channels of every group lie together (f_conv, or q, k, v's heads), so the gathers
// read each source cache line once per task; the more groups a task has, the fewer times the image is read
// (with one group per task the gathers were most of the forward's time, perf). Up to ~2 MiB of plane per task
// (each group's share, read back by the compute, stays sequential), balanced over the blocks. Fixed by the shape
// alone, as the tasks and the order of every sum are.
inline int GroupsPerTask(const ConvGeometry& g) {
  const size_t plane = static_cast<size_t>(g.m) * g.h * g.stride * PerPhase(g) * sizeof(float);
  const int most = static_cast<int>(std::clamp<size_t>((2u << 20) / plane, 1, g.groups));
  const int blocks = (g.groups + most - 1) / most;
  return (g.groups + blocks - 1) / blocks;
}

// `groups` consecutive groups of one image, channel-major (channel gl·M + m is channel m of the task's gl-th
// group), columns zero-padded by `pad` and split into `stride` phases: padded column xo·s + kx (tap kx of output
// column xo) is at phase kx % s, index xo + kx / s. Rows are not padded: taps outside the image are skipped.
struct ZeroPlane {
  int per_phase = 0, rows = 0;
  size_t channel_stride = 0;
  PhaseColumns columns;
  std::vector<float> data;
  void Resize(const ConvGeometry& g, int groups) {
    rows = g.h;
    per_phase = PerPhase(g);
    channel_stride = static_cast<size_t>(rows) * g.stride * per_phase;
    columns.Resize(g.stride, per_phase);
    data.assign(static_cast<size_t>(groups) * g.m * channel_stride, 0.f);
  }
  size_t index(int y, int padded_col) const { return columns.index(y, padded_col); }
  // Pixel by pixel: each source cache line is read once, and each channel's store stream (one line per channel
  // in L1) advances sequentially.
  void Fill(const Channels<const float>& src, const ConvGeometry& g, int b, int group0, int groups) {
    std::fill(data.begin(), data.end(), 0.f);
    for (int y = 0; y < g.h; ++y) {
      const size_t pixel = (static_cast<size_t>(b) * g.h + y) * g.w;
      float* dst = data.data() + y * columns.row_stride;
      for (int x = 0; x < g.w; ++x) {
        const int col = columns.col[x + g.pad];
        for (int m = 0; m < g.m; ++m) {
          const float* p = src.at(m, group0, pixel + x);
          for (int gl = 0; gl < groups; ++gl) dst[(gl * g.m + m) * channel_stride + col] = p[gl * src.group_step];
        }
      }
    }
  }
  // The inverse of Fill: the image part of the plane to its channels.
  void WriteBack(const Channels<float>& dst, const ConvGeometry& g, int b, int group0, int groups) const {
    for (int y = 0; y < g.h; ++y) {
      const size_t pixel = (static_cast<size_t>(b) * g.h + y) * g.w;
      const float* src = data.data() + y * columns.row_stride;
      for (int x = 0; x < g.w; ++x) {
        const int col = columns.col[x + g.pad];
        for (int m = 0; m < g.m; ++m) {
          float* p = dst.at(m, group0, pixel + x);
          for (int gl = 0; gl < groups; ++gl) p[gl * dst.group_step] = src[(gl * g.m + m) * channel_stride + col];
        }
      }
    }
  }
};

// For the task's gl-th group: out[t] at (yo, xo) = Σ_{m, tap} wg[m, t·K + tap] · plane[gl·M + m] at the tap,
// handed to emit(yo, xo, t, value). NX·V output columns and N outputs per pass share each loaded input vector
// and weight.
template <typename Emit>
void Convolve(const ZeroPlane& plane, int gl, const float* wg, const ConvGeometry& g, Emit&& emit) {
  const size_t cs = plane.channel_stride;
  const float* base = plane.data.data() + gl * g.m * cs;
  for (int yo = 0; yo < g.ho; ++yo) {
    Blocks3(g.wide / V, [&](auto nx, int v0) {
      constexpr int NX = decltype(nx)::value;
      Blocks4(g.t, [&](auto nt, int t0) {
        constexpr int N = decltype(nt)::value;
        vf acc[N][NX] = {};
        for (int ky = 0; ky < g.kc; ++ky) {
          const int y = yo * g.stride + ky - g.pad;
          if (y < 0 || y >= g.h) continue;
          for (int kx = 0; kx < g.kc; ++kx) {
            const float* pin = base + plane.index(y, kx) + v0 * V;
            const float* wt = wg + static_cast<size_t>(t0) * g.k + ky * g.kc + kx;
            for (int m = 0; m < g.m; ++m) {
              vf fv[NX];
              for (int j = 0; j < NX; ++j) fv[j] = Load(pin + m * cs + j * V);
              const float* wm = wt + static_cast<size_t>(m) * g.t * g.k;
#pragma GCC unroll 4
              for (int i = 0; i < N; ++i) {
                const float wi = wm[i * g.k];
                for (int j = 0; j < NX; ++j) acc[i][j] += wi * fv[j];
              }
            }
          }
        }
        for (int i = 0; i < N; ++i) {
          for (int j = 0; j < NX; ++j) {
            float lanes[V];
            Store(lanes, acc[i][j]);
            const int x0 = (v0 + j) * V;
            for (int l = 0; l < std::min(V, g.wo - x0); ++l) emit(yo, x0 + l, t0 + i, lanes[l]);
          }
        }
      });
    });
  }
}

// The backward for the task's gl-th group. dout_row(t, yo) is output-gradient row t, yo with reach() zero
// columns in front of column 0 and zeros past wo (up to the plane's width).
//   part[m, t·K + tap] = Σ_{yo, xo} dout[t] · plane[gl·M + m] at the tap (this image's share of dw);
//   dplane[gl·M + m] += Σ_{t, tap} w[m, t·K + tap] · dout[t] shifted back by the tap (the input gradient).
template <typename Row>
void ConvolveGrad(const ZeroPlane& plane, int gl, const float* wg, const ConvGeometry& g, Row&& dout_row, float* part, ZeroPlane& dplane) {
  const size_t cs = plane.channel_stride;
  const float* base = plane.data.data() + gl * g.m * cs;
  for (int tap = 0; tap < g.k; ++tap) {
    const int ky = tap / g.kc, kx = tap % g.kc;
    // NM channels and N outputs per pass: NM + N loads per NM·N multiply-adds, the sums in registers over the image.
    Blocks3(g.m, [&](auto nm, int m0) {
      constexpr int NM = decltype(nm)::value;
      Blocks4(g.t, [&](auto nt, int t0) {
        constexpr int N = decltype(nt)::value;
        vf acc[NM][N] = {};
        for (int yo = 0; yo < g.ho; ++yo) {
          const int y = yo * g.stride + ky - g.pad;
          if (y < 0 || y >= g.h) continue;
          const float* pin = base + m0 * cs + plane.index(y, kx);
          for (int x0 = 0; x0 < g.wide; x0 += V) {
            vf fv[NM];
            for (int j = 0; j < NM; ++j) fv[j] = Load(pin + j * cs + x0);
#pragma GCC unroll 4
            for (int i = 0; i < N; ++i) {
              const vf dv = Load(dout_row(t0 + i, yo) + x0);
              for (int j = 0; j < NM; ++j) acc[j][i] += dv * fv[j];
            }
          }
        }
        for (int j = 0; j < NM; ++j) {
          for (int i = 0; i < N; ++i) {
            float lanes[V];
            Store(lanes, acc[j][i]);
            float sum = 0.f;
            for (int l = 0; l < V; ++l) sum += lanes[l];
            part[(static_cast<size_t>(m0 + j) * g.t + t0 + i) * g.k + tap] = sum;
          }
        }
      });
    });
  }
  const size_t dcs = dplane.channel_stride;
  const int vectors = RoundUp(g.wide + g.reach(), V) / V;
  for (int yo = 0; yo < g.ho; ++yo) {
    for (int ky = 0; ky < g.kc; ++ky) {
      const int y = yo * g.stride + ky - g.pad;
      if (y < 0 || y >= g.h) continue;
      // df[m] at padded column i·s + phase += Σ_{kx ≡ phase} Σ_t w[m, t, tap] · dout[t][i − kx / s]:
      // a gather over taps, so each plane vector is written once per row.
      for (int phase = 0; phase < g.stride; ++phase) {
        float* drow = dplane.data.data() + gl * g.m * dcs + dplane.index(y, phase);
        // N input channels and NX vectors per pass share each loaded output-gradient vector and weight.
        Blocks4(g.m, [&](auto nm, int m0) {
          constexpr int N = decltype(nm)::value;
          Blocks3(vectors, [&](auto nx, int v0) {
            constexpr int NX = decltype(nx)::value;
            vf acc[N][NX] = {};
            for (int kx = phase; kx < g.kc; kx += g.stride) {
              const int tap = ky * g.kc + kx;
              for (int t = 0; t < g.t; ++t) {
                const float* row = dout_row(t, yo) + v0 * V - kx / g.stride;
                vf dv[NX];
                for (int j = 0; j < NX; ++j) dv[j] = Load(row + j * V);
                const float* wmt = wg + (static_cast<size_t>(m0) * g.t + t) * g.k + tap;
#pragma GCC unroll 4
                for (int i = 0; i < N; ++i) {
                  const float wi = wmt[i * g.t * g.k];
                  for (int j = 0; j < NX; ++j) acc[i][j] += wi * dv[j];
                }
              }
            }
#pragma GCC unroll 4
            for (int i = 0; i < N; ++i) {
              for (int j = 0; j < NX; ++j) {
                float* d = drow + (m0 + i) * dcs + (v0 + j) * V;
                Store(d, Load(d) + acc[i][j]);
              }
            }
          });
        });
      }
    }
  }
}

}  // namespace grouped
}  // namespace acmix
