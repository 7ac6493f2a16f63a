/*
 * Stress of the C ABI, meant to run under Valgrind
 * (--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99):
 *
 *   1. every error path once: NULL arguments, invalid UTF-8, bad JSON, bad
 *      configuration, invalid installation, undersized buffers, unknown
 *      operation, stale and made-up ExecInClientDLL handles, cancel (idle
 *      and of a call in flight), the NULL no-ops;
 *   2. CYCLES create/step/free cycles: a handle with in-memory state, the
 *      login gate, `screen`, `apply start` (caller's buffer, first too
 *      small), `needs_configuration`, a bad request and an unknown op on the
 *      handle, an undersized last-error copy, free;
 *   3. the error paths once more (nothing leaked by a long-lived process).
 *
 * Usage: stress_cycles CYCLES BLACKHOLE_URL
 * BLACKHOLE_URL accepts connections and never answers (the Rust test runs
 * one), so a blocking call stays in flight until cancelled.
 *
 * Built with -Wall -Wextra -Wpedantic -Werror.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smartlink.h"

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "FAILED %s:%d: ", __FILE__, __LINE__);               \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

#define EXPECT_RC(call, want)                                              \
  do {                                                                     \
    unsigned got_ = (unsigned)(call);                                      \
    CHECK(got_ == (unsigned)(want), "%s: got %u, want %u", #call, got_,   \
          (unsigned)(want));                                               \
  } while (0)

static const char *CYCLE_CONFIG =
    "{\"platform_url\":\"http://127.0.0.1:9\",\"token\":\"stress-token\","
    "\"state\":\"memory\",\"installation\":{\"id\":\"stress-prd-01\","
    "\"line\":\"protheus\",\"kind\":\"production\"},\"locale\":\"en\"}";

static int has(const char *json, const char *needle) { return strstr(json, needle) != NULL; }

static smartlink_configurator *new_handle(const char *config) {
  smartlink_configurator *h = NULL;
  smartlink_result rc = smartlink_configurator_new(config, &h);
  CHECK(rc == SMARTLINK_RESULT_OK && h != NULL, "configurator_new: %u", rc);
  return h;
}

/* smartlink_call_alloc that must succeed at the call level; returns the
 * response for the caller to check and free with smartlink_string_free. */
static char *call_alloc(const smartlink_configurator *h, const char *request) {
  char *out = NULL;
  smartlink_result rc = smartlink_call_alloc(h, request, &out);
  CHECK(rc == SMARTLINK_RESULT_OK && out != NULL, "call_alloc(%s): %u", request, rc);
  return out;
}

