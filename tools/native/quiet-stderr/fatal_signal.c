// A one-line report when native code crashes. SIGFPE, SIGSEGV, SIGBUS and SIGILL in TensorFlow (or
// any addon) kill Node before JavaScript can run, leaving only the shell's "Floating point
// exception". onFatalSignal(signo, line) stores the line JavaScript prepared for that signal
// (packages/runtime/src/native-crash.ts); the handler writes it to stderr with write(2), then
// restores the default action and re-raises, so the process still dies of the same signal (exit
// status, core dump and what a parent process sees are unchanged).
// Node itself handles SIGSEGV to turn WebAssembly out-of-bounds accesses into exceptions
// (node.cc TrapWebAssemblyOrContinue): that handler runs first; a fault it resolves is not reported.
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "quiet_stderr.h"

static const int FATAL[] = {SIGFPE, SIGSEGV, SIGBUS, SIGILL};
#define N_FATAL (sizeof FATAL / sizeof FATAL[0])

static char* lines[N_FATAL];
static size_t lengths[N_FATAL];
static struct sigaction previous[N_FATAL];
static int installed[N_FATAL];

static int slot_of(int sig) {
  for (size_t i = 0; i < N_FATAL; i++) {
    if (FATAL[i] == sig) return (int)i;
  }
  return -1;
}

static int is_custom(const struct sigaction* sa) {
  return (sa->sa_flags & SA_SIGINFO) ? sa->sa_sigaction != NULL
                                     : sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

// Async-signal-safe: only sigaction/write/dup2/lseek/read/raise.
static void on_fatal(int sig, siginfo_t* info, void* context) {
  int i = slot_of(sig);
  if (is_custom(&previous[i])) {
    // A handler that was there before (Node's, for SIGSEGV) decides first. One that cannot resolve
    // the fault resets the action to SIG_DFL and re-raises (pending: sig is blocked in here).
    if (previous[i].sa_flags & SA_SIGINFO) previous[i].sa_sigaction(sig, info, context);
    else previous[i].sa_handler(sig);
    struct sigaction now;
    sigaction(sig, NULL, &now);
    if (now.sa_handler != SIG_DFL) return;
  }
  restore_stderr_after_crash();
  if (write(2, lines[i], lengths[i]) < 0) { /* nothing left to try */ }
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, NULL);
  // A fault re-executes its instruction on return; a signal sent with kill() needs the raise.
  raise(sig);
}

/** onFatalSignal(signo, line): report `line` if the process dies of signo (one of FATAL). */
napi_value on_fatal_signal(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t sig = 0;
  size_t length = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int i = argc == 2 && napi_get_value_int32(env, argv[0], &sig) == napi_ok ? slot_of(sig) : -1;
  if (i < 0 || napi_get_value_string_utf8(env, argv[1], NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "onFatalSignal(signo, line): signo is SIGFPE, SIGSEGV, SIGBUS or SIGILL");
    return NULL;
  }
  char* line = malloc(length + 1);
  if (!line) {
    napi_throw_error(env, NULL, "onFatalSignal: out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[1], line, length + 1, &length);
  // The old line stays allocated: a handler on another thread may be writing it right now.
  lines[i] = line;
  lengths[i] = length;
  if (!installed[i]) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, &previous[i]);
    installed[i] = 1;
  }
  return NULL;
}

/** crashForTest(signo): a real fault of that kind (tests of the report; nothing else calls it). */
napi_value crash_for_test(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t sig = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 1) napi_get_value_int32(env, argv[0], &sig);
  if (sig == SIGFPE) {
    volatile int zero = 0;
    volatile int quotient = 1 / zero;
    (void)quotient;
  } else if (sig == SIGSEGV) {
    *(volatile int*)NULL = 1;
  }
  raise(sig);
  return NULL;
}
