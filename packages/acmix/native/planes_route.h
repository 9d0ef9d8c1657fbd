// The planes route of ACmix's grouped kc×kc conv (grouped_conv.cc's ACmixGroupedConv, and qkv_conv.cc's
// ACmixQkvConv with direct = 0): a task handles one image and a block of groups; it gathers their channels once
// into channel-major zero-padded planes (grouped_conv.h's ZeroPlane) and works 16 output columns at a time.
// Per-(image, group) partials of the weight gradient are summed over images in order: results do not depend on
// the thread count.
#pragma once
#include <algorithm>
#include <vector>

#include "tensorflow/core/framework/op_kernel.h"
#include "grouped_conv.h"

namespace acmix {
namespace grouped {

// The output [B, Ho, Wo, G, T]'s flat index.
inline size_t OutIndex(const ConvGeometry& g, int b, int yo, int xo, int group, int t) {
  return (((static_cast<size_t>(b) * g.ho + yo) * g.wo + xo) * g.groups + group) * g.t + t;
}

// Tasks are (image, block of GroupsPerTask groups), image-major.
struct Tasks {
  int per_task, blocks;
  explicit Tasks(const ConvGeometry& g) : per_task(GroupsPerTask(g)), blocks((g.groups + per_task - 1) / per_task) {}
  int64_t count(const ConvGeometry& g) const { return static_cast<int64_t>(g.batch) * blocks; }
  int image(int64_t task) const { return task / blocks; }
  int first(int64_t task) const { return task % blocks * per_task; }
  int groups(const ConvGeometry& g, int64_t task) const { return std::min(per_task, g.groups - first(task)); }
};

// The forward over every task; emit(out_index, value) stores each output.
template <typename Emit>
void Forward(tensorflow::OpKernelContext* ctx, const ConvGeometry& g, const Channels<const float>& src, const float* wp, Emit&& emit) {
  const Tasks tasks(g);
  auto fn = [&](int64_t begin, int64_t end) {
    ZeroPlane plane;
    plane.Resize(g, tasks.per_task);
    for (int64_t task = begin; task < end; ++task) {
      const int b = tasks.image(task), group0 = tasks.first(task), groups = tasks.groups(g, task);
      plane.Fill(src, g, b, group0, groups);
      for (int gl = 0; gl < groups; ++gl) {
        const int group = group0 + gl;
        Convolve(plane, gl, wp + static_cast<size_t>(group) * g.m * g.t * g.k, g,
                                 [&](int yo, int xo, int t, float value) { emit(OutIndex(g, b, yo, xo, group, t), value); });
      }
    }
  };
  const int64_t cost = static_cast<int64_t>(g.ho) * g.wide * g.k * g.m * g.t * 2 * tasks.per_task;
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(tasks.count(g), cost, fn);
}

// The backward over every task: input gradients to `dst`, the weight gradient to dwp (per-(image, group)
// partials summed over images in order). on_dout(task, index) sees every output-gradient element once.
template <typename OnDout>
void Backward(tensorflow::OpKernelContext* ctx, const ConvGeometry& g, const Channels<const float>& src, const Channels<float>& dst,
              const float* wp, const float* gp, float* dwp, OnDout&& on_dout) {
  const Tasks tasks(g);
  const size_t wsize = static_cast<size_t>(g.m) * g.t * g.k;
  std::vector<float> partial(static_cast<size_t>(g.batch) * g.groups * wsize);
  auto fn = [&](int64_t begin, int64_t end) {
    ZeroPlane plane, dplane;
    plane.Resize(g, tasks.per_task);
    dplane.Resize(g, tasks.per_task);
    // One group's output-gradient rows, [t][yo] with `margin` zero columns in front (the input-gradient
    // gather reads them shifted).
    const int margin = RoundUp(g.reach(), V);
    const size_t ld = margin + plane.per_phase + V;
    std::vector<float> rows(static_cast<size_t>(g.t) * g.ho * ld, 0.f);
    auto dout_row = [&](int t, int yo) { return rows.data() + (static_cast<size_t>(t) * g.ho + yo) * ld + margin; };
    for (int64_t task = begin; task < end; ++task) {
      const int b = tasks.image(task), group0 = tasks.first(task), groups = tasks.groups(g, task);
      plane.Fill(src, g, b, group0, groups);
      std::fill(dplane.data.begin(), dplane.data.end(), 0.f);
      for (int gl = 0; gl < groups; ++gl) {
        const int group = group0 + gl;
        for (int yo = 0; yo < g.ho; ++yo) {
          for (int t = 0; t < g.t; ++t) {
            float* r = dout_row(t, yo);
            for (int xo = 0; xo < g.wo; ++xo) {
              const size_t i = OutIndex(g, b, yo, xo, group, t);
              r[xo] = gp[i];
              on_dout(task, i);
            }
          }
        }
        ConvolveGrad(plane, gl, wp + static_cast<size_t>(group) * wsize, g, dout_row,
                                     &partial[(static_cast<size_t>(b) * g.groups + group) * wsize], dplane);
      }
      dplane.WriteBack(dst, g, b, group0, groups);
    }
  };
  const int64_t cost = static_cast<int64_t>(g.ho) * g.wide * g.k * g.m * g.t * 6 * tasks.per_task;
  ctx->device()->tensorflow_cpu_worker_threads()->workers->ParallelFor(tasks.count(g), cost, fn);
  std::fill(dwp, dwp + g.groups * wsize, 0.f);
  for (int b = 0; b < g.batch; ++b) {
    for (size_t i = 0; i < g.groups * wsize; ++i) dwp[i] += partial[b * g.groups * wsize + i];
  }
}

}  // namespace grouped
}  // namespace acmix
