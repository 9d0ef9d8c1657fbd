// ACmixQkvConv's loops over q, k, v in the layout the projections write them (qkv_conv.cc): pixel-major
// [B, H, W, T, E], so a head's G = head_dim channels — the G groups of the folded fc∘dep_conv — lie together and
// each vector holds 16 groups of one pixel. Nothing is gathered into padded planes (the planes route spent more
// time moving q, k, v than multiplying: docs/benchmarks.md, "ACmix conv path from q, k, v"); the weights are
// laid out once per call by group vector (WeightsByTap, zero lanes past G), so a vector of groups multiplies a
// vector of weights. Taps outside the image are skipped (the planes route adds their zeros, which
// changes no sum).
// Sum orders: the forward's outputs and the input gradient add in the planes route's order (ky, kx, m; and per
// output row ky's partial over kx, t added in the planes route's row order), so both are bit-identical to it;
// the weight gradient sums over pixels in raster order per image, then over images in order (the planes route
// sums per lane of 16 columns first): deterministic, not bit-identical.
#pragma once
#include <algorithm>
#include <vector>

#include "grouped_conv.h"

namespace acmix {
namespace direct {

using grouped::Channels;
using grouped::ConvGeometry;

// The weights by group vector: wr[WeightIndex(g, g0, tap, m, t) + lane] = w[g0 + lane, m, t·K + tap] (w [G, M, T·K]
// as grouped_conv.h), zero for groups ≥ G; one group vector's taps, channels and outputs lie together.
inline size_t WeightIndex(const ConvGeometry& g, int g0, int tap, int m, int t) {
  return (((static_cast<size_t>(g0 / V) * g.k + tap) * g.m + m) * g.t + t) * V;
}

inline std::vector<float> WeightsByTap(const float* w, const ConvGeometry& g) {
  std::vector<float> wr(static_cast<size_t>(RoundUp(g.groups, V)) * g.k * g.m * g.t, 0.f);
  for (int grp = 0; grp < g.groups; ++grp) {
    for (int m = 0; m < g.m; ++m) {
      for (int t = 0; t < g.t; ++t) {
        for (int tap = 0; tap < g.k; ++tap) {
          wr[WeightIndex(g, grp - grp % V, tap, m, t) + grp % V] = w[(static_cast<size_t>(grp) * g.m + m) * g.t * g.k + t * g.k + tap];
        }
      }
    }
  }
  return wr;
}

inline int FloorDiv(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The lanes of group vector g0 that are groups (< G).
inline int Lanes(const ConvGeometry& g, int g0) { return std::min(V, g.groups - g0); }

// Output row (b, yo): emit(xo, t, group, value) for every output of the row. NX output columns and N outputs per
// pass share each loaded input vector and weight vector.
template <typename Emit>
void ForwardRow(const Channels<const float>& in, const float* wr, const ConvGeometry& g, int b, int yo, Emit&& emit) {
  for (int g0 = 0; g0 < g.groups; g0 += V) {
    const int lanes = Lanes(g, g0);
    Blocks4(g.wo, [&](auto nx, int x0) {
      constexpr int NX = decltype(nx)::value;
      Blocks4(g.t, [&](auto nt, int t0) {
        constexpr int N = decltype(nt)::value;
        vf acc[N][NX] = {};
        for (int ky = 0; ky < g.kc; ++ky) {
          const int y = yo * g.stride + ky - g.pad;
          if (y < 0 || y >= g.h) continue;
          const size_t row = (static_cast<size_t>(b) * g.h + y) * g.w;
          for (int kx = 0; kx < g.kc; ++kx) {
            int xs[NX];
            for (int j = 0; j < NX; ++j) xs[j] = (x0 + j) * g.stride + kx - g.pad;
            const float* wt = wr + WeightIndex(g, g0, ky * g.kc + kx, 0, t0);
            for (int m = 0; m < g.m; ++m) {
              vf fv[NX];
              for (int j = 0; j < NX; ++j) {
                fv[j] = xs[j] >= 0 && xs[j] < g.w ? LoadFirst(in.at(m, g0, row + xs[j]), lanes) : vf{};
              }
              const float* wm = wt + static_cast<size_t>(m) * g.t * V;
#pragma GCC unroll 4
              for (int i = 0; i < N; ++i) {
                const vf wv = Load(wm + i * V);
                for (int j = 0; j < NX; ++j) acc[i][j] += wv * fv[j];
              }
            }
          }
        }
        for (int j = 0; j < NX; ++j) {
          float lanes_out[N][V];
          for (int i = 0; i < N; ++i) Store(lanes_out[i], acc[i][j]);
          for (int l = 0; l < lanes; ++l) {
            for (int i = 0; i < N; ++i) emit(x0 + j, t0 + i, g0 + l, lanes_out[i][l]);
          }
        }
      });
    });
  }
}

// One image's output gradient regrouped as dt[(yo·Wo + xo)·T + t][Gp] (zero lanes past G): a vector of groups per
// output, as the inputs are.
inline void RegroupDout(const float* gp_image, const ConvGeometry& g, int gp, float* dt) {
  const size_t outputs = static_cast<size_t>(g.ho) * g.wo;
  for (size_t o = 0; o < outputs; ++o) {
    for (int grp = 0; grp < g.groups; ++grp) {
      for (int t = 0; t < g.t; ++t) dt[(o * g.t + t) * gp + grp] = gp_image[(o * g.groups + grp) * g.t + t];
    }
  }
}

// Output rows per pass of the weight gradient: a band's input rows stay in L2 while every tap and channel reads
// them (a whole image's q, k, v at seed v1's P3 is 1.3 MB; swept once per tap and channel block it came from L3).
constexpr int kBandRows = 4;

// One image's share of the weight gradient, part[WeightIndex(g, g0, tap, m, t) + lane] = Σ_{yo, xo} dout[t] · input
// m at the tap, per group (lanes), pixels in raster order (bands of rows in order, each sum carried over from the
// previous band). part starts zero. NM channels and N outputs per pass share each loaded vector.
inline void WeightGradImage(const Channels<const float>& in, const float* dt, const ConvGeometry& g, int gp, int b, float* part) {
  for (int band = 0; band < g.ho; band += kBandRows) {
    const int band_end = std::min(g.ho, band + kBandRows);
    for (int tap = 0; tap < g.k; ++tap) {
      const int ky = tap / g.kc, kx = tap % g.kc;
      // Output columns whose tap column lies in the image.
      const int xo_lo = std::max(0, FloorDiv(g.pad - kx + g.stride - 1, g.stride));
      const int xo_hi = std::min(g.wo, FloorDiv(g.w - 1 + g.pad - kx, g.stride) + 1);
      for (int g0 = 0; g0 < g.groups; g0 += V) {
        const int lanes = Lanes(g, g0);
        grouped::Blocks3(g.m, [&](auto nm, int m0) {
          constexpr int NM = decltype(nm)::value;
          Blocks4(g.t, [&](auto nt, int t0) {
            constexpr int N = decltype(nt)::value;
            vf acc[NM][N];
            for (int j = 0; j < NM; ++j) {
              for (int i = 0; i < N; ++i) acc[j][i] = Load(part + WeightIndex(g, g0, tap, m0 + j, t0 + i));
            }
            for (int yo = band; yo < band_end; ++yo) {
              const int y = yo * g.stride + ky - g.pad;
              if (y < 0 || y >= g.h) continue;
              const size_t row = (static_cast<size_t>(b) * g.h + y) * g.w;
              const float* src[NM];
              for (int j = 0; j < NM; ++j) src[j] = in.at(m0 + j, g0, row);
              for (int xo = xo_lo; xo < xo_hi; ++xo) {
                const size_t x = static_cast<size_t>(xo) * g.stride + kx - g.pad;
                vf fv[NM];
                for (int j = 0; j < NM; ++j) fv[j] = LoadFirst(src[j] + x * in.step[m0 + j], lanes);
                const float* d = dt + ((static_cast<size_t>(yo) * g.wo + xo) * g.t + t0) * gp + g0;
#pragma GCC unroll 4
                for (int i = 0; i < N; ++i) {
                  const vf dv = Load(d + i * gp);
                  for (int j = 0; j < NM; ++j) acc[j][i] += dv * fv[j];
                }
              }
            }
            for (int j = 0; j < NM; ++j) {
              for (int i = 0; i < N; ++i) Store(part + WeightIndex(g, g0, tap, m0 + j, t0 + i), acc[j][i]);
            }
          });
        });
      }
    }
  }
}

// One image's input gradient: d(input m)[y, x] = Σ over the output rows yo that read row y (ascending) of that
// row's partial Σ_{kx, t} w[m, t, tap] · dout[t][yo, xo] (kx ascending, t ascending) — the planes route's order.
// store(m, pixel, g0, lanes, value) writes each vector of groups once. N channels and NX columns of one phase
// (x ≡ x_first mod s) per pass share each loaded output-gradient vector and weight vector.
template <typename Store_>
void InputGradImage(const float* wr, const float* dt, const ConvGeometry& g, int gp, int b, Store_&& store) {
  for (int y = 0; y < g.h; ++y) {
    const size_t row = (static_cast<size_t>(b) * g.h + y) * g.w;
    for (int g0 = 0; g0 < g.groups; g0 += V) {
      const int lanes = Lanes(g, g0);
      for (int first = 0; first < std::min(g.stride, g.w); ++first) {
        const int phase = (first + g.pad) % g.stride;
        const int count = (g.w - first + g.stride - 1) / g.stride;  // columns first, first + s, ...
        Blocks4(g.m, [&](auto nm, int m0) {
          constexpr int N = decltype(nm)::value;
          grouped::Blocks3(count, [&](auto nx, int c0) {
            constexpr int NX = decltype(nx)::value;
            vf total[N][NX] = {};
            for (int ky = g.kc - 1; ky >= 0; --ky) {
              const int yy = y + g.pad - ky;
              if (yy < 0 || yy % g.stride != 0 || yy / g.stride >= g.ho) continue;
              const int yo = yy / g.stride;
              vf part[N][NX] = {};
              for (int kx = phase; kx < g.kc; kx += g.stride) {
                int xos[NX];
                for (int j = 0; j < NX; ++j) xos[j] = ((first + (c0 + j) * g.stride) + g.pad) / g.stride - kx / g.stride;
                const float* wt = wr + WeightIndex(g, g0, ky * g.kc + kx, m0, 0);
                for (int t = 0; t < g.t; ++t) {
                  vf dv[NX];
                  for (int j = 0; j < NX; ++j) {
                    dv[j] = xos[j] >= 0 && xos[j] < g.wo ? Load(dt + ((static_cast<size_t>(yo) * g.wo + xos[j]) * g.t + t) * gp + g0) : vf{};
                  }
#pragma GCC unroll 4
                  for (int i = 0; i < N; ++i) {
                    const vf wv = Load(wt + (static_cast<size_t>(i) * g.t + t) * V);
                    for (int j = 0; j < NX; ++j) part[i][j] += wv * dv[j];
                  }
                }
              }
              for (int i = 0; i < N; ++i) {
                for (int j = 0; j < NX; ++j) total[i][j] += part[i][j];
              }
            }
            for (int i = 0; i < N; ++i) {
              for (int j = 0; j < NX; ++j) store(m0 + i, row + first + (c0 + j) * g.stride, g0, lanes, total[i][j]);
            }
          });
        });
      }
    }
  }
}

}  // namespace direct
}  // namespace acmix
