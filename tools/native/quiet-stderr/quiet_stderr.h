// The two halves of the addon: quiet_stderr.c (fd 2 muted while TensorFlow loads) and
// fatal_signal.c (a one-line report when native code crashes).
#ifndef QUIET_STDERR_H
#define QUIET_STDERR_H
#include <node_api.h>

/** If fd 2 is muted, copy the capture to the real stderr and point fd 2 back at it. Async-signal-safe. */
void restore_stderr_after_crash(void);

napi_value on_fatal_signal(napi_env env, napi_callback_info info);
napi_value crash_for_test(napi_env env, napi_callback_info info);

#endif
