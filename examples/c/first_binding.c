/*
 * A first binding through the C ABI, as an ERP written in C would do it:
 * login gate, transparent configuration, the wizard (drawn here as text),
 * the background task, and the credentials handed to the host.
 *
 * Usage: first_binding PLATFORM_URL TOKEN [STATE_FILE]
 * (the Rust test starts the sandbox and passes its URL). STATE_FILE may be
 * any path, C:\ERP\Produção\smartlink.json included: every argument is
 * escaped before it goes into the JSON configuration.
 *
 * With STATE_FILE, the walk ends with the host's own store: a second handle
 * of the same installation keeps its state in a store written here (in
 * memory, behind a lock), through smartlink_store_callbacks, sealed with a
 * key made at STATE_FILE.seal.key.
 *
 * Built with -Wall -Wextra -Wpedantic -Werror and run under Valgrind.
 */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* pthread mutexes and clock_gettime under -std=c11 */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <time.h>
#endif

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

static void print_last_error(void) {
  char small[8];
  size_t needed = 0;
  /* Undersized on purpose: the library reports the size and writes nothing. */
  smartlink_result rc = smartlink_last_error_message(small, sizeof small, &needed);
  if (rc == SMARTLINK_RESULT_BUFFER_TOO_SMALL) {
    char *buf = malloc(needed);
    CHECK(buf != NULL, "out of memory");
    rc = smartlink_last_error_message(buf, needed, &needed);
    CHECK(rc == SMARTLINK_RESULT_OK, "last error copy: %u", rc);
    printf("  last error (code %u, %s): %s\n", smartlink_last_error_code(),
           smartlink_result_message(smartlink_last_error_code()), buf);
    free(buf);
  } else {
    printf("  last error: %s\n", rc == SMARTLINK_RESULT_OK ? small : "?");
  }
}

/* Caller-buffer style: start small, grow to the size the library asks for.
 * Retrying the same request does not run the operation twice. */
static char *call_buffered(const smartlink_configurator *h, const char *request) {
  size_t len = 64, needed = 0;
  char *buf = malloc(len);
  CHECK(buf != NULL, "out of memory");
  smartlink_result rc = smartlink_call(h, request, buf, len, &needed);
  if (rc == SMARTLINK_RESULT_BUFFER_TOO_SMALL) {
    char *bigger = realloc(buf, needed);
    CHECK(bigger != NULL, "out of memory");
    buf = bigger;
    rc = smartlink_call(h, request, buf, needed, &needed);
  }
  CHECK(rc == SMARTLINK_RESULT_OK, "smartlink_call(%s): %u %s", request, rc,
        smartlink_result_message(rc));
  return buf; /* the caller frees with free() */
}

/* Library-allocated style: the caller frees with smartlink_string_free. */
static char *call_alloc(const smartlink_configurator *h, const char *request) {
  char *out = NULL;
  smartlink_result rc = smartlink_call_alloc(h, request, &out);
  CHECK(rc == SMARTLINK_RESULT_OK && out != NULL, "smartlink_call_alloc(%s): %u", request, rc);
  return out;
}

static int has(const char *json, const char *needle) { return strstr(json, needle) != NULL; }

/* Writes `s` into `out` as a JSON string body (without the quotes):
 * backslash, quote and control characters escaped, other bytes (UTF-8)
 * copied. Returns 0 when `out` is too small. */
static int json_escape(const char *s, char *out, size_t size) {
  size_t n = 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[7];
    size_t len;
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      len = 2;
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      len = 6;
    } else {
      esc[0] = (char)c;
      len = 1;
    }
    if (n + len >= size) return 0;
    memcpy(out + n, esc, len);
    n += len;
  }
  out[n] = '\0';
  return 1;
}

/* ---- The host's own store ------------------------------------------------
 * What a host with its own storage (a table of its database, a service)
 * writes: one record per installation and line, with the document (opaque,
 * sealed bytes), its version and the lease. Here one record in memory. The
 * callbacks are called from the library's threads, several at once: every
 * one takes the lock. They never call the library. */

