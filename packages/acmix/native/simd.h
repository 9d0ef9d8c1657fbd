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
