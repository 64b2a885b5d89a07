// Shared fixtures of the browser tests: a fresh wangge server with the small demo district, Debian's
// Chromium driven by playwright-core, login, screenshots and a console-error collector that every
// test checks at its end (a page that logs an error or throws fails the suite).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const WEB_TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCREENSHOT_DIR = path.resolve(WEB_TESTS_DIR, '../target/web-screenshots');
export const WANGGE_BIN = path.resolve(WEB_TESTS_DIR, process.env.WANGGE_BIN || '../target/debug/wangge');
export const CHROMIUM = process.env.WANGGE_CHROMIUM || '/usr/bin/chromium';

export const ADMIN_PASSWORD = 'admin-pass-123';
export const DEMO_PASSWORD = 'demo-pass-123';
export const DISTRICT_CODE = '330199';
export const DISTRICT_NAME = '清河区';

const READY_LINE = /wangge listening on (http:\/\/127\.0\.0\.1:\d+) \(ready in [^)]*\)/;
const START_TIMEOUT_MS = 60_000;

/** Starts `wangge serve --demo --scale small` (plus `extraArgs`, e.g. `--events`) on a free port with a fresh data directory. */
export async function startServer(extraArgs = []) {
  if (!existsSync(WANGGE_BIN)) {
    throw new Error(`wangge binary not found at ${WANGGE_BIN}: run \`cargo build -p wangge\` first or set WANGGE_BIN`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wangge-e2e-'));
  const child = spawn(
    WANGGE_BIN,
    ['serve', '--addr', '127.0.0.1:0', '--data', dataDir, '--demo', '--scale', 'small', ...extraArgs],
    {
      cwd: dataDir,
      env: { ...process.env, WANGGE_ADMIN_PASSWORD: ADMIN_PASSWORD, WANGGE_DEMO_PASSWORD: DEMO_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = [];
  const remember = (stream) => (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) log.push(`[${stream}] ${line}`);
    }
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stderr.on('data', remember('stderr'));
  // Never leave a server behind, even when the test process dies.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = await new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
      reject(new Error(`${why}\n--- server output ---\n${log.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`wangge did not print its listening line within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      remember('stdout')(chunk);
      if (settled) return;
      buffered += chunk.toString('utf8');
      const m = buffered.match(READY_LINE);
      if (m) {
        settled = true;
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('error', (e) => fail(`could not start ${WANGGE_BIN}: ${e.message}`));
    child.once('exit', (code, signal) => fail(`wangge exited early (code ${code}, signal ${signal})`));
  });

  return {
    url,
    dataDir,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        let timer;
        const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)));
        const outcome = await Promise.race([exited, timeout]);
        clearTimeout(timer);
        if (outcome === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.removeListener('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Registers before/after hooks for one test file: a server and a browser shared by its tests.
 * Returns an object whose `server` and `browser` are set once the hooks ran.
 */
export function useServerAndBrowser({ serverArgs = [] } = {}) {
  const env = { server: null, browser: null, startError: null };
  before(async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // A server or browser that cannot start fails every test (counted as failed, not cancelled).
    try {
      env.server = await startServer(serverArgs);
      env.browser = await launchBrowser();
    } catch (e) {
      env.startError = e;
    }
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

const HTTP_ERROR = /^Failed to load resource: the server responded with a status of (\d{3})\b/;

/**
 * Records console errors and uncaught exceptions of a page. `assertNone()` fails with all of them.
 *
 * Chromium also logs "Failed to load resource: … status of 404" when a page itself is answered
 * with an error status (a 404 page, a login form answered 401). Where a test asserts such a status
 * on purpose it declares it first with `expectHttpError(pathname, status)`; only that exact
 * document error is then ignored, anything else still fails.
 */
export function collectConsoleErrors(page) {
  const seen = [];
  const allowed = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    seen.push({ text: msg.text(), url: loc?.url || '', line: loc?.lineNumber, page: page.url() });
  });
  page.on('pageerror', (err) => seen.push({ text: `uncaught exception: ${err.message}`, url: '', page: page.url() }));
  const isAllowed = (e) => {
    const m = e.text.match(HTTP_ERROR);
    if (!m || !e.url) return false;
    const pathname = new URL(e.url).pathname;
    return allowed.some((a) => a.status === Number(m[1]) && a.pathname === pathname);
  };
  return {
    expectHttpError(pathname, status) {
      allowed.push({ pathname, status });
    },
    errors() {
      return seen.filter((e) => !isAllowed(e));
    },
    assertNone() {
      const errs = this.errors().map((e) => `${e.text}${e.url ? ` (${e.url}:${e.line})` : ''} on ${e.page}`);
      assert.deepEqual(errs, [], `the page logged console errors:\n${errs.join('\n')}`);
    },
  };
}

/**
 * A new browser context (Chinese by default) and page whose console errors are collected.
 * Returns { context, page, consoleErrors }.
 */
export async function openPage(env, { locale = 'zh-CN', ...contextOptions } = {}) {
  const context = await env.browser.newContext({
    baseURL: env.server.url,
    locale,
    viewport: { width: 1280, height: 800 },
    // e.g. { viewport: { width: 390, height: 844 }, isMobile: true } for a phone
    ...contextOptions,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = await context.newPage();
  const consoleErrors = collectConsoleErrors(page);
  return { context, page, consoleErrors };
}

/**
 * Runs `fn({ context, page, consoleErrors })` in a fresh context, then asserts that no console
 * error happened and closes the context.
 */
export async function withPage(env, options, fn) {
  if (typeof options === 'function') [options, fn] = [{}, options];
  if (env.startError) throw env.startError;
  const opened = await openPage(env, options);
  try {
    await fn(opened);
    // Let late errors (a failed fetch, a script error after load) arrive before checking.
    await opened.page.waitForTimeout(100);
    opened.consoleErrors.assertNone();
  } finally {
    await opened.context.close();
  }
}

/** Signs in through the login form and waits for the page it leads to. */
export async function login(page, username, password) {
  await page.goto('/login');
  await page.locator('#login-form input[name="username"]').fill(username);
  await page.locator('#login-form input[name="password"]').fill(password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('#login-form button[type="submit"]').click(),
  ]);
}

export const loginAsAdmin = (page) => login(page, 'admin', ADMIN_PASSWORD);

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** "12,345" → 12345; fails unless the text is a grouped whole number. */
export function parseCount(text) {
  const t = (text ?? '').trim();
  assert.match(t, /^\d{1,3}(,\d{3})*$/, `expected a number like 12,345, got ${JSON.stringify(t)}`);
  return Number(t.replaceAll(',', ''));
}

/** Reads the three stats of a region page and checks they are numbers; returns them. */
export async function readStats(page) {
  const out = {};
  for (const k of ['households', 'residents', 'grids']) {
    out[k] = parseCount(await page.locator(`#stat-${k}`).textContent());
  }
  return out;
}

/**
 * Waits until app.js has drawn the grids of the region page (or reported an error), and returns
 * the number of grid polygons it says it drew.
 */
export async function waitForMap(page) {
  await page.waitForFunction(
    () => {
      const m = document.getElementById('map');
      return m && (m.dataset.loaded !== undefined || m.dataset.error !== undefined || m.querySelector('.map-empty'));
    },
    null,
    { timeout: 15_000 },
  );
  const state = await page.locator('#map').evaluate((m) => ({
    loaded: m.dataset.loaded,
    error: m.dataset.error,
    empty: m.querySelector('.map-empty')?.textContent,
  }));
  assert.equal(state.error, undefined, `the map failed to load its grids: ${state.error}`);
  assert.equal(state.empty, undefined, `the map says it has no grids: ${state.empty}`);
  const n = Number(state.loaded);
  assert.ok(Number.isInteger(n) && n > 0, `#map data-loaded should be a positive count, got ${state.loaded}`);
  await waitForMapAtRest(page);
  return n;
}

/**
 * app.js fits the map to its shapes with an animated zoom: until it ends, Leaflet scales the drawn
 * SVG by a CSS transform (strokes look many times too thick and shapes are not where they will be).
 * Waits until no zoom animation runs and the panes have not moved for a few samples.
 */
export async function waitForMapAtRest(page) {
  await page.waitForFunction(
    () => {
      const m = document.getElementById('map');
      const pane = m?.querySelector('.leaflet-map-pane');
      if (!m || !pane) return true;
      const svg = m.querySelector('.leaflet-overlay-pane svg');
      const sig = [pane.style.transform, svg?.style.transform, svg?.getAttribute('viewBox'), m.classList.contains('leaflet-zoom-anim')].join('|');
      const w = window;
      if (w.__mapRestSig === sig && !m.classList.contains('leaflet-zoom-anim')) {
        w.__mapRestCount = (w.__mapRestCount || 0) + 1;
      } else {
        w.__mapRestSig = sig;
        w.__mapRestCount = 0;
      }
      return w.__mapRestCount >= 3;
    },
    null,
    { polling: 100, timeout: 10_000 },
  );
}

/**
 * Clicks a map shape as a person would: with the mouse at its centre (the point of the shape nearest
 * the centre of its bounding box, for shapes that are not convex). Whatever lies on top there, such
 * as the labelled child shape drawn over a grid, takes the click, as it would for a person.
 */
export async function clickShapeCentre(page, shape) {
  await shape.scrollIntoViewIfNeeded();
  const point = await shape.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const cx = r.left + r.width / 2;
    const cy = r.top + r.height / 2;
    const inside = (x, y) => {
      // isPointInFill wants the path's own user units: map the screen point through the inverse CTM.
      const m = el.getScreenCTM();
      if (!m) return false;
      const p = new DOMPoint(x, y).matrixTransform(m.inverse());
      return el.isPointInFill(p);
    };
    if (inside(cx, cy)) return { x: cx, y: cy };
    let best = null;
    const steps = 24;
    for (let i = 1; i < steps; i++) {
      for (let j = 1; j < steps; j++) {
        const x = r.left + (r.width * i) / steps;
        const y = r.top + (r.height * j) / steps;
        const d = (x - cx) ** 2 + (y - cy) ** 2;
        if (inside(x, y) && (!best || d < best.d)) best = { x, y, d };
      }
    }
    return best;
  });
  assert.ok(point, 'found a point inside the shape to click');
  await page.mouse.click(point.x, point.y);
}
