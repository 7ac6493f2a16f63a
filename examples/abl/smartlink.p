/*
 * SmartLink Configurator from Datasul (Progress OpenEdge ABL), through the
 * C API with PROCEDURE ... EXTERNAL and MEMPTR buffers.
 *
 * NOT RUN HERE: this repository's CI has no OpenEdge runtime. The same calls
 * are made, in the same order, by examples/c/first_binding.c (run under
 * Valgrind by the tests).
 *
 * ABL has no OUTPUT CHARACTER for C strings and cannot free library memory,
 * so every string comes back in a MEMPTR that ABL sized itself
 * (smartlink_call, never smartlink_call_alloc): ask for the size with a
 * 0-length buffer, allocate, call again (the library keeps the response, so
 * the second call does not run the operation twice).
 *
 * 64-bit OpenEdge: pointers are INT64, size_t is INT64, int32_t is LONG.
 */

&SCOPED-DEFINE SMARTLINK_LIB "libsmartlink.so"  /* smartlink.dll on Windows */
&SCOPED-DEFINE SMARTLINK_OK 0
&SCOPED-DEFINE SMARTLINK_BUFFER_TOO_SMALL 7005
&SCOPED-DEFINE OUTCOME_ADMIN_NEEDED 2
&SCOPED-DEFINE TASK_SUCCEEDED 3

/* smartlink_result smartlink_configurator_new(const char *config_json, smartlink_configurator **out); */
PROCEDURE smartlink_configurator_new EXTERNAL {&SMARTLINK_LIB} CDECL PERSISTENT:
  DEFINE INPUT  PARAMETER config_json AS MEMPTR.
  DEFINE INPUT  PARAMETER out_handle  AS MEMPTR.   /* 8 bytes: receives the pointer */
  DEFINE RETURN PARAMETER result      AS LONG.
END PROCEDURE.

/* void smartlink_configurator_free(smartlink_configurator *handle); */
PROCEDURE smartlink_configurator_free EXTERNAL {&SMARTLINK_LIB} CDECL PERSISTENT:
  DEFINE INPUT PARAMETER handle AS INT64.
END PROCEDURE.

/* smartlink_result smartlink_call(handle, const char *request, char *out, size_t out_len, size_t *out_needed); */
PROCEDURE smartlink_call EXTERNAL {&SMARTLINK_LIB} CDECL PERSISTENT:
  DEFINE INPUT  PARAMETER handle     AS INT64.
  DEFINE INPUT  PARAMETER request    AS MEMPTR.
  DEFINE INPUT  PARAMETER out_buf    AS MEMPTR.
  DEFINE INPUT  PARAMETER out_len    AS INT64.
  DEFINE INPUT  PARAMETER out_needed AS MEMPTR.    /* 8 bytes */
  DEFINE RETURN PARAMETER result     AS LONG.
END PROCEDURE.

/* smartlink_result smartlink_needs_configuration(handle, bool *out); */
PROCEDURE smartlink_needs_configuration EXTERNAL {&SMARTLINK_LIB} CDECL PERSISTENT:
  DEFINE INPUT  PARAMETER handle AS INT64.
  DEFINE INPUT  PARAMETER out    AS MEMPTR.        /* 1 byte */
  DEFINE RETURN PARAMETER result AS LONG.
END PROCEDURE.

/* smartlink_result smartlink_ensure_configured(handle, int32_t *outcome); */
PROCEDURE smartlink_ensure_configured EXTERNAL {&SMARTLINK_LIB} CDECL PERSISTENT:
  DEFINE INPUT  PARAMETER handle  AS INT64.
  DEFINE INPUT  PARAMETER outcome AS MEMPTR.       /* 4 bytes */
  DEFINE RETURN PARAMETER result  AS LONG.
END PROCEDURE.

/* smartlink_result smartlink_wait_task(handle, uint32_t timeout_ms, int32_t *status); */
PROCEDURE smartlink_wait_task EXTERNAL {&SMARTLINK_LIB} CDECL PERSISTENT:
  DEFINE INPUT  PARAMETER handle     AS INT64.
  DEFINE INPUT  PARAMETER timeout_ms AS LONG.
  DEFINE INPUT  PARAMETER status     AS MEMPTR.    /* 4 bytes */
  DEFINE RETURN PARAMETER result     AS LONG.
END PROCEDURE.

/* A NUL-terminated UTF-8 copy of an ABL string, in a MEMPTR the caller frees. */
FUNCTION to-c RETURNS MEMPTR (INPUT pcText AS LONGCHAR):
  DEFINE VARIABLE mText AS MEMPTR NO-UNDO.
  DEFINE VARIABLE cUtf8 AS LONGCHAR NO-UNDO.
  FIX-CODEPAGE(cUtf8) = "UTF-8".
  cUtf8 = pcText.
  SET-SIZE(mText) = LENGTH(cUtf8, "RAW") + 1.
  PUT-STRING(mText, 1) = cUtf8.                     /* writes the NUL too */
  RETURN mText.
