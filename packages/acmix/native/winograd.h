// Winograd minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016): a tile of (m+2)×(m+2) inputs d gives m×m outputs of a 3×3 correlation as A^T [(G g G^T) ⊙ (B^T d B)] A,
// (m+2)² multiplies per input/output channel pair instead of 9·m². F(2×2) is the paper's (points 0, ±1, ∞). F(4×4)
// uses the points 0, ±1, 1/2, −2, ∞ instead of the paper's 0, ±1, ±2, ∞ (Barabasz et al., "Error analysis and
// improving the accuracy of Winograd convolution for deep neural networks", 2020): A^T holds their powers, G their
// Lagrange weights and B^T solves A^T[(G g) ⊙ (B^T d)] = d ⋆ g. Its float32 error against a float64 conv is 1.5×
// smaller than the paper's set's at YOLOv8n's shapes (rms 1.1e-6 against 1.7e-6 of ‖y‖; a direct conv's 4e-7).
#pragma once
#include <cstdint>

#include "simd.h"

namespace acmix {

template <int M>
struct Winograd;

template <>
struct Winograd<2> {
  static constexpr int kTile = 4;
  static constexpr float kBT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr float kG[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  static constexpr float kAT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};

template <>
struct Winograd<4> {
  static constexpr int kTile = 6;
  static constexpr float kBT[6][6] = {{1, -1.5f, -2, 1.5f, 1, 0}, {0, -1, 0.5f, 2.5f, 1, 0}, {0, 1, -2.5f, 0.5f, 1, 0},
                                      {0, -2, -1, 2, 1, 0},       {0, 0.5f, -1, -0.5f, 1, 0}, {0, 1, -1.5f, -2, 1.5f, 1}};
  static constexpr float kG[6][3] = {{1, 0, 0},
                                     {1 / 3.f, 1 / 3.f, 1 / 3.f},
                                     {-1 / 3.f, 1 / 3.f, -1 / 3.f},
                                     {-16 / 15.f, -8 / 15.f, -4 / 15.f},
                                     {1 / 15.f, -2 / 15.f, 4 / 15.f},
                                     {0, 0, 1}};
  static constexpr float kAT[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 0.5f, -2, 0}, {0, 1, 1, 0.25f, 4, 0}, {0, 1, -1, 0.125f, -8, 1}};
};

// out[i·os] = Σ_j c[i][j] · in[j·is] for a constant matrix c: unrolled, its zero terms fold away (-ffast-math)
// and its ±1 terms become additions. T is float or a vector of floats (one lane per channel).
template <int R, int K, typename T>
inline void Mix(const float (&c)[R][K], const T* in, int is, T* out, int os) {
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    T s = in[0] * c[i][0];
#pragma GCC unroll 8
    for (int j = 1; j < K; ++j) s += in[j * is] * c[i][j];
    out[i * os] = s;
  }
}

// out = c · in · c^T for in [K][K] (row stride K) and out [R][R]: rows first, then columns.
template <int R, int K, typename T>
inline void Sandwich(const float (&c)[R][K], const T* in, T* out) {
  T rows[K][R];
#pragma GCC unroll 8
  for (int a = 0; a < K; ++a) Mix(c, in + a * K, 1, rows[a], 1);
#pragma GCC unroll 8
  for (int j = 0; j < R; ++j) Mix(c, &rows[0][j], R, out + j, R);
}

// A constant matrix as a value (constexpr functions return these), its array for Mix and Sandwich.
template <int R, int K>
struct Matrix { float m[R][K]; };

template <int R, int K>
constexpr Matrix<K, R> Transposed(const float (&c)[R][K]) {
  Matrix<K, R> t{};
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < K; ++j) t.m[j][i] = c[i][j];
  return t;
}

// The filter gradient's F(3×3, m×m): dW = x ⋆ dy, the 3×3 "output" of a correlation whose "filter" is an m×m tile of
// dy and whose input is the (m+2)² tile of x around it. F(m, 3)'s identity Σ_p A^T[i][p]·G[p][j]·B^T[p][k] = [k = i+j]
// is symmetric in i and j, so the same points give F(3, m) with the roles of A and G swapped: out = G^T[(A g) ⊙
// (B^T d)], in 2D G^T [(A g A^T) ⊙ (B^T d B)] G (Lavin & Gray, section 4: "F(R×S, M×N)" by transposition).
template <int M>
struct WinogradFilter {
  static constexpr Matrix<Winograd<M>::kTile, M> kA = Transposed(Winograd<M>::kAT);    // dy tile → points
  static constexpr Matrix<3, Winograd<M>::kTile> kGT = Transposed(Winograd<M>::kG);    // points → 3×3 dW
};

// The GEMM per transform point: c[r][0 .. NV·16) = Σ_i a[r·ar + i·ak] · b[i·ldb + 0 ..] for MR rows (c's row stride
// ldc), from zero or, with `add`, onto c. mr·nv vector accumulators: each element sums its k terms in order, so the
// result does not depend on MR or NV.
template <int MR, int NV>
void Gemm(const float* a, int64_t ar, int64_t ak, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k, bool add) {
  vf acc[MR][NV];
#pragma GCC unroll 24
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = add ? Load(c + r * ldc + v * V) : vf{};
  }
  for (int64_t i = 0; i < k; ++i, a += ak, b += ldb) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = Load(b + v * V);
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r) {
      const float s = a[r * ar];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] += s * bv[v];
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) Store(c + r * ldc + v * V, acc[r][v]);
  }
}

using GemmFn = void (*)(const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, int64_t, bool);
template <int MR, int NV>
struct GemmKernel { static constexpr GemmFn fn = &Gemm<MR, NV>; };
// kGemms[nv][mr] = Gemm<mr, nv>.
inline constexpr auto kGemms = MicroKernels<GemmFn, GemmKernel>();

}  // namespace acmix
