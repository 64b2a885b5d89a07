// 指挥中心 in the browser: the leader's dashboard (KPIs, grids coloured on the map, the heat layer, charts, layers),
// an event reported through the API appearing in the live feed without a reload, drill-down from the district to
// a street (the children table) and on to a community (a click on the map), the big screen at 1920×1080 in its
// dark theme, and the report printed to A4 PDF. Screenshots go to target/web-screenshots.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useServerAndBrowser, withPage, login, screenshot, parseCount, DEMO_PASSWORD, ADMIN_PASSWORD, SCREENSHOT_DIR } from './helpers.mjs';

const DISTRICT = '330199';
const STREET1 = '330199001';
const GRID1 = '33019900100101';

async function apiToken(base, username, password) {
  const r = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).token;
}

async function reportEvent(base, token, grid, description) {
  const r = await fetch(`${base}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ category: 'E0102', description, grid_code: grid }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return JSON.parse(text).id;
}

async function waitForCommandMap(page) {
  await page.waitForFunction(() => {
    const m = document.getElementById('cmd-map');
    return m && (m.dataset.error || (m.dataset.loaded && m.dataset.heat !== undefined));
  });
  const d = await page.locator('#cmd-map').evaluate((m) => ({ ...m.dataset }));
  assert.equal(d.error, undefined, `map error: ${d.error}`);
  return d;
}

describe('command centre', () => {
  // With the demo's three months of events (`wangge serve --demo --events`).
  const env = useServerAndBrowser({ serverArgs: ['--events'] });

  it('shows the leader a live dashboard, and a reported event arrives without a reload', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_leader', DEMO_PASSWORD);
      await assert.doesNotReject(page.locator('#nav-command').waitFor());
      await page.goto('/command');
      await page.locator('h1').filter({ hasText: '指挥调度' }).waitFor();
      const map = await waitForCommandMap(page);
      assert.ok(Number(map.loaded) >= 8, `grids drawn: ${map.loaded}`);
      assert.ok(Number(map.heat) > 0, 'heat points');
      assert.ok(Number(map.busy) > 0, 'grids with open events');
      assert.ok((await page.locator('path.load-overdue, path.load-hot').count()) > 0, 'some grid shows overdue events');
      assert.ok(await page.locator('canvas.heat-canvas').count(), 'heat canvas');
      for (const id of ['chart-category', 'chart-trend', 'chart-department']) {
        await page.locator(`#${id} svg`).first().waitFor();
      }
      const open = parseCount(await page.locator('#kpi-open').textContent());
      const overdue = parseCount(await page.locator('#kpi-overdue').textContent());
      assert.ok(open > 0 && overdue > 0, `open ${open}, overdue ${overdue}`);
      // Every pluggable panel (field work, disputes, safety, services, assessment) has its figures.
      for (const key of ['field', 'disputes', 'safety', 'services', 'assessment']) {
        const p = page.locator(`.panel[data-panel="${key}"]`);
        assert.ok(!(await p.evaluate((el) => el.classList.contains('pending'))), `${key} panel filled`);
      }
      await page.waitForFunction(() => document.getElementById('command').dataset.feed === 'open');

      const token = await apiToken(env.server.url, 'admin', ADMIN_PASSWORD);
      const before = parseCount(await page.locator('#kpi-today').textContent());
      const started = Date.now();
      const id = await reportEvent(env.server.url, token, GRID1, '浏览器实时推送：小区门口垃圾满溢');
      const item = page.locator(`#feed-list li[data-event="${id}"]`);
      await item.waitFor({ timeout: 5000 });
      const took = Date.now() - started;
      assert.match(await item.textContent(), /浏览器实时推送/);
      assert.equal(parseCount(await page.locator('#kpi-today').textContent()), before + 1);
      assert.ok(took < 5000, `arrived after ${took} ms`);

      // Layers: hazards as points, the register as counts per grid.
      await page.locator('#layer-hazards').check();
      await page.waitForFunction(() => document.getElementById('cmd-map').dataset.layerHazards !== undefined);
      await page.locator('#layer-register').check();
      await page.waitForFunction(() => Number(document.getElementById('cmd-map').dataset.layerRegister) > 0);
      assert.ok((await page.locator('#layer-register-key option').count()) > 2);
      await page.locator('#layer-heat').uncheck();
      await page.locator('#layer-register').uncheck();
      await page.locator('#layer-heat').check();
      await screenshot(page, 'command-dashboard');
    });
  });

  it('drills down from the district to a street (table) and a community (map)', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_leader', DEMO_PASSWORD);
      await page.goto('/command');
      await waitForCommandMap(page);
      await Promise.all([
        page.waitForURL(new RegExp(`region=${STREET1}`)),
        page.locator(`#children-load a.drill[data-code="${STREET1}"]`).click(),
      ]);
      await waitForCommandMap(page);
      assert.match(await page.locator('#cmd-crumbs').textContent(), /清河区/);
      const codes = await page.locator('#children-load a.drill').evaluateAll((as) => as.map((a) => a.dataset.code));
      assert.ok(codes.length > 0 && codes.every((c) => c.startsWith(STREET1)), codes.join());
      // A click on a grid of the map opens its community.
      const shape = page.locator('path.grid-shape').first();
      const box = await shape.boundingBox();
      await Promise.all([
        page.waitForURL(/region=\d{12}(&|$)/),
        page.mouse.click(box.x + box.width / 2, box.y + box.height / 2),
      ]);
      await waitForCommandMap(page);
      const region = new URL(page.url()).searchParams.get('region');
      assert.ok(region.startsWith(STREET1) && region.length === 12, region);
      const rows = await page.locator('#children-load a.drill').evaluateAll((as) => as.map((a) => a.dataset.code));
      assert.ok(rows.every((c) => c.startsWith(region) && c.length === 14), rows.join());
    });
  });

  it('fills the big screen at 1920×1080 in the dark theme and keeps the feed live', async () => {
    await withPage(env, { viewport: { width: 1920, height: 1080 } }, async ({ page }) => {
      await login(page, 'demo_leader', DEMO_PASSWORD);
      await page.goto(`/command/screen?region=${DISTRICT}`);
      await waitForCommandMap(page);
      assert.ok(await page.locator('body').evaluate((b) => b.classList.contains('dark')));
      const size = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
      assert.ok(size.w <= 1920 && size.h <= 1080, `no scrolling on the wall: ${JSON.stringify(size)}`);
      await page.locator('#chart-category svg').first().waitFor();
      await page.waitForFunction(() => document.getElementById('screen-clock').textContent.length > 5);
      await page.waitForFunction(() => document.getElementById('command').dataset.feed === 'open');
      const token = await apiToken(env.server.url, 'admin', ADMIN_PASSWORD);
      const id = await reportEvent(env.server.url, token, GRID1, '大屏推送：占道堆放杂物');
      await page.locator(`#feed-list li[data-event="${id}"]`).waitFor({ timeout: 5000 });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'command-screen.png') });
    });
  });

  it('prints the monthly report on A4 and offers the workbook', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      consoleErrors.expectHttpError('/command/reports', 400);
      await login(page, 'demo_leader', DEMO_PASSWORD);
      await page.goto('/command/reports');
      await page.locator('#report').waitFor();
      for (const key of ['events', 'indicators', 'field', 'disputes', 'safety', 'services', 'assessment']) {
        await page.locator(`#section-${key}`).waitFor();
      }
      assert.equal(await page.locator('#section-services').getAttribute('data-available'), '1');
      assert.equal(await page.locator('#section-assessment').getAttribute('data-available'), '1');
      assert.ok((await page.locator('#table-events-totals tbody tr').count()) >= 10);
      await page.locator('.report-chart svg').first().waitFor();
      const href = await page.locator('#report-xlsx').getAttribute('href');
      assert.match(href, /^\/command\/reports\.xlsx\?region=\d+&period=\d{4}-\d{2}$/);
      await screenshot(page, 'command-report');
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path: path.join(SCREENSHOT_DIR, 'command-report.pdf'), format: 'A4', preferCSSPageSize: true, printBackground: true });
      // A wrong period comes back with the error, the typed value kept.
      await page.emulateMedia({ media: 'screen' });
      await page.locator('#report-period').fill('2026-Q7');
      await page.locator('#report-form button[type="submit"]').click();
      await page.locator('#report-error').waitFor();
      assert.equal(await page.locator('#report-period').inputValue(), '2026-Q7');
    });
  });

  it('shows the dashboard on a phone', async () => {
    await withPage(env, { viewport: { width: 390, height: 844 }, isMobile: true }, async ({ page }) => {
      await login(page, 'demo_leader', DEMO_PASSWORD);
      await page.goto('/command');
      await waitForCommandMap(page);
      await screenshot(page, 'command-phone');
    });
  });
});
