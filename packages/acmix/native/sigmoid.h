// σ(x) shared by the SiLU kernels (silu.cc, batchnorm_silu.cc), so both evaluate it the same way.
#pragma once
#include <algorithm>
#include <cmath>

namespace acmix {

// exp(−x) is clamped below float overflow: σ(x) for x < −88 is ~1e-38 either way.
inline float Sigmoid(float x) { return 1.f / (1.f + std::exp(std::min(-x, 88.f))); }

}  // namespace acmix
