// Holds file descriptor 2 while TensorFlow loads. TensorFlow 2.21 logs through absl from static
// initialisers (port.cc "oneDNN custom operations are on", at dlopen of libtensorflow_framework)
// before it reads TF_CPP_MIN_LOG_LEVEL, so no environment variable silences those lines.
// mute() points fd 2 at an anonymous temporary file; unmute() restores fd 2 and returns what was
// written, for packages/runtime/src/quiet-stderr.ts to filter and replay. If TensorFlow aborts
// while muted (LOG(FATAL), failed CHECK), the SIGABRT handler first copies the capture to the
// real stderr, so a fatal message is never swallowed. fatal_signal.c (the addon's other half)
// does the same before it reports a crash.
#define _GNU_SOURCE
#include <fcntl.h>
#include <node_api.h>
#include "quiet_stderr.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int saved_fd = -1;    // the real stderr while muted
static int capture_fd = -1;  // the temporary file fd 2 points at while muted
static struct sigaction previous_abort;

static void replay_capture(void) {
  char buf[4096];
  ssize_t n;
  if (lseek(capture_fd, 0, SEEK_SET) < 0) return;
  while ((n = read(capture_fd, buf, sizeof buf)) > 0) {
    if (write(saved_fd, buf, (size_t)n) < 0) return;
  }
}

// Async-signal-safe: only lseek/read/write/dup2.
void restore_stderr_after_crash(void) {
  if (saved_fd < 0) return;
  replay_capture();
  dup2(saved_fd, 2);
}

static void on_abort(int sig) {
  restore_stderr_after_crash();
  sigaction(SIGABRT, &previous_abort, NULL);
  raise(sig);
}

static napi_value mute(napi_env env, napi_callback_info info) {
  napi_value result;
  FILE* tmp = NULL;
  int ok = saved_fd < 0 && (tmp = tmpfile()) != NULL;
  if (ok) {
    fflush(stderr);
    // Close-on-exec: children spawned later must not inherit these descriptors.
    capture_fd = fcntl(fileno(tmp), F_DUPFD_CLOEXEC, 3);
    fclose(tmp);
    saved_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (capture_fd < 0 || saved_fd < 0 || dup2(capture_fd, 2) < 0) {
      if (capture_fd >= 0) close(capture_fd);
      if (saved_fd >= 0) close(saved_fd);
      capture_fd = saved_fd = -1;
      ok = 0;
    } else {
      struct sigaction sa = {0};
      sa.sa_handler = on_abort;
      sigemptyset(&sa.sa_mask);
      sigaction(SIGABRT, &sa, &previous_abort);
    }
  }
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value unmute(napi_env env, napi_callback_info info) {
  napi_value result;
  if (saved_fd < 0) {
    napi_get_null(env, &result);
    return result;
  }
  fflush(stderr);
  dup2(saved_fd, 2);
  sigaction(SIGABRT, &previous_abort, NULL);
  close(saved_fd);
  saved_fd = -1;
  off_t size = lseek(capture_fd, 0, SEEK_END);
  char* text = size > 0 ? malloc((size_t)size) : NULL;
  size_t got = 0;
  if (text && lseek(capture_fd, 0, SEEK_SET) == 0) {
    ssize_t n;
    while (got < (size_t)size && (n = read(capture_fd, text + got, (size_t)size - got)) > 0) got += (size_t)n;
  }
  close(capture_fd);
  capture_fd = -1;
  napi_create_string_utf8(env, text ? text : "", got, &result);
  free(text);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mute", NULL, mute, NULL, NULL, NULL, napi_default, NULL},
    {"unmute", NULL, unmute, NULL, NULL, NULL, napi_default, NULL},
    {"onFatalSignal", NULL, on_fatal_signal, NULL, NULL, NULL, napi_default, NULL},
    {"crashForTest", NULL, crash_for_test, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