/* ExecInClientDLL into a fixed buffer. */
static int exec_dll(int id, const char *input, char *out, int out_size) {
  size_t len = strlen(input);
  char *copy = malloc(len + 1);
  CHECK(copy != NULL, "out of memory");
  memcpy(copy, input, len + 1);
  int rc = ExecInClientDLL(id, copy, out, out_size);
  free(copy);
  return rc;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

struct blocked_call {
  smartlink_configurator *h;
  smartlink_result rc;
  int32_t outcome;
};

static void *ensure_configured_thread(void *arg) {
  struct blocked_call *c = arg;
  c->rc = smartlink_ensure_configured(c->h, &c->outcome);
  return NULL;
}

static void error_paths(const char *blackhole_url) {
  smartlink_configurator *h = NULL;
  char buf[256];
  size_t needed = 0;
  bool flag = false;
  int32_t i32 = -1;
  char *s = NULL;

  /* configurator_new: NULL, invalid UTF-8, bad JSON, bad config, bad installation. */
  EXPECT_RC(smartlink_configurator_new(NULL, &h), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_configurator_new(CYCLE_CONFIG, NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_configurator_new("{\"platform_url\":\"\xff\xfe\"}", &h),
            SMARTLINK_RESULT_INVALID_UTF8);
  EXPECT_RC(smartlink_configurator_new("{not json", &h), SMARTLINK_RESULT_INVALID_JSON);
  EXPECT_RC(smartlink_configurator_new("", &h), SMARTLINK_RESULT_INVALID_JSON);
  EXPECT_RC(smartlink_configurator_new("{\"token\":\"t\",\"state\":\"memory\","
                                       "\"installation\":{\"id\":\"x\",\"line\":\"rm\","
                                       "\"kind\":\"custom\"}}",
                                       &h),
            SMARTLINK_RESULT_INVALID_CONFIG); /* no URL */
  EXPECT_RC(smartlink_configurator_new("{\"platform_url\":\"http://example.com\",\"token\":\"t\","
                                       "\"state\":\"memory\",\"installation\":{\"id\":\"x\","
                                       "\"line\":\"rm\",\"kind\":\"custom\"}}",
                                       &h),
            SMARTLINK_RESULT_INVALID_CONFIG); /* http to a remote host */
  EXPECT_RC(smartlink_configurator_new("{\"platform_url\":\"http://127.0.0.1:9\",\"token\":\"t\","
                                       "\"state\":\"memory\",\"bogus\":1,\"installation\":{"
                                       "\"id\":\"x\",\"line\":\"rm\",\"kind\":\"custom\"}}",
                                       &h),
            SMARTLINK_RESULT_INVALID_CONFIG); /* unknown field */
  EXPECT_RC(smartlink_configurator_new("{\"platform_url\":\"http://127.0.0.1:9\",\"token\":\"t\","
                                       "\"state\":\"memory\",\"installation\":{\"id\":\"x\","
                                       "\"line\":\"cobol\",\"kind\":\"custom\"}}",
                                       &h),
            SMARTLINK_RESULT_INVALID_INSTALLATION);
  CHECK(h == NULL, "no handle on failure");

  /* The last error: size query, undersized copy, sized copy, allocated copy. */
  EXPECT_RC(smartlink_last_error_message(NULL, 0, &needed), SMARTLINK_RESULT_BUFFER_TOO_SMALL);
  CHECK(needed > 1, "the last error has a detail");
  memset(buf, '#', sizeof buf);
  EXPECT_RC(smartlink_last_error_message(buf, 1, &needed), SMARTLINK_RESULT_BUFFER_TOO_SMALL);
  CHECK(buf[0] == '#', "nothing written into an undersized buffer");
  EXPECT_RC(smartlink_last_error_message(buf, sizeof buf, NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_last_error_message_alloc(NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_last_error_message_alloc(&s), SMARTLINK_RESULT_OK);
  CHECK(s != NULL && strlen(s) + 1 == needed, "allocated copy");
  smartlink_string_free(s);
  s = NULL;

  h = new_handle(CYCLE_CONFIG);

  /* NULL arguments everywhere. */
  EXPECT_RC(smartlink_call(NULL, "{\"op\":\"screen\"}", buf, sizeof buf, &needed),
            SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_call(h, NULL, buf, sizeof buf, &needed), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_call(h, "{\"op\":\"screen\"}", buf, sizeof buf, NULL),
            SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_call(h, "{\"op\":\"screen\"}", NULL, 16, &needed),
            SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_call_alloc(NULL, "{\"op\":\"screen\"}", &s), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_call_alloc(h, NULL, &s), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_call_alloc(h, "{\"op\":\"screen\"}", NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  CHECK(s == NULL, "no output on failure");
  EXPECT_RC(smartlink_needs_configuration(NULL, &flag), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_needs_configuration(h, NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_ensure_configured(NULL, &i32), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_ensure_configured(h, NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_task_status(NULL, &i32), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_task_status(h, NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_wait_task(NULL, 1, &i32), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_wait_task(h, 1, NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  EXPECT_RC(smartlink_cancel(NULL), SMARTLINK_RESULT_NULL_ARGUMENT);
  CHECK(i32 == -1, "outputs untouched on failure");

  /* Invalid UTF-8 and bad JSON requests; an unknown op; wrong fields. */
  EXPECT_RC(smartlink_call_alloc(h, "{\"op\":\"\xc3\x28\"}", &s), SMARTLINK_RESULT_INVALID_UTF8);
  CHECK(s == NULL, "no output on failure");
  s = call_alloc(h, "{\"op\":");
  CHECK(has(s, "\"ok\":false") && has(s, "\"result\":7002"), "bad JSON request: %s", s);
  smartlink_string_free(s);
  CHECK(smartlink_last_error_code() == SMARTLINK_RESULT_INVALID_JSON, "last error %u",
        smartlink_last_error_code());
  s = call_alloc(h, "{\"op\":\"no_such_op\"}");
  CHECK(has(s, "\"ok\":false") && has(s, "\"result\":7007"), "unknown op: %s", s);
  smartlink_string_free(s);
  s = call_alloc(h, "{\"op\":\"apply\",\"action\":{\"action\":\"fly\"}}");
  CHECK(has(s, "\"ok\":false") && has(s, "\"result\":7008"), "bad action: %s", s);
  smartlink_string_free(s);

  /* Undersized buffers: nothing written, size reported, the retry delivers. */
  memset(buf, '#', sizeof buf);
  EXPECT_RC(smartlink_call(h, "{\"op\":\"screen\"}", buf, 8, &needed),
            SMARTLINK_RESULT_BUFFER_TOO_SMALL);
  CHECK(buf[0] == '#' && needed > 8, "nothing written, %zu needed", needed);
  EXPECT_RC(smartlink_call(h, "{\"op\":\"screen\"}", NULL, 0, &needed),
            SMARTLINK_RESULT_BUFFER_TOO_SMALL);
  char *big = malloc(needed);
  CHECK(big != NULL, "out of memory");
  EXPECT_RC(smartlink_call(h, "{\"op\":\"screen\"}", big, needed, &needed), SMARTLINK_RESULT_OK);
  CHECK(has(big, "\"screen\":\"welcome\""), "screen: %s", big);
  free(big);
  /* An undelivered response left behind (never collected) must not leak. */
  EXPECT_RC(smartlink_call(h, "{\"op\":\"status\"}", buf, 4, &needed),
            SMARTLINK_RESULT_BUFFER_TOO_SMALL);

  /* Cancel when idle, then a call still works. */
  EXPECT_RC(smartlink_cancel(h), SMARTLINK_RESULT_OK);
  s = call_alloc(h, "{\"op\":\"cancel\"}");
  CHECK(has(s, "\"ok\":true"), "cancel op: %s", s);
  smartlink_string_free(s);
  EXPECT_RC(smartlink_needs_configuration(h, &flag), SMARTLINK_RESULT_OK);
  CHECK(flag, "needs configuration");
  smartlink_configurator_free(h);

  /* Cancel a call in flight against a server that never answers, and a
   * deadline ending one. */
  char config[1024];
  int n = snprintf(config, sizeof config,
                   "{\"platform_url\":\"%s\",\"token\":\"stress-token\",\"state\":\"memory\","
                   "\"installation\":{\"id\":\"stress-cancel\",\"line\":\"rm\","
                   "\"kind\":\"custom\"},\"deadline_ms\":60000}",
                   blackhole_url);
  CHECK(n > 0 && (size_t)n < sizeof config, "config too long");
  h = new_handle(config);
  s = call_alloc(h, "{\"op\":\"ensure_configured\",\"deadline_ms\":200}");
  CHECK(has(s, "\"result\":7010"), "deadline: %s", s);
  smartlink_string_free(s);
  struct blocked_call c = {h, SMARTLINK_RESULT_OK, -1};
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, ensure_configured_thread, &c) == 0, "pthread_create");
  sleep_ms(300);
  EXPECT_RC(smartlink_cancel(h), SMARTLINK_RESULT_OK);
  CHECK(pthread_join(thread, NULL) == 0, "pthread_join");
  CHECK(c.rc == SMARTLINK_RESULT_CANCELLED, "in-flight call: %u", c.rc);
  CHECK(c.outcome == -1, "no outcome when cancelled");
  /* Freed while a blocked call's connection is still held by the server. */
  smartlink_configurator_free(h);

  /* ExecInClientDLL: open, call, undersized, close, stale, made-up, unknown id. */
  char out[4096];
  int rc = exec_dll(SMARTLINK_EXEC_OPEN, CYCLE_CONFIG, out, sizeof out);
  CHECK(rc == 0 && has(out, "\"handle\":"), "open: %d %s", rc, out);
  long number = strtol(strstr(out, "\"handle\":") + 9, NULL, 10);
  char input[128];
  snprintf(input, sizeof input, "{\"handle\":%ld}", number);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, input, out, sizeof out);
  CHECK(rc == 0 && has(out, "\"welcome\""), "screen: %d %s", rc, out);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, input, out, 40);
  CHECK(rc == SMARTLINK_RESULT_BUFFER_TOO_SMALL, "undersized exec: %d", rc);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, input, out, 0);
  CHECK(rc == SMARTLINK_RESULT_BUFFER_TOO_SMALL, "zero-sized exec: %d", rc);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, input, out, sizeof out);
  CHECK(rc == 0 && has(out, "\"welcome\""), "screen after too small: %d %s", rc, out);
  rc = exec_dll(SMARTLINK_EXEC_CLOSE, input, out, sizeof out);
  CHECK(rc == 0, "close: %d %s", rc, out);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, input, out, sizeof out);
  CHECK(rc == SMARTLINK_RESULT_INVALID_HANDLE, "stale handle: %d %s", rc, out);
  rc = exec_dll(SMARTLINK_EXEC_CLOSE, input, out, sizeof out);
  CHECK(rc == SMARTLINK_RESULT_INVALID_HANDLE, "closed twice: %d %s", rc, out);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, "{\"handle\":987654321}", out, sizeof out);
  CHECK(rc == SMARTLINK_RESULT_INVALID_HANDLE, "made-up handle: %d %s", rc, out);
  rc = exec_dll(999, input, out, sizeof out);
  CHECK(rc == SMARTLINK_RESULT_UNKNOWN_OPERATION, "unknown id: %d %s", rc, out);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, "{\"handle\":", out, sizeof out);
  CHECK(rc == SMARTLINK_RESULT_INVALID_JSON, "bad JSON input: %d %s", rc, out);
  rc = exec_dll(SMARTLINK_EXEC_OPEN, "{\"platform_url\":1}", out, sizeof out);
  CHECK(rc == SMARTLINK_RESULT_INVALID_CONFIG || rc == SMARTLINK_RESULT_INVALID_JSON,
        "bad config: %d %s", rc, out);
  rc = ExecInClientDLL(SMARTLINK_EXEC_SCREEN, NULL, out, sizeof out);
  CHECK(rc == SMARTLINK_RESULT_NULL_ARGUMENT, "NULL input: %d", rc);
  rc = exec_dll(SMARTLINK_EXEC_SCREEN, input, NULL, 16);
  CHECK(rc == SMARTLINK_RESULT_NULL_ARGUMENT, "NULL out: %d", rc);

  /* The no-ops. */
  smartlink_string_free(NULL);
  smartlink_configurator_free(NULL);
  CHECK(smartlink_version() != NULL && smartlink_result_message(123456) != NULL, "statics");
}

static void one_cycle(unsigned long i) {
  smartlink_configurator *h = new_handle(CYCLE_CONFIG);
  bool needed = false;
  EXPECT_RC(smartlink_needs_configuration(h, &needed), SMARTLINK_RESULT_OK);
  CHECK(needed, "cycle %lu: needs configuration", i);

  char *s = call_alloc(h, "{\"op\":\"screen\"}");
  CHECK(has(s, "\"screen\":\"welcome\""), "cycle %lu: screen %s", i, s);
  smartlink_string_free(s);

  /* Caller's buffer, first too small: the kept response is delivered. */
  const char *start = "{\"op\":\"apply\",\"action\":{\"action\":\"start\"}}";
  char small[16];
  size_t len = 0;
  EXPECT_RC(smartlink_call(h, start, small, sizeof small, &len),
            SMARTLINK_RESULT_BUFFER_TOO_SMALL);
  char *buf = malloc(len);
  CHECK(buf != NULL, "out of memory");
  EXPECT_RC(smartlink_call(h, start, buf, len, &len), SMARTLINK_RESULT_OK);
  CHECK(has(buf, "\"screen\":\"name_installation\""), "cycle %lu: start %s", i, buf);
  free(buf);

  s = call_alloc(h, "{\"op\":\"needs_configuration\"}");
  CHECK(has(s, "\"needs_configuration\":true"), "cycle %lu: gate %s", i, s);
  smartlink_string_free(s);

  /* Failures on the handle: ok:false responses and the last error. */
  s = call_alloc(h, "{\"op\":\"nope\"}");
  CHECK(has(s, "\"result\":7007"), "cycle %lu: unknown op %s", i, s);
  smartlink_string_free(s);
  s = call_alloc(h, "[1,");
  CHECK(has(s, "\"result\":7002"), "cycle %lu: bad JSON %s", i, s);
  smartlink_string_free(s);
  char tiny[2];
  EXPECT_RC(smartlink_last_error_message(tiny, sizeof tiny, &len),
            SMARTLINK_RESULT_BUFFER_TOO_SMALL);
  EXPECT_RC(smartlink_last_error_message_alloc(&s), SMARTLINK_RESULT_OK);
  smartlink_string_free(s);

  smartlink_configurator_free(h);
}

int main(int argc, char **argv) {
  CHECK(argc == 3, "usage: %s CYCLES BLACKHOLE_URL", argv[0]);
  unsigned long cycles = strtoul(argv[1], NULL, 10);
  CHECK(cycles > 0, "CYCLES must be positive");

  error_paths(argv[2]);
  printf("error paths: ok\n");
  fflush(stdout);
  for (unsigned long i = 0; i < cycles; i++) {
    one_cycle(i);
    if ((i + 1) % 1000 == 0) {
      printf("cycles: %lu\n", i + 1);
      fflush(stdout);
    }
  }
  error_paths(argv[2]);
  printf("stress cycles done: %lu\n", cycles);
  return 0;
}
