// SIMD helpers shared by the ACmix kernels: output columns are processed V at a time in one
// vector register (AVX-512; GCC splits the vector type into AVX2 halves on machines without it).
#pragma once
#include <cstring>

namespace acmix {

constexpr int V = 16;
typedef float vf __attribute__((vector_size(V * sizeof(float))));
inline vf Load(const float* p) { vf v; std::memcpy(&v, p, sizeof v); return v; }
inline void Store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
inline int RoundUp(int n, int m) { return (n + m - 1) / m * m; }

}  // namespace acmix
