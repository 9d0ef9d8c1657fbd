// SIMD helpers shared by the ACmix kernels: output columns are processed V at a time in one
// vector register (AVX-512; GCC splits the vector type into AVX2 halves on machines without it).
#pragma once
#include <cstring>
#include <type_traits>

namespace acmix {

constexpr int V = 16;
typedef float vf __attribute__((vector_size(V * sizeof(float))));
inline vf Load(const float* p) { vf v; std::memcpy(&v, p, sizeof v); return v; }
inline void Store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
inline int RoundUp(int n, int m) { return (n + m - 1) / m * m; }

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

}  // namespace acmix