#ifdef _WIN32
typedef CRITICAL_SECTION store_mutex;
static void mutex_init(store_mutex *m) { InitializeCriticalSection(m); }
static void mutex_lock(store_mutex *m) { EnterCriticalSection(m); }
static void mutex_unlock(store_mutex *m) { LeaveCriticalSection(m); }
static void mutex_destroy(store_mutex *m) { DeleteCriticalSection(m); }
/* The store's clock: a lease's expiry is the store's business, by its own
 * clock (here the store lives in this process, so this clock is its). */
static uint64_t store_now_ms(void) { return (uint64_t)GetTickCount64(); }
#else
typedef pthread_mutex_t store_mutex;
static void mutex_init(store_mutex *m) { pthread_mutex_init(m, NULL); }
static void mutex_lock(store_mutex *m) { pthread_mutex_lock(m); }
static void mutex_unlock(store_mutex *m) { pthread_mutex_unlock(m); }
static void mutex_destroy(store_mutex *m) { pthread_mutex_destroy(m); }
static uint64_t store_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
#endif

typedef struct {
  store_mutex lock;
  char key[256];             /* "installation/line" of the one record */
  unsigned char *document;   /* NULL: none */
  size_t document_len;
  uint64_t version;
  char holder[256];          /* "" when nobody holds the lease */
  uint64_t epoch;
  uint64_t expires_ms;       /* by store_now_ms() */
  int contexts_released;     /* release_ctx calls */
} my_store;

/* The record's key; refuses another installation than the first seen. */
static int my_record(my_store *s, const char *id, const char *line) {
  char key[256];
  int n = snprintf(key, sizeof key, "%s/%s", id, line);
  if (n < 0 || (size_t)n >= sizeof key) return 0;
  if (s->key[0] == '\0') memcpy(s->key, key, (size_t)n + 1);
  return strcmp(s->key, key) == 0;
}

static int lease_live(const my_store *s) {
  return s->holder[0] != '\0' && s->expires_ms > store_now_ms();
}

static int32_t my_load(void *ctx, const char *id, const char *line, uint8_t *document,
                       size_t capacity, size_t *document_len, uint64_t *version) {
  my_store *s = ctx;
  int32_t rc = SMARTLINK_STORE_OK;
  mutex_lock(&s->lock);
  if (!my_record(s, id, line)) {
    rc = SMARTLINK_STORE_UNREACHABLE;
  } else if (s->document_len > capacity) {
    *document_len = s->document_len; /* the library calls again with this size */
    rc = SMARTLINK_STORE_BUFFER_TOO_SMALL;
  } else {
    if (s->document_len > 0) memcpy(document, s->document, s->document_len);
    *document_len = s->document_len;
    *version = s->version;
  }
  mutex_unlock(&s->lock);
  return rc;
}

static int32_t my_compare_and_swap(void *ctx, const char *id, const char *line,
                                   uint64_t expected_version, const char *holder, uint64_t epoch,
                                   const uint8_t *document, size_t document_len,
                                   uint64_t *version) {
  my_store *s = ctx;
  int32_t rc = SMARTLINK_STORE_OK;
  mutex_lock(&s->lock);
  if (!my_record(s, id, line)) {
    rc = SMARTLINK_STORE_UNREACHABLE;
  } else if (!lease_live(s) || strcmp(s->holder, holder) != 0 || s->epoch != epoch) {
    rc = SMARTLINK_STORE_LEASE_LOST;
  } else if (s->version != expected_version) {
    *version = s->version;
    rc = SMARTLINK_STORE_CONFLICT;
  } else {
    unsigned char *copy = NULL;
    if (document_len > 0) { /* the bytes are borrowed: copy them */
      copy = malloc(document_len);
      if (copy == NULL) {
        mutex_unlock(&s->lock);
        return SMARTLINK_STORE_UNREACHABLE;
      }
      memcpy(copy, document, document_len);
    }
    free(s->document);
    s->document = copy;
    s->document_len = document_len;
    s->version += 1;
    *version = s->version;
  }
  mutex_unlock(&s->lock);
  return rc;
}

