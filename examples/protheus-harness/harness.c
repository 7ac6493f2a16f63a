/*
 * Loads the library the way Protheus's SmartClient/AppServer does: dlopen
 * (LoadLibrary on Windows), look up ExecInClientDLL (GetProcAddress), and call it with an integer id, a JSON string and
 * a fixed-size output buffer (ADVPL: ExecInDLLOpen / ExecInDllRun). It walks
 * a first binding through the integer-handle table, without the header's
 * functions, exactly as ADVPL code can.
 *
 * Usage: harness LIBRARY_PATH PLATFORM_URL TOKEN
 *
 * ExecInClientDLL is cdecl on every platform, 32-bit Windows included (the
 * exec_fn type below has no __stdcall).
 */
#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ids, as an ADVPL #define file would spell them (smartlink.h has them
 * as SMARTLINK_EXEC_*; ADVPL cannot include a C header). */
enum {
  OPEN = 1, CLOSE = 2, CALL = 3, NEEDS_CONFIGURATION = 11, ENSURE_CONFIGURED = 12,
  SCREEN = 13, APPLY = 14, WAIT_TASK = 16, CREDENTIALS = 17, STATUS = 18, ACCESS_TOKEN = 25,
  WHOAMI = 27
};

typedef int (*exec_fn)(int id, char *in, char *out, int out_size);

#define OUT_SIZE 16384 /* a fixed buffer, as ADVPL's Space(16384) */

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "FAILED %s:%d: ", __FILE__, __LINE__);               \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

static exec_fn exec_in_client_dll;
static char out[OUT_SIZE];

static int run(int id, const char *in) {
  char input[4096];
  CHECK(strlen(in) < sizeof input, "input too long");
  strcpy(input, in); /* ADVPL passes a mutable char* */
  memset(out, ' ', sizeof out);
  out[sizeof out - 1] = '\0';
  return exec_in_client_dll(id, input, out, (int)sizeof out);
}

