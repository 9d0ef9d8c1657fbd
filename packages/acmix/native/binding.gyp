# Built by build.mjs (node-gyp) against the TensorFlow headers and libtensorflow_framework that
# tools/native/setup-tensorflow.mjs extracts from the tensorflow-cpu wheel: TF_DIR is that
# directory. The flags follow tf.sysconfig.get_compile_flags() for the 2.21 wheel.
{
  "targets": [{
    "target_name": "acmix_ops",
    "sources": ["addon.cc", "window_attention.cc", "grouped_conv.cc", "qkv_conv.cc", "silu.cc", "conv_backprop_filter.cc", "flat.cc", "batchnorm_silu.cc", "winograd_conv.cc", "winograd_filter.cc", "composed_weights.cc", "max_pool_grad.cc", "concat_split.cc"],
    "include_dirs": ["<!(node -p \"process.env.TF_DIR\")/include"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y"],
    "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-ffast-math", "-fexceptions", "-frtti",
                  "-D_GLIBCXX_USE_CXX11_ABI=1", "-DEIGEN_MAX_ALIGN_BYTES=64", "-w"],
    "libraries": ["-L<!(node -p \"process.env.TF_DIR\")/lib", "-l:libtensorflow_framework.so.2",
                  "-Wl,-rpath,<!(node -p \"process.env.TF_DIR\")/lib"]
  }]
}
