// The figures docs/web.md quotes (measured, never asserted):
//   node figures.js
// - the embedded page: every file raw and gzip -9, and ECharts' share of the
//   initial chunk (from a build of web/ with --stats-json, in a temporary
//   folder: the committed bundle is not touched);
// - time to first screen: from navigation to the welcome screen drawn, with
//   the debug binary on this machine (median of 15 loads, cookie already set).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const L = require('./lib');

const DIST = path.join(L.ROOT, 'smartlink-configurator', 'web-dist');

function files(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

(async () => {
  let raw = 0;
  let gz = 0;
  console.log('| file | raw bytes | gzip -9 bytes |\n|---|---:|---:|');
  for (const f of files(DIST).sort()) {
    const b = fs.readFileSync(path.join(DIST, f));
    const g = zlib.gzipSync(b, { level: 9 }).length;
    raw += b.length;
    gz += g;
    console.log(`| ${f} | ${b.length.toLocaleString('en')} | ${g.toLocaleString('en')} |`);
  }
  console.log(`| **total** | **${raw.toLocaleString('en')}** | **${gz.toLocaleString('en')}** |\n`);

  // ECharts' share, from esbuild's metafile.
  const web = path.join(L.ROOT, 'web');
  const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'smartlink-stats-'));
  execFileSync('npx', ['ng', 'build', '--configuration', 'production', '--stats-json', '--output-path', out], {
    cwd: web,
    stdio: 'ignore',
    env: { ...process.env, NG_CLI_ANALYTICS: 'false' },
  });
  const stats = JSON.parse(fs.readFileSync(path.join(out, 'stats.json'), 'utf8'));
  const byPackage = {};
  let chunkName = '';
  let chunkBytes = 0;
  for (const [name, o] of Object.entries(stats.outputs)) {
    if (!name.endsWith('.js') || o.bytes <= chunkBytes) continue;
    chunkName = name;
    chunkBytes = o.bytes;
  }
  for (const [input, i] of Object.entries(stats.outputs[chunkName].inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const pkg = m ? m[1] : 'application';
    byPackage[pkg] = (byPackage[pkg] || 0) + i.bytesInOutput;
  }
  const chart = (byPackage.echarts || 0) + (byPackage.zrender || 0);
  console.log(`initial chunk ${path.basename(chunkName)}: ${chunkBytes.toLocaleString('en')} bytes`);
  for (const [pkg, bytes] of Object.entries(byPackage).sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    console.log(`  ${pkg}: ${bytes.toLocaleString('en')}`);
  }
  console.log(`ECharts + zrender: ${chart.toLocaleString('en')} bytes, ${((100 * chart) / chunkBytes).toFixed(1)}% of the initial chunk, ${((100 * chart) / raw).toFixed(1)}% of the embedded page\n`);
  fs.rmSync(out, { recursive: true, force: true });

  // Time to first screen.
  const server = await L.startWeb(['--state', 'memory', '--idle-timeout', '120']);
  const browser = await chromium.launch({ executablePath: L.CHROMIUM, args: ['--no-sandbox'], headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('main[data-screen="welcome"]');
  const times = [];
  for (let i = 0; i < 15; i++) {
    await page.reload();
    await page.waitForSelector('main[data-screen="welcome"] h1');
    times.push(await page.evaluate(() => performance.now()));
  }
  times.sort((a, b) => a - b);
  console.log(`time to first screen (reload, cookie set): median ${times[7].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[14].toFixed(0)} ms`);
  await browser.close();
  server.kill();
  process.exit(0);
})();
