#!/usr/bin/env python3
"""A real, third-party OAuth2 authorization server for smartlink's tests.

Authlib's ``AuthorizationServer`` (https://authlib.org, installed from PyPI
by ``scripts/install-test-deps.sh``) with its ``client_credentials`` grant,
served by the standard library's HTTP server on 127.0.0.1 at a free port.
Client authentication, the grant and the error answers are Authlib's own
code; this script only wires a client registry, a token generator and the
fault switches the tests need.

Start::

    python3 authlib_server.py --client ID:SECRET [--auth-method client_secret_basic]

The first line on stdout is ``authlib-server listening on http://127.0.0.1:PORT``;
the token endpoint is ``/oauth2/token``. Switches (command line, and at any
time ``POST /control`` with a JSON object of the same names, underscores for
dashes):

- ``auth_method``: what the client is registered for: ``client_secret_basic``
  (Authlib's default), ``client_secret_post`` or ``both``;
- ``grant_methods``: the methods the grant tries, comma separated (default
  both). Authlib answers 401 ``invalid_client`` when ``client_secret_basic``
  is among them, 400 otherwise (RFC 6749 §5.2 allows both);
- ``disabled``: the client is unknown to the server (revoked);
- ``mode``: ``normal``; ``error500`` (HTTP 500 before Authlib runs);
  ``slow`` (wait ``slow_seconds`` first, then answer normally);
  ``malformed`` (200 with a body that is not JSON); ``no_access_token``
  (200 JSON without ``access_token``); ``no_expires_in`` (no ``expires_in``
  in the answer); ``lowercase_bearer`` (``token_type`` ``bearer``);
  ``mac`` (``token_type`` ``mac``);
- ``expires_in``: lifetime of the tokens issued (default 3600).

``GET /control/log`` returns every token request received:
``[{"at": seconds since start, "method": "client_secret_basic"|"client_secret_post"|"none",
"status": 200}]``.
"""

import argparse
import hmac
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

# Plain http on the loopback interface: the tests never leave the machine.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

from authlib.oauth2 import AuthorizationServer  # noqa: E402
from authlib.oauth2.rfc6749 import ClientMixin, grants  # noqa: E402
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request  # noqa: E402

BOTH = ("client_secret_basic", "client_secret_post")
MODES = (
    "normal",
    "error500",
    "slow",
    "malformed",
    "no_access_token",
    "no_expires_in",
    "lowercase_bearer",
    "mac",
)

SETTINGS = {
    "auth_method": "client_secret_basic",
    "grant_methods": list(BOTH),
    "disabled": False,
    "mode": "normal",
    "slow_seconds": 2.0,
    "expires_in": 3600,
}
CLIENTS = {}
LOG = []
LOCK = threading.Lock()
STARTED = time.monotonic()


class Client(ClientMixin):
    def __init__(self, client_id, secret):
        self.client_id = client_id
        self.secret = secret

    def get_client_id(self):
        return self.client_id

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), self.secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        registered = SETTINGS["auth_method"]
        return method in BOTH if registered == "both" else method == registered

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope):
        return ""


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    @property
    def TOKEN_ENDPOINT_AUTH_METHODS(self):  # noqa: N802 (Authlib's name)
        return list(SETTINGS["grant_methods"])


class Request(OAuth2Request):
    def __init__(self, method, uri, headers, form):
        super().__init__(method, uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def args(self):
        return {}

    @property
    def form(self):
        return self._form


class Server(AuthorizationServer):
    def query_client(self, client_id):
        if SETTINGS["disabled"]:
            return None
        return CLIENTS.get(client_id)

    def save_token(self, token, request):
        pass

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):
        pass


def generate_token(grant_type, client, user=None, scope=None, expires_in=None,
                   include_refresh_token=True):
    mode = SETTINGS["mode"]
    token = {
        "access_token": "at_" + secrets.token_urlsafe(24),
        "token_type": {"lowercase_bearer": "bearer", "mac": "mac"}.get(mode, "Bearer"),
        "expires_in": SETTINGS["expires_in"],
    }
    if mode == "no_expires_in":
        del token["expires_in"]
    if mode == "no_access_token":
        del token["access_token"]
    return token


SERVER = Server()
SERVER.register_grant(ClientCredentialsGrant)
SERVER.register_token_generator("default", generate_token)


def method_of(headers, form):
    if (headers.get("Authorization") or "").lower().startswith("basic "):
        return "client_secret_basic"
    if "client_secret" in form:
        return "client_secret_post"
    return "none"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests read stdout
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, payload, headers=()):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        sent = set()
        for name, value in headers:
            self.send_header(name, value)
            sent.add(name.lower())
        if "content-type" not in sent:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        if self.path == "/control/log":
            with LOCK:
                return self.answer(200, list(LOG))
        return self.answer(404, {"error": "not_found"})

    def do_POST(self):  # noqa: N802
        raw = self.body()
        if self.path == "/control":
            with LOCK:
                apply(json.loads(raw or b"{}"))
                return self.answer(200, dict(SETTINGS))
        if self.path != "/oauth2/token":
            return self.answer(404, {"error": "not_found"})
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        with LOCK:
            mode = SETTINGS["mode"]
            slow = SETTINGS["slow_seconds"]
        status, payload, headers = token(self.headers, self.path, form, mode, slow)
        # Logged before the answer leaves, so a client that got its answer
        # always finds its request in the log.
        with LOCK:
            LOG.append({
                "at": round(time.monotonic() - STARTED, 3),
                "method": method_of(self.headers, form),
                "status": status,
            })
        try:
            self.answer(status, payload, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a read timeout of the slow mode)


def token(headers, path, form, mode, slow):
    if mode == "error500":
        return 500, {"error": "server_error"}, ()
    if mode == "slow":
        time.sleep(slow)
    request = Request("POST", f"http://{headers.get('Host')}{path}", headers, form)
    status, body, answer_headers = SERVER.create_token_response(request)
    if mode == "malformed" and status == 200:
        return 200, b'{"access_token": "at_cut', [("Content-Type", "application/json")]
    return status, body, answer_headers


def apply(changes):
    for key, value in changes.items():
        if key not in SETTINGS:
            raise SystemExit(f"unknown switch {key}")
        if key == "grant_methods" and isinstance(value, str):
            value = [m for m in value.split(",") if m]
        if key == "mode" and value not in MODES:
            raise SystemExit(f"unknown mode {value}")
        SETTINGS[key] = value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", action="append", default=[],
                        help="ID:SECRET of a registered client (repeatable)")
    parser.add_argument("--auth-method", choices=BOTH + ("both",))
    parser.add_argument("--grant-methods")
    parser.add_argument("--disabled", action="store_true")
    parser.add_argument("--mode", choices=MODES)
    parser.add_argument("--slow-seconds", type=float)
    parser.add_argument("--expires-in", type=int)
    args = parser.parse_args()
    for pair in args.client:
        client_id, _, secret = pair.partition(":")
        CLIENTS[client_id] = Client(client_id, secret)
    apply({k: v for k, v in vars(args).items() if k != "client" and v not in (None, False)})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    print(f"authlib-server listening on http://127.0.0.1:{httpd.server_port}", flush=True)
    # Stop when the test that started us goes away (stdin closes).
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    httpd.serve_forever()


if __name__ == "__main__":
    main()
