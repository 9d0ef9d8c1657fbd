// SIMD and plane-layout helpers shared by the ACmix kernels: output columns are processed V at a
// time in one vector register (AVX-512; GCC splits the vector type into AVX2 halves on machines
// without it).
#pragma once
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace acmix {

constexpr int V = 16;
typedef float vf __attribute__((vector_size(V * sizeof(float))));
inline vf Load(const float* p) { vf v; std::memcpy(&v, p, sizeof v); return v; }
inline void Store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
// The first n (≤ V) lanes of a vector from / to memory, the rest zero / untouched.
inline vf LoadFirst(const float* p, int n) {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p));
#else
  vf v = {};
  for (int i = 0; i < n; ++i) v[i] = p[i];
  return v;
#endif
}

inline void StoreFirst(float* p, vf v, int n) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<__m512>(v));
#else
  for (int i = 0; i < n; ++i) p[i] = v[i];
#endif
}

inline int RoundUp(int n, int m) { return (n + m - 1) / m * m; }

// Transposes the V × V block r in registers: r[i][j] becomes r[j][i]. Stage s swaps bit s of the
// row and column index (rows i and i + s exchange their off-diagonal s-blocks), 4 stages of 16
// two-source shuffles; it replaces one scalar load and store per element in layout conversions.
inline void Transpose16(vf r[V]) {
  typedef int vi __attribute__((vector_size(V * sizeof(int))));
  // For rows a = r[i], b = r[i + s]: a' = (j & s) ? b[j − s] : a[j], b' = (j & s) ? b[j] : a[j + s].
  static constexpr vi lo[4] = {
      {0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30},
      {0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29},
      {0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27},
      {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23}};
  static constexpr vi hi[4] = {
      {1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31},
      {2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31},
      {4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31},
      {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31}};
#pragma GCC unroll 4
  for (int stage = 0; stage < 4; ++stage) {
    const int s = 1 << stage;
#pragma GCC unroll 16
    for (int i = 0; i < V; ++i) {
      if (i & s) continue;
      const vf a = r[i], b = r[i + s];
      r[i] = __builtin_shuffle(a, b, lo[stage]);
      r[i + s] = __builtin_shuffle(a, b, hi[stage]);
    }
  }
}

// dst[c·ld + x] = src[x·step + c] for c < channels, x < n (pixels with their channels contiguous →
// channel-major rows); columns n … RoundUp(n, V) − 1 of each written row become zero.
inline void ToChannelMajor(const float* src, size_t step, int n, int channels, float* dst, size_t ld) {
  for (int x0 = 0; x0 < n; x0 += V) {
    const int nx = n - x0 < V ? n - x0 : V;
    for (int c0 = 0; c0 < channels; c0 += V) {
      const int nc = channels - c0 < V ? channels - c0 : V;
      vf r[V];
      for (int i = 0; i < V; ++i) r[i] = i < nx ? LoadFirst(src + (x0 + i) * step + c0, nc) : vf{};
      Transpose16(r);
      for (int i = 0; i < nc; ++i) Store(dst + (c0 + i) * ld + x0, r[i]);
    }
  }
}

// The inverse: dst[x·step + c] = src[c·ld + x] for c < channels, x < n; src rows must be readable
// up to column RoundUp(n, V).
inline void FromChannelMajor(const float* src, size_t ld, int n, int channels, float* dst, size_t step) {
  for (int x0 = 0; x0 < n; x0 += V) {
    const int nx = n - x0 < V ? n - x0 : V;
    for (int c0 = 0; c0 < channels; c0 += V) {
      const int nc = channels - c0 < V ? channels - c0 : V;
      vf r[V];
      for (int i = 0; i < V; ++i) r[i] = i < nc ? Load(src + (c0 + i) * ld + x0) : vf{};
      Transpose16(r);
      for (int i = 0; i < nx; ++i) StoreFirst(dst + (x0 + i) * step + c0, r[i], nc);
    }
  }
}

// Register-blocked micro-kernels K<mr, nv> keep mr rows × nv vectors of V columns in mr·nv ≤ 24 of the 32 vector
// registers: nv ≤ kMaxNv, mr ≤ kMaxMr[nv].
constexpr int kMaxNv = 4;
constexpr int kMaxMr[kMaxNv + 1] = {0, 24, 12, 8, 6};

template <typename Fn, template <int, int> class K, int NV, int... M>
constexpr std::array<Fn, kMaxMr[1] + 1> MicroKernelRow(std::integer_sequence<int, M...>) {
  return {{(M >= 1 && M <= kMaxMr[NV] ? K<(M >= 1 && M <= kMaxMr[NV] ? M : 1), NV>::fn : nullptr)...}};
}

// table[nv][mr] = K<mr, nv>::fn (a function pointer of type Fn) for 1 ≤ mr ≤ kMaxMr[nv], null elsewhere: the
// micro-kernels called with the row and vector counts known at run time only.
template <typename Fn, template <int, int> class K>
constexpr std::array<std::array<Fn, kMaxMr[1] + 1>, kMaxNv + 1> MicroKernels() {
  constexpr auto rows = std::make_integer_sequence<int, kMaxMr[1] + 1>{};
  return {{{}, MicroKernelRow<Fn, K, 1>(rows), MicroKernelRow<Fn, K, 2>(rows), MicroKernelRow<Fn, K, 3>(rows),
           MicroKernelRow<Fn, K, 4>(rows)}};
}

// Calls body(std::integral_constant<int, N>{}, first) for blocks of N = 4 (then the 1–3 left) over
// [0, count): kernels keep N independent accumulators in registers, which needs N known at compile
// time.
template <typename Body>
inline void Blocks4(int count, Body&& body) {
  int i = 0;
  for (; i + 4 <= count; i += 4) body(std::integral_constant<int, 4>{}, i);
  switch (count - i) {
    case 3: body(std::integral_constant<int, 3>{}, i); break;
    case 2: body(std::integral_constant<int, 2>{}, i); break;
    case 1: body(std::integral_constant<int, 1>{}, i); break;
    default: break;
  }
}

// Where padded column p of row y lives in a channel-major plane whose columns are split into
// `stride` phases (so a strided tap's columns are contiguous): (y·stride + p % stride)·per_phase +
// p / stride. The column part is tabulated once per shape: computed per element, its integer
// division was the kernels' largest cost (perf: ~60% of the attention forward).
struct PhaseColumns {
  size_t row_stride = 0;
  std::vector<int> col;
  void Resize(int stride, int per_phase) {
    row_stride = static_cast<size_t>(stride) * per_phase;
    col.resize(row_stride);
    for (int p = 0; p < static_cast<int>(row_stride); ++p) col[p] = (p % stride) * per_phase + p / stride;
  }
  size_t index(int y, int padded_col) const { return y * row_stride + col[padded_col]; }
};

}  // namespace acmix
