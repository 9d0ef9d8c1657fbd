// Winograd minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016): a tile of (m+2)×(m+2) inputs d gives m×m outputs of a 3×3 correlation as A^T [(G g G^T) ⊙ (B^T d B)] A,
// (m+2)² multiplies per input/output channel pair instead of 9·m². F(2×2) is the paper's (points 0, ±1, ∞). F(4×4)
// uses the points 0, ±1, 1/2, −2, ∞ instead of the paper's 0, ±1, ±2, ∞ (Barabasz et al., "Error analysis and
// improving the accuracy of Winograd convolution for deep neural networks", 2020): A^T holds their powers, G their
// Lagrange weights and B^T solves A^T[(G g) ⊙ (B^T d)] = d ⋆ g. Its float32 error against a float64 conv is 1.5×
// smaller than the paper's set's at YOLOv8n's shapes (rms 1.1e-6 against 1.7e-6 of ‖y‖; a direct conv's 4e-7).
#pragma once

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

}  // namespace acmix