int main(int argc, char **argv) {
  CHECK(argc == 4, "usage: %s LIBRARY PLATFORM_URL TOKEN", argv[0]);
#ifdef _WIN32
  HMODULE lib = LoadLibraryA(argv[1]);
  CHECK(lib != NULL, "LoadLibrary(%s): error %lu", argv[1], (unsigned long)GetLastError());
  FARPROC proc = GetProcAddress(lib, "ExecInClientDLL");
  CHECK(proc != NULL, "GetProcAddress(ExecInClientDLL): error %lu", (unsigned long)GetLastError());
  /* FARPROC to a function pointer of the real type, without a cast warning. */
  memcpy(&exec_in_client_dll, &proc, sizeof exec_in_client_dll);
#else
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  CHECK(lib != NULL, "dlopen: %s", dlerror());
  /* POSIX allows converting the object pointer to a function pointer this way. */
  *(void **)(&exec_in_client_dll) = dlsym(lib, "ExecInClientDLL");
  CHECK(exec_in_client_dll != NULL, "dlsym: %s", dlerror());
#endif

  char req[4096];
  snprintf(req, sizeof req,
           "{\"platform_url\":\"%s\",\"token\":\"%s\",\"state\":\"memory\","
           "\"installation\":{\"id\":\"protheus-harness-01\",\"line\":\"protheus\","
           "\"kind\":\"production\",\"name\":\"Protheus Harness\"},\"locale\":\"pt-BR\"}",
           argv[2], argv[3]);
  int rc = run(OPEN, req);
  CHECK(rc == 0, "OPEN: %d %s", rc, out);
  long handle = 0;
  const char *p = strstr(out, "\"handle\":");
  CHECK(p != NULL && sscanf(p, "\"handle\":%ld", &handle) == 1, "handle in %s", out);
  printf("OPEN -> handle %ld\n", handle);

  /* The same configuration gives the same handle (one handle per
   * configuration); each OPEN counts, and each needs its CLOSE. */
  CHECK(run(OPEN, req) == 0 && strstr(out, "\"handle\":") != NULL, "OPEN again");
  long again = 0;
  sscanf(strstr(out, "\"handle\":"), "\"handle\":%ld", &again);
  CHECK(again == handle, "same configuration, same handle (%ld vs %ld)", again, handle);

  char h[64];
  snprintf(h, sizeof h, "{\"handle\":%ld}", handle);

  CHECK(run(NEEDS_CONFIGURATION, h) == 0 && strstr(out, "\"needs_configuration\":true"),
        "gate: %s", out);
  CHECK(run(ENSURE_CONFIGURED, h) == 0 && strstr(out, "admin_needed"), "ensure: %s", out);
  CHECK(run(SCREEN, h) == 0 && strstr(out, "\"screen\":\"welcome\"") &&
            strstr(out, "Iniciar"), "welcome (pt-BR): %s", out);
  printf("SCREEN -> welcome\n");

  /* An output buffer too small: code 7005, a short JSON with the size needed,
   * and the retry with a big buffer gets the kept response (not a second run). */
  {
    char input[128], tiny[120];
    snprintf(input, sizeof input, "{\"handle\":%ld,\"action\":{\"action\":\"start\"}}", handle);
    rc = exec_in_client_dll(APPLY, input, tiny, (int)sizeof tiny);
    CHECK(rc == 7005 && strstr(tiny, "\"needed\":"), "too small: %d %s", rc, tiny);
    printf("APPLY start with a %zu-byte buffer -> %d %s\n", sizeof tiny, rc, tiny);
    rc = run(APPLY, input);
    CHECK(rc == 0 && strstr(out, "\"screen\":\"name_installation\""), "retry: %d %s", rc, out);
  }

  snprintf(req, sizeof req,
           "{\"handle\":%ld,\"action\":{\"action\":\"set_name\",\"name\":\"Protheus Harness\"}}",
           handle);
  rc = run(APPLY, req);
  CHECK(rc == 0 && strstr(out, "choose_environment"), "set_name: %d %s", rc, out);
  printf("APPLY set_name -> choose_environment\n");

  snprintf(req, sizeof req,
           "{\"handle\":%ld,\"action\":{\"action\":\"select\",\"environment_id\":\"env_prd_nova\"}}",
           handle);
  rc = run(APPLY, req);
  CHECK(rc == 0 && strstr(out, "finishing"), "select: %d %s", rc, out);

  snprintf(req, sizeof req, "{\"handle\":%ld,\"timeout_ms\":30000}", handle);
  rc = run(WAIT_TASK, req);
  CHECK(rc == 0 && strstr(out, "\"status\":\"succeeded\""), "wait: %d %s", rc, out);
  printf("WAIT_TASK -> succeeded\n");

  CHECK(run(CREDENTIALS, h) == 0 && strstr(out, "\"client_secret\""), "credentials");
  printf("CREDENTIALS -> received (secret not printed)\n");

  /* The ERP's bearer token (id 25), an authenticated call with it (27). */
  CHECK(run(ACCESS_TOKEN, h) == 0 && strstr(out, "\"access_token\":\"") &&
            strstr(out, "\"expires_at\""),
        "access_token");
  printf("ACCESS_TOKEN -> received (not printed)\n");
  CHECK(run(WHOAMI, h) == 0 && strstr(out, "\"installation_id\":\"protheus-harness-01\""),
        "whoami: %s", out);
  printf("WHOAMI -> protheus-harness-01\n");

  /* The generic entry point. */
  snprintf(req, sizeof req, "{\"handle\":%ld,\"op\":\"status\"}", handle);
  CHECK(run(CALL, req) == 0 && strstr(out, "\"needs_configuration\":false"), "status: %s", out);

  /* Unknown id, NULL input. */
  CHECK(run(999, h) == 7007, "unknown id");
  CHECK(exec_in_client_dll(SCREEN, NULL, out, (int)sizeof out) == 7000, "NULL input");

  /* The second OPEN is still open after one CLOSE. */
  CHECK(run(CLOSE, h) == 0, "CLOSE: %s", out);
  CHECK(run(SCREEN, h) == 0, "after one CLOSE of two OPENs: %s", out);
  CHECK(run(CLOSE, h) == 0, "CLOSE: %s", out);
  /* The number is dead now: generation counters catch the use after close. */
  CHECK(run(SCREEN, h) == 7006 && strstr(out, "invalid_handle"), "stale handle: %s", out);
  printf("CLOSE; stale handle -> 7006\n");

#ifdef _WIN32
  FreeLibrary(lib);
#else
  dlclose(lib);
#endif
  printf("protheus harness done\n");
  return 0;
}
