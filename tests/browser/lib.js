// Helpers of the browser tests: processes (sandbox, configurator web), a
// fault-injecting proxy in front of the sandbox, the browser, checks.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const BIN = process.env.SMARTLINK_BIN || path.join(TARGET, 'debug', 'smartlink-configurator');
const SANDBOX_BIN = path.join(TARGET, 'debug', 'smartlink-sandbox');
const CHROMIUM = process.env.SMARTLINK_CHROMIUM || '/usr/bin/chromium';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'smartlink-browser-'));
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
});

function track(proc) {
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) =>
    proc.on('exit', (code, signal) => {
      children.delete(proc);
      r({ code, signal });
    }),
  );
  return { proc, exited, out: () => out, err: () => err };
}

/** The sandbox platform as its own process (seed, persistent state). */
async function startSandbox({ seed, state, token }) {
  const dir = tmpdir();
  const args = ['--listen', '127.0.0.1:0', '--state', state || path.join(dir, 'sandbox.json')];
  if (seed) {
    const file = path.join(dir, 'seed.json');
    fs.writeFileSync(file, JSON.stringify(seed));
    args.push('--seed', file);
  }
  const p = track(
    spawn(SANDBOX_BIN, args, {
      env: { ...process.env, SMARTLINK_SANDBOX_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const url = await waitFor(
    () => (p.out().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/) || [])[1] || (p.proc.exitCode !== null && 'exited'),
    15000,
    'the sandbox',
  );
  if (url === 'exited') throw new Error(`the sandbox exited: ${p.err()}`);
  return { ...p, url, stop: () => p.proc.kill('SIGKILL') };
}

/**
 * A proxy in front of the platform whose faults the tests set: latency,
 * refused connections, one endpoint answering an error.
 */
async function startProxy(upstream) {
  const rules = { latency: 0, latencyPath: null, down: false, fail: null };
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    if (rules.down) {
      req.socket.destroy();
      return;
    }
    const go = () => {
      const f = rules.fail;
      if (f && f.method === req.method && f.path.test(req.url)) {
        req.resume();
        res.writeHead(f.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: f.code, detail: 'injected by the browser tests' }));
        return;
      }
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    const slow = rules.latency && (!rules.latencyPath || rules.latencyPath.test(`${req.method} ${req.url}`));
    if (slow) setTimeout(go, rules.latency);
    else go();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    rules,
    reset() {
      Object.assign(rules, { latency: 0, latencyPath: null, down: false, fail: null });
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** `smartlink-configurator web ARGS`, with the URL it prints. */
async function startWeb(args, env = {}) {
  const p = track(
    spawn(BIN, ['web', ...args], {
      env: { ...process.env, SMARTLINK_LOCALE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const url = await waitFor(
    () => (p.out().match(/http:\/\/127\.0\.0\.1:\d+\/\?t=[0-9a-f]+/) || [])[0] || (p.proc.exitCode !== null && 'exited'),
    20000,
    'the printed URL',
  );
  if (url === 'exited') throw new Error(`web exited: ${p.err()}`);
  const base = url.replace(/\/\?t=.*/, '');
  return { ...p, url, base, port: Number(new URL(base).port), kill: () => p.proc.kill('SIGKILL') };
}

/** A raw HTTP request, to see what the server answers outside a browser. */
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: '127.0.0.1', port: u.port, method, path: u.pathname + u.search, headers, setHost: !('Host' in headers) },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

module.exports = { ROOT, BIN, CHROMIUM, sleep, waitFor, tmpdir, startSandbox, startProxy, startWeb, request };
