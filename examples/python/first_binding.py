#!/usr/bin/env python3
"""A first binding through the C ABI from Python's ctypes.

Usage: first_binding.py LIBRARY_PATH PLATFORM_URL TOKEN

Exercises both string-return styles: the caller's buffer (smartlink_call,
grown to the size the library asks for) and the library-allocated string
(smartlink_call_alloc + smartlink_string_free).
"""
import ctypes
import json
import sys

OK = 0
BUFFER_TOO_SMALL = 7005
NULL_ARGUMENT = 7000
OUTCOME_ADMIN_NEEDED = 2
TASK_SUCCEEDED = 3


class Smartlink:
    def __init__(self, path):
        lib = ctypes.CDLL(path)
        lib.smartlink_version.restype = ctypes.c_char_p
        lib.smartlink_result_message.argtypes = [ctypes.c_uint32]
        lib.smartlink_result_message.restype = ctypes.c_char_p
        lib.smartlink_configurator_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.smartlink_configurator_new.restype = ctypes.c_uint32
        lib.smartlink_configurator_free.argtypes = [ctypes.c_void_p]
        lib.smartlink_configurator_free.restype = None
        lib.smartlink_call.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                       ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.smartlink_call.restype = ctypes.c_uint32
        # c_void_p (not c_char_p) so that ctypes keeps the pointer to free it.
        lib.smartlink_call_alloc.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                             ctypes.POINTER(ctypes.c_void_p)]
        lib.smartlink_call_alloc.restype = ctypes.c_uint32
        lib.smartlink_string_free.argtypes = [ctypes.c_void_p]
        lib.smartlink_string_free.restype = None
        lib.smartlink_needs_configuration.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_bool)]
        lib.smartlink_needs_configuration.restype = ctypes.c_uint32
        lib.smartlink_ensure_configured.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)]
        lib.smartlink_ensure_configured.restype = ctypes.c_uint32
        lib.smartlink_wait_task.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_int32)]
        lib.smartlink_wait_task.restype = ctypes.c_uint32
        lib.smartlink_last_error_message.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                                     ctypes.POINTER(ctypes.c_size_t)]
        lib.smartlink_last_error_message.restype = ctypes.c_uint32
        self.lib = lib

    def check(self, rc, what):
        if rc != OK:
            raise RuntimeError(f"{what}: {rc} {self.lib.smartlink_result_message(rc).decode()}: "
                               f"{self.last_error()}")

    def last_error(self):
        needed = ctypes.c_size_t(0)
        self.lib.smartlink_last_error_message(None, 0, ctypes.byref(needed))
        buf = ctypes.create_string_buffer(needed.value)
        self.lib.smartlink_last_error_message(buf, needed.value, ctypes.byref(needed))
        return buf.value.decode("utf-8")

    def new(self, config):
        handle = ctypes.c_void_p()
        rc = self.lib.smartlink_configurator_new(json.dumps(config).encode(), ctypes.byref(handle))
        return rc, handle

    def call_buffered(self, handle, request):
        """The caller's buffer: try small, then the size the library asked for."""
        data = json.dumps(request).encode("utf-8")
        needed = ctypes.c_size_t(0)
        buf = ctypes.create_string_buffer(32)
        rc = self.lib.smartlink_call(handle, data, buf, len(buf), ctypes.byref(needed))
        if rc == BUFFER_TOO_SMALL:
            assert buf.value == b"", "nothing partial is written"
            buf = ctypes.create_string_buffer(needed.value)
            rc = self.lib.smartlink_call(handle, data, buf, len(buf), ctypes.byref(needed))
        self.check(rc, f"smartlink_call {request['op']}")
        return json.loads(buf.value.decode("utf-8"))

    def call_alloc(self, handle, request):
        """The library's string, freed with smartlink_string_free."""
        out = ctypes.c_void_p()
        rc = self.lib.smartlink_call_alloc(handle, json.dumps(request).encode("utf-8"), ctypes.byref(out))
        self.check(rc, f"smartlink_call_alloc {request['op']}")
        try:
            return json.loads(ctypes.string_at(out).decode("utf-8"))
        finally:
            self.lib.smartlink_string_free(out)


def main():
    lib_path, url, token = sys.argv[1:4]
    state_file = sys.argv[4] if len(sys.argv) > 4 else None
    sl = Smartlink(lib_path)
    print("smartlink", sl.lib.smartlink_version().decode())

    # NULL is an error, not a crash.
    assert sl.lib.smartlink_configurator_new(None, None) == NULL_ARGUMENT

    config = {"platform_url": url, "token": token, "locale": "es",
              "installation": {"id": "python-example-01", "line": "datasul", "kind": "production"}}
    if state_file:
        config["state_file"] = state_file
    else:
        config["state"] = "memory"
    rc, handle = sl.new(config)
    sl.check(rc, "configurator_new")
    try:
        needed = ctypes.c_bool(False)
        sl.check(sl.lib.smartlink_needs_configuration(handle, ctypes.byref(needed)), "gate")
        assert needed.value

        outcome = ctypes.c_int32(-1)
        sl.check(sl.lib.smartlink_ensure_configured(handle, ctypes.byref(outcome)), "ensure")
        assert outcome.value == OUTCOME_ADMIN_NEEDED, outcome.value

        r = sl.call_buffered(handle, {"op": "screen"})
        assert r["ok"] and r["screen"]["screen"] == "welcome", r
        assert r["texts"]["start"] == "Iniciar", r["texts"]
        r = sl.call_alloc(handle, {"op": "apply", "action": {"action": "start"}})
        assert r["screen"]["screen"] == "name_installation", r
        r = sl.call_buffered(handle, {"op": "apply", "action": {"action": "set_name", "name": "Datasul Python"}})
        assert r["screen"]["screen"] == "choose_environment", r
        ids = [c["environment"]["id"] for c in r["screen"]["choices"]]
        assert "env_prd_nova" in ids, ids
        print("choose_environment:", ", ".join(c["name"] + " (" + c["availability"] + ")"
                                               for c in r["texts"]["choices"]))
        r = sl.call_alloc(handle, {"op": "apply", "action": {"action": "select",
                                                               "environment_id": "env_prd_nova"}})
        assert r["ok"], r

        state = ctypes.c_int32(-1)
        sl.check(sl.lib.smartlink_wait_task(handle, 30000, ctypes.byref(state)), "wait_task")
        assert state.value == TASK_SUCCEEDED, state.value
        r = sl.call_buffered(handle, {"op": "task_status"})
        assert r["task"]["status"] == "succeeded", r

        creds = sl.call_alloc(handle, {"op": "credentials"})["credentials"]
        assert creds["client_secret"] and creds["environment_id"] == "env_prd_nova"
        print("credentials: received (secret not printed)")

        # The ERP's bearer token, from the cache all threads share.
        token = sl.call_alloc(handle, {"op": "access_token"})
        assert token["ok"] and token["access_token"] and token["expires_at"], "access_token"
        print("access token: received (not printed)")
        who = sl.call_alloc(handle, {"op": "whoami"})
        assert who["whoami"]["environment_id"] == "env_prd_nova", who

        status = sl.call_buffered(handle, {"op": "status"})
        assert status["status"]["needs_configuration"] is False, status
        r = sl.call_alloc(handle, {"op": "no_such_op"})
        assert not r["ok"] and r["error"]["kind"] == "unknown_operation", r
    finally:
        sl.lib.smartlink_configurator_free(handle)
    sl.lib.smartlink_configurator_free(None)
    print("python first binding done")


if __name__ == "__main__":
    main()