static int32_t my_acquire_lease(void *ctx, const char *id, const char *line, const char *holder,
                                uint64_t ttl_ms, uint64_t *epoch, uint64_t *version) {
  my_store *s = ctx;
  int32_t rc = SMARTLINK_STORE_OK;
  mutex_lock(&s->lock);
  if (!my_record(s, id, line) || strlen(holder) >= sizeof s->holder) {
    rc = SMARTLINK_STORE_UNREACHABLE;
  } else if (lease_live(s)) {
    rc = SMARTLINK_STORE_LEASE_HELD; /* even for the same holder string */
  } else {
    strcpy(s->holder, holder);
    s->epoch += 1;
    s->expires_ms = store_now_ms() + ttl_ms;
    *epoch = s->epoch;
    *version = s->version;
  }
  mutex_unlock(&s->lock);
  return rc;
}

static int32_t my_renew_lease(void *ctx, const char *id, const char *line, const char *holder,
                              uint64_t epoch, uint64_t ttl_ms) {
  my_store *s = ctx;
  int32_t rc = SMARTLINK_STORE_OK;
  mutex_lock(&s->lock);
  if (!my_record(s, id, line)) {
    rc = SMARTLINK_STORE_UNREACHABLE;
  } else if (!lease_live(s) || strcmp(s->holder, holder) != 0 || s->epoch != epoch) {
    rc = SMARTLINK_STORE_LEASE_LOST;
  } else {
    s->expires_ms = store_now_ms() + ttl_ms;
  }
  mutex_unlock(&s->lock);
  return rc;
}

static int32_t my_release_lease(void *ctx, const char *id, const char *line, const char *holder,
                                uint64_t epoch) {
  my_store *s = ctx;
  mutex_lock(&s->lock);
  if (my_record(s, id, line) && strcmp(s->holder, holder) == 0 && s->epoch == epoch) {
    s->holder[0] = '\0'; /* the epoch stays: the next holder gets epoch + 1 */
    s->expires_ms = 0;
  }
  mutex_unlock(&s->lock);
  return SMARTLINK_STORE_OK;
}

/* Called once, when the handle is freed: the library is done with ctx. */
static void my_release_ctx(void *ctx) {
  my_store *s = ctx;
  mutex_lock(&s->lock);
  s->contexts_released += 1;
  mutex_unlock(&s->lock);
}

/* Whether `needle` occurs in the `len` bytes at `bytes`. */
static int bytes_contain(const unsigned char *bytes, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; n > 0 && i + n <= len; i++)
    if (memcmp(bytes + i, needle, n) == 0) return 1;
  return 0;
}

/* The value of "client_secret" in a credentials response (copied into out). */
static int secret_in(const char *json, char *out, size_t size) {
  const char *p = strstr(json, "\"client_secret\":\"");
  if (p == NULL) return 0;
  p += strlen("\"client_secret\":\"");
  const char *end = strchr(p, '"');
  if (end == NULL || (size_t)(end - p) >= size) return 0;
  memcpy(out, p, (size_t)(end - p));
  out[end - p] = '\0';
  return 1;
}

/* The same installation, its state in the store above: the platform binds
 * it already, so ensure_configured repairs the configuration silently. */
