// The Node side only needs the library loaded: dlopen runs the REGISTER_OP / REGISTER_KERNEL_BUILDER
// initialisers of window_attention.cc, grouped_conv.cc, silu.cc and batchnorm_silu.cc. It reports the op names.
#include <node_api.h>

static napi_value Init(napi_env env, napi_value exports) {
  const char* names[][2] = {{"attention", "ACmixWindowAttention"}, {"attentionGrad", "ACmixWindowAttentionGrad"},
                            {"groupedConv", "ACmixGroupedConv"}, {"groupedConvGrad", "ACmixGroupedConvGrad"},
                            {"silu", "AcmixLabSilu"}, {"siluGrad", "AcmixLabSiluGrad"},
                            {"batchNormSilu", "AcmixLabBatchNormSilu"}, {"batchNormSiluGrad", "AcmixLabBatchNormSiluGrad"}};
  for (const auto& name : names) {
    napi_value value;
    napi_create_string_utf8(env, name[1], NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, exports, name[0], value);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
