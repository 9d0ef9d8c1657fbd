// The Node side only needs the library loaded: dlopen runs the REGISTER_OP / REGISTER_KERNEL_BUILDER
// initialisers of window_attention.cc, grouped_conv.cc, qkv_conv.cc, silu.cc, conv_backprop_filter.cc, flat.cc,
// batchnorm_silu.cc, winograd_conv.cc, winograd_filter.cc, composed_weights.cc, max_pool_grad.cc and concat_split.cc.
// It reports the op names, and
// offers trimHeap (glibc's malloc_trim) to the trainer.
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Returns free heap memory to the system. glibc keeps freed blocks resident in its heap and thread
// arenas, multi-MiB ones too once its dynamic mmap threshold has risen past their size (Node buffers,
// TensorFlow's allocations outside oneDNN's pool). Returns whether glibc released anything; false
// elsewhere, where there is nothing to call.
static napi_value TrimHeap(napi_env env, napi_callback_info) {
  bool released = false;
#if defined(__GLIBC__)
  released = malloc_trim(0) != 0;
#endif
  napi_value result;
  napi_get_boolean(env, released, &result);
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  const char* names[][2] = {{"attention", "ACmixWindowAttention"}, {"attentionGrad", "ACmixWindowAttentionGrad"},
                            {"groupedConv", "ACmixGroupedConv"}, {"groupedConvGrad", "ACmixGroupedConvGrad"},
                            {"silu", "AcmixLabSilu"}, {"siluGrad", "AcmixLabSiluGrad"},
                            {"conv2dBackpropFilter", "AcmixLabConv2DBackpropFilter"},
                            {"flatConcat", "AcmixLabFlatConcat"}, {"flatSplit", "AcmixLabFlatSplit"},
                            {"batchNormSilu", "AcmixLabBatchNormSilu"}, {"batchNormSiluGrad", "AcmixLabBatchNormSiluGrad"},
                            {"winogradConv2D", "AcmixLabWinogradConv2D"}, {"winogradFilterGradient", "AcmixLabWinogradConv2DBackpropFilter"},
                            {"composedWeights", "ACmixComposedWeights"}, {"composedWeightsGrad", "ACmixComposedWeightsGrad"},
                            {"maxPoolGrad", "AcmixLabMaxPoolGrad"},
                            {"qkvConv", "ACmixQkvConv"}, {"qkvConvGrad", "ACmixQkvConvGrad"},
                            {"foldedWeights", "ACmixFoldedWeights"}, {"foldedWeightsGrad", "ACmixFoldedWeightsGrad"},
                            {"concat", "AcmixLabConcat"}, {"split", "AcmixLabSplit"}};
  for (const auto& name : names) {
    napi_value value;
    napi_create_string_utf8(env, name[1], NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, exports, name[0], value);
  }
  napi_value trim;
  napi_create_function(env, "trimHeap", NAPI_AUTO_LENGTH, TrimHeap, nullptr, &trim);
  napi_set_named_property(env, exports, "trimHeap", trim);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