END FUNCTION.

/* One JSON request: the size first, then the response. */
FUNCTION sl-call RETURNS LONGCHAR (INPUT piHandle AS INT64, INPUT pcRequest AS LONGCHAR):
  DEFINE VARIABLE mReq    AS MEMPTR   NO-UNDO.
  DEFINE VARIABLE mOut    AS MEMPTR   NO-UNDO.
  DEFINE VARIABLE mNeeded AS MEMPTR   NO-UNDO.
  DEFINE VARIABLE iResult AS INTEGER  NO-UNDO.
  DEFINE VARIABLE cResp   AS LONGCHAR NO-UNDO.

  mReq = to-c(pcRequest).
  SET-SIZE(mNeeded) = 8.
  SET-SIZE(mOut) = 1.                               /* a 0-length buffer: asks for the size */
  RUN smartlink_call (piHandle, mReq, mOut, 0, mNeeded, OUTPUT iResult).
  IF iResult = {&SMARTLINK_BUFFER_TOO_SMALL} THEN DO:
    SET-SIZE(mOut) = 0.
    SET-SIZE(mOut) = GET-INT64(mNeeded, 1).
    RUN smartlink_call (piHandle, mReq, mOut, GET-SIZE(mOut), mNeeded, OUTPUT iResult).
  END.
  IF iResult = {&SMARTLINK_OK} THEN DO:
    FIX-CODEPAGE(cResp) = "UTF-8".
    cResp = GET-STRING(mOut, 1).
  END.
  ELSE cResp = '~{"ok":false,"error":~{"result":' + STRING(iResult) + '}}'.
  FINALLY:
    SET-SIZE(mReq) = 0. SET-SIZE(mOut) = 0. SET-SIZE(mNeeded) = 0.
  END FINALLY.
  RETURN cResp.
END FUNCTION.

/* ---- A first binding ---- */
DEFINE VARIABLE mConfig AS MEMPTR  NO-UNDO.
DEFINE VARIABLE mHandle AS MEMPTR  NO-UNDO.
DEFINE VARIABLE mInt    AS MEMPTR  NO-UNDO.
DEFINE VARIABLE hSl     AS INT64   NO-UNDO.
DEFINE VARIABLE iResult AS INTEGER NO-UNDO.

/* The state is shared by every machine of the installation: here the
   database (PostgreSQL; the password may also come from the environment
   through a libpq key=value string), its secret sealed with the key
   deployed to each machine. A shared folder works the same way:
   "state":{"kind":"file","shared":true,"path":...,"seal_key_file":...}.
   ABL cannot pass function pointers: a store of its own is not offered. */
mConfig = to-c('~{"platform_url":"http://127.0.0.1:8080","token":"TOKEN",'
             + '"state":~{"kind":"postgres",'
             + '"url":"postgres://smartlink@dbserver/datasul?sslmode=require",'
             + '"seal_key_file":"/usr/datasul/smartlink/seal.key"},'
             + '"installation":~{"id":"datasul-prd-01","line":"datasul","kind":"production"},'
             + '"locale":"pt-BR"}').
SET-SIZE(mHandle) = 8.
RUN smartlink_configurator_new (mConfig, mHandle, OUTPUT iResult).
SET-SIZE(mConfig) = 0.
IF iResult <> {&SMARTLINK_OK} THEN DO:
  MESSAGE "SmartLink: configuration refused, code" iResult VIEW-AS ALERT-BOX.
  RETURN.
END.
hSl = GET-INT64(mHandle, 1).

SET-SIZE(mInt) = 4.
RUN smartlink_needs_configuration (hSl, mInt, OUTPUT iResult).
IF GET-BYTE(mInt, 1) = 1 THEN DO:
  RUN smartlink_ensure_configured (hSl, mInt, OUTPUT iResult).
  IF iResult = {&SMARTLINK_OK} AND GET-LONG(mInt, 1) = {&OUTCOME_ADMIN_NEEDED} THEN DO:
    /* The wizard: draw "screen" with "texts" from each response. */
    MESSAGE STRING(sl-call(hSl, '~{"op":"screen"}')) VIEW-AS ALERT-BOX.
    sl-call(hSl, '~{"op":"apply","action":~{"action":"start"}}').
    sl-call(hSl, '~{"op":"apply","action":~{"action":"set_name","name":"Datasul Manufatura"}}').
    sl-call(hSl, '~{"op":"apply","action":~{"action":"select","environment_id":"env_prd_nova"}}').
    RUN smartlink_wait_task (hSl, 60000, mInt, OUTPUT iResult).
    IF GET-LONG(mInt, 1) = {&TASK_SUCCEEDED} THEN
      /* The only response with the secret: store it, never log it. */
      sl-call(hSl, '~{"op":"credentials"}').
  END.
END.

FINALLY:
  IF hSl <> 0 THEN RUN smartlink_configurator_free (hSl).  /* joins the library's threads */
  SET-SIZE(mHandle) = 0. SET-SIZE(mInt) = 0.
END FINALLY.