static void run_with_own_store(const char *url, const char *platform_token,
                               const char *state_path) {
  char key_path[1100], key_json[2300];
  int n = snprintf(key_path, sizeof key_path, "%s.seal.key", state_path);
  CHECK(n > 0 && (size_t)n < sizeof key_path, "key path too long");
  /* 32 random bytes, owner-only from the start; never replaces a file. */
  smartlink_result rc = smartlink_seal_key_create(key_path);
  CHECK(rc == SMARTLINK_RESULT_OK, "seal key: %u", rc);
  CHECK(json_escape(key_path, key_json, sizeof key_json), "key path too long");

  my_store store;
  memset(&store, 0, sizeof store);
  mutex_init(&store.lock);
  smartlink_store_callbacks callbacks;
  memset(&callbacks, 0, sizeof callbacks);
  callbacks.struct_size = (uint32_t)sizeof callbacks;
  callbacks.version = SMARTLINK_STORE_CALLBACKS_VERSION;
  callbacks.ctx = &store;
  callbacks.load = my_load;
  callbacks.compare_and_swap = my_compare_and_swap;
  callbacks.acquire_lease = my_acquire_lease;
  callbacks.renew_lease = my_renew_lease;
  callbacks.release_lease = my_release_lease;
  callbacks.release_ctx = my_release_ctx;

  char config[4096];
  n = snprintf(config, sizeof config,
               "{\"platform_url\":\"%s\",\"token\":\"%s\","
               "\"state\":{\"kind\":\"callbacks\",\"seal_key_file\":\"%s\"},"
               "\"installation\":{\"id\":\"c-example-prd-01\",\"line\":\"protheus\","
               "\"kind\":\"production\"},\"locale\":\"en\",\"deadline_ms\":30000}",
               url, platform_token, key_json);
  CHECK(n > 0 && (size_t)n < sizeof config, "config too long");
  smartlink_configurator *h = NULL;
  rc = smartlink_configurator_new_with_store(config, &callbacks, &h);
  CHECK(rc == SMARTLINK_RESULT_OK && h != NULL, "configurator_new_with_store: %u", rc);

  bool needed = false;
  CHECK(smartlink_needs_configuration(h, &needed) == SMARTLINK_RESULT_OK && needed,
        "an empty store needs configuration");
  smartlink_outcome outcome = -1;
  rc = smartlink_ensure_configured(h, &outcome);
  CHECK(rc == SMARTLINK_RESULT_OK && outcome == SMARTLINK_OUTCOME_CONFIGURED,
        "ensure_configured with the own store: %u, outcome %d", rc, outcome);
  CHECK(smartlink_needs_configuration(h, &needed) == SMARTLINK_RESULT_OK && !needed,
        "configured in the own store");

  /* The store holds the state sealed: never the secret in clear. */
  char *r = call_alloc(h, "{\"op\":\"credentials\"}");
  char secret[512];
  CHECK(secret_in(r, secret, sizeof secret), "credentials: (redacted)");
  smartlink_string_free(r);
  mutex_lock(&store.lock);
  CHECK(store.document != NULL && store.version >= 1, "a document was stored");
  CHECK(bytes_contain(store.document, store.document_len, "\"sealed\""), "sealed");
  CHECK(!bytes_contain(store.document, store.document_len, secret), "the secret in clear");
  CHECK(store.holder[0] == '\0', "the lease was released after the work");
  uint64_t version = store.version;
  mutex_unlock(&store.lock);
  printf("own store: configured (version %llu)\n", (unsigned long long)version);
  memset(secret, 0, sizeof secret);
  printf("own store: the secret is sealed in it\n");

  r = call_alloc(h, "{\"op\":\"status\"}");
  CHECK(has(r, "\"kind\":\"custom\"") && has(r, "\"needs_configuration\":false"), "status: %s", r);
  smartlink_string_free(r);

  smartlink_configurator_free(h); /* calls release_ctx once */
  CHECK(store.contexts_released == 1, "release_ctx called %d times", store.contexts_released);
  free(store.document);
  mutex_destroy(&store.lock);
  printf("own store done\n");
}

#ifdef _WIN32
/* Windows hands main() its arguments in the ANSI code page; the library takes
 * UTF-8. Read the UTF-16 command line instead (the strings are kept until exit). */
static char **utf8_argv(int *argc) {
  LPWSTR *wide = CommandLineToArgvW(GetCommandLineW(), argc);
  CHECK(wide != NULL, "CommandLineToArgvW: error %lu", (unsigned long)GetLastError());
  char **args = calloc((size_t)*argc + 1, sizeof *args);
  CHECK(args != NULL, "out of memory");
  for (int i = 0; i < *argc; i++) {
    int len = WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, NULL, 0, NULL, NULL);
    CHECK(len > 0, "argument %d is not valid UTF-16", i);
    args[i] = malloc((size_t)len);
    CHECK(args[i] != NULL, "out of memory");
    WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, args[i], len, NULL, NULL);
  }
  LocalFree(wide);
  return args;
}
#endif

