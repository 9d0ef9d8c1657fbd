# Built by tools/native/setup-tensorflow.mjs (root postinstall) with node-gyp; output in build/.
{
  "targets": [{
    "target_name": "quiet_stderr",
    "sources": ["quiet_stderr.c", "fatal_signal.c"]
  }]
}