int main(int argc, char **argv) {
#ifdef _WIN32
  argv = utf8_argv(&argc);
#endif
  CHECK(argc == 3 || argc == 4, "usage: %s PLATFORM_URL TOKEN [STATE_FILE]", argv[0]);
  CHECK(strcmp(smartlink_version(), SMARTLINK_VERSION) == 0, "header %s, library %s",
        SMARTLINK_VERSION, smartlink_version());
  printf("smartlink %s\n", smartlink_version());

  /* NULL and bad input are errors, never crashes. */
  smartlink_configurator *h = NULL;
  CHECK(smartlink_configurator_new(NULL, &h) == SMARTLINK_RESULT_NULL_ARGUMENT, "NULL config");
  CHECK(smartlink_configurator_new("{\"platform_url\":\"http://127.0.0.1:1\",\"token\":\"t\","
                                   "\"state\":\"memory\",\"installation\":{\"id\":\"\","
                                   "\"line\":\"protheus\",\"kind\":\"production\"}}",
                                   &h) == SMARTLINK_RESULT_INVALID_INSTALLATION,
        "invalid installation");
  CHECK(h == NULL, "no output on failure");
  print_last_error();

  /* The state goes to a file (0600, or an owner-only DACL on Windows; written
   * atomically) when a path is given.
   * Arguments are escaped: a Windows path is full of backslashes. */
  char url[512], platform_token[512], path[1024];
  CHECK(json_escape(argv[1], url, sizeof url) &&
            json_escape(argv[2], platform_token, sizeof platform_token),
        "URL or token too long");
  char state_json[1100];
  int s;
  if (argc == 4) {
    CHECK(json_escape(argv[3], path, sizeof path), "state path too long");
    s = snprintf(state_json, sizeof state_json, "\"state_file\":\"%s\"", path);
  } else {
    s = snprintf(state_json, sizeof state_json, "\"state\":\"memory\"");
  }
  CHECK(s > 0 && (size_t)s < sizeof state_json, "state path too long");
  char config[3072];
  int n = snprintf(config, sizeof config,
                   "{\"platform_url\":\"%s\",\"token\":\"%s\",%s,"
                   "\"installation\":{\"id\":\"c-example-prd-01\",\"line\":\"protheus\","
                   "\"kind\":\"production\"},\"locale\":\"en\",\"deadline_ms\":30000}",
                   url, platform_token, state_json);
  CHECK(n > 0 && (size_t)n < sizeof config, "config too long");
  smartlink_result rc = smartlink_configurator_new(config, &h);
  CHECK(rc == SMARTLINK_RESULT_OK && h != NULL, "configurator_new: %u", rc);

  /* 1. The login gate: local only. */
  bool needed = false;
  CHECK(smartlink_needs_configuration(h, &needed) == SMARTLINK_RESULT_OK, "gate");
  CHECK(needed, "a new installation needs configuration");
  printf("login gate: configuration needed\n");

  /* 2. The transparent configuration: nothing is bound, so an admin is needed. */
  smartlink_outcome outcome = -1;
  rc = smartlink_ensure_configured(h, &outcome);
  CHECK(rc == SMARTLINK_RESULT_OK, "ensure_configured: %u", rc);
  CHECK(outcome == SMARTLINK_OUTCOME_ADMIN_NEEDED, "outcome %d", outcome);
  printf("ensure_configured: admin needed\n");

  /* 3. The wizard. */
  char *r = call_buffered(h, "{\"op\":\"screen\"}");
  CHECK(has(r, "\"screen\":\"welcome\"") && has(r, "\"start\":\"Start\""), "welcome: %s", r);
  printf("screen: welcome\n");
  free(r);

  r = call_alloc(h, "{\"op\":\"apply\",\"action\":{\"action\":\"start\"}}");
  CHECK(has(r, "\"screen\":\"name_installation\""), "name screen: %s", r);
  smartlink_string_free(r);

  /* A refused action: ok:false with the screen and a localized text. */
  r = call_alloc(h, "{\"op\":\"apply\",\"action\":{\"action\":\"set_name\",\"name\":\"  \"}}");
  CHECK(has(r, "\"ok\":false") && has(r, "\"wizard_refused\""), "empty name refused: %s", r);
  smartlink_string_free(r);
  print_last_error();

  r = call_buffered(h, "{\"op\":\"apply\",\"action\":{\"action\":\"set_name\",\"name\":\"ERP em C\"}}");
  /* The demo platform holds an older Protheus installation in "Produção Matriz":
   * the replacement scenario, where env_prd_nova is still free to select. */
  CHECK(has(r, "\"screen\":\"choose_environment\"") && has(r, "\"scenario\":\"replacement\""), "choose: %s", r);
  CHECK(has(r, "env_prd_nova"), "lists env_prd_nova: %s", r);
  printf("screen: choose_environment (replacement scenario)\n");
  free(r);

  r = call_alloc(h, "{\"op\":\"apply\",\"action\":{\"action\":\"select\",\"environment_id\":\"env_prd_nova\"}}");
  CHECK(has(r, "\"ok\":true"), "select: %s", r);
  smartlink_string_free(r);

  /* 4. The background task. */
  smartlink_task_state state = -1;
  CHECK(smartlink_task_status(h, &state) == SMARTLINK_RESULT_OK, "task_status");
  rc = smartlink_wait_task(h, 30000, &state);
  CHECK(rc == SMARTLINK_RESULT_OK, "wait_task: %u", rc);
  CHECK(state == SMARTLINK_TASK_STATE_SUCCEEDED, "task state %d", state);
  printf("task: succeeded\n");

  r = call_alloc(h, "{\"op\":\"screen\"}");
  CHECK(has(r, "\"screen\":\"done\""), "done: %s", r);
  smartlink_string_free(r);

  CHECK(smartlink_needs_configuration(h, &needed) == SMARTLINK_RESULT_OK && !needed, "configured");

  /* 5. The credentials: the one output with the secret, for the host to store. */
  r = call_alloc(h, "{\"op\":\"credentials\"}");
  CHECK(has(r, "\"client_secret\"") && has(r, "env_prd_nova"), "credentials: (redacted)");
  printf("credentials: received (secret not printed)\n");
  smartlink_string_free(r);

  r = call_buffered(h, "{\"op\":\"status\"}");
  CHECK(has(r, "\"needs_configuration\":false") && !has(r, "client_secret"), "status: %s", r);
  free(r);

  CHECK(smartlink_ensure_configured(h, &outcome) == SMARTLINK_RESULT_OK &&
            outcome == SMARTLINK_OUTCOME_ALREADY_CONFIGURED,
        "already configured");

  /* 6. The runtime half: a bearer token for the ERP's own requests, from the
   * cache every thread shares. Size it first, then copy it; never print it. */
  size_t token_needed = 0;
  int64_t expires_at = 0;
  rc = smartlink_access_token(h, NULL, 0, &token_needed, NULL);
  CHECK(rc == SMARTLINK_RESULT_BUFFER_TOO_SMALL && token_needed > 1, "token size: %u", rc);
  char *token = malloc(token_needed);
  CHECK(token != NULL, "out of memory");
  rc = smartlink_access_token(h, token, token_needed, &token_needed, &expires_at);
  CHECK(rc == SMARTLINK_RESULT_OK && strlen(token) + 1 == token_needed && expires_at > 0,
        "access token: %u", rc);
  printf("access token: received (not printed)\n");
  /* After the platform answers 401 invalid_token to it: drop it, ask again. */
  bool dropped = false;
  CHECK(smartlink_invalidate_token(h, token, &dropped) == SMARTLINK_RESULT_OK && dropped,
        "invalidate");
  char *fresh = NULL;
  CHECK(smartlink_access_token_alloc(h, &fresh, NULL) == SMARTLINK_RESULT_OK && fresh != NULL,
        "new token");
  CHECK(strcmp(fresh, token) != 0, "a new token after the invalidation");
  smartlink_string_free(fresh);
  free(token);
  r = call_alloc(h, "{\"op\":\"whoami\"}");
  CHECK(has(r, "\"installation_id\":\"c-example-prd-01\""), "whoami: %s", r);
  printf("whoami: c-example-prd-01\n");
  smartlink_string_free(r);

  smartlink_configurator_free(h);
  smartlink_configurator_free(NULL); /* no-op */

  /* 7. The same installation, its state in the host's own store. */
  if (argc == 4) run_with_own_store(url, platform_token, argv[3]);
  printf("first binding done\n");
  return 0;
}
