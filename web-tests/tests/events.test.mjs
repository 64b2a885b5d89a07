// The event closed loop in the browser: a resident reports on the public page and follows the tracking link;
// a grid worker reports from the phone (GPS, a likely duplicate offered first), the street accepts, registers
// and dispatches, the department handles from its queue, the worker verifies, the street closes, and the
// resident rates on the tracking page; bad input keeps what was typed; two tabs acting on one event → 409.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, screenshot, clickShapeCentre, DEMO_PASSWORD } from './helpers.mjs';
import { mkdirSync, copyFileSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';
import path from 'node:path';
import { SCREENSHOT_DIR, WEB_TESTS_DIR } from './helpers.mjs';

const GRID1 = '33019900100101';
const PHONE = { width: 390, height: 844 };
const DOCS = path.resolve(WEB_TESTS_DIR, '../docs/screenshots');

/** A small PNG photo (a colour gradient) as a file for an <input type=file>. */
function photo(name = 'photo.png') {
  const [w, h] = [64, 48];
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set([x * 4, y * 5, 120], y * (w * 3 + 1) + 1 + x * 3);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  return { name, mimeType: 'image/png', buffer: png };
}

/** Chooses a photo in a form and waits until the page has uploaded it and named its id in the form. */
async function addPhoto(form) {
  await form.locator('input.photo-input').setInputFiles(photo());
  await form.locator('input[name="attachments"]').evaluate((i) => new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => (i.value ? resolve() : Date.now() - t0 > 10000 ? reject(new Error('photo not uploaded')) : setTimeout(tick, 50));
    tick();
  }));
}

/** With WANGGE_DOCS_SCREENSHOTS=1, also saves a screenshot as the README's (so a plain run leaves docs alone). */
function keepForDocs(name, docName) {
  if (!process.env.WANGGE_DOCS_SCREENSHOTS) return;
  mkdirSync(DOCS, { recursive: true });
  copyFileSync(path.join(SCREENSHOT_DIR, `${name}.png`), path.join(DOCS, docName));
}

/** Waits until a pick map or event map has drawn its grids. */
async function waitForSmallMap(page, id) {
  await page.waitForFunction((i) => {
    const m = document.getElementById(i);
    return m && (m.dataset.loaded !== undefined || m.dataset.error !== undefined);
  }, id);
  const err = await page.locator(`#${id}`).getAttribute('data-error');
  assert.equal(err, null, `the map failed: ${err}`);
}

/** The resident's public report with the grid chosen from the list; returns the tracking path. */
async function publicReport(page, { category, description, grid, address }) {
  await page.goto('/report');
  await page.locator('#report-form select[name="category"]').selectOption(category);
  await page.locator('#report-form select[name="grid_code"]').selectOption(grid);
  await page.locator('#report-form input[name="address"]').fill(address);
  await page.locator('#report-form textarea[name="description"]').fill(description);
  await page.locator('#report-form input[name="anonymous"]').check();
  await Promise.all([page.waitForLoadState('load'), page.locator('#report-submit').click()]);
  await page.locator('#track-link').waitFor();
  return page.locator('#track-link').getAttribute('href');
}

/** Takes one action from the event page's form for it, and checks the page says it is done. */
async function act(page, id, action, fill = async () => {}) {
  await page.goto(`/events/${id}`);
  const form = page.locator(`#act-${action}`);
  if (!(await form.isVisible())) await page.locator('#side-actions summary').click();
  await fill(form);
  await Promise.all([page.waitForURL(new RegExp(`/events/${id}\\?done=${action}$`)), form.locator('button[type="submit"]').click()]);
  assert.ok(await page.locator('#event-notice').isVisible(), `${action} done`);
}

/** A grid worker's report from /events/new, located by the (faked) GPS at the grid's centre. */
async function workerReport(page, { category, description, expectDuplicate = false, consoleErrors = null }) {
  // A point inside the worker's grid, faked as the phone's GPS fix.
  const centre = await page.evaluate(async (grid) => {
    const fc = await (await fetch(`/api/v1/regions/${grid}/grids.geojson`)).json();
    const ring = fc.features[0].geometry.type === 'Polygon' ? fc.features[0].geometry.coordinates[0] : fc.features[0].geometry.coordinates[0][0];
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    return { longitude: (Math.min(...xs) + Math.max(...xs)) / 2, latitude: (Math.min(...ys) + Math.max(...ys)) / 2 };
  }, GRID1);
  await page.context().grantPermissions(['geolocation']);
  await page.context().setGeolocation(centre);
  await page.goto('/events/new');
  await waitForSmallMap(page, 'pick-map');
  await page.locator(`#cat-picker input[value="${category}"]`).check({ force: true });
  await page.locator('#locate-me').click();
  await page.waitForFunction(() => document.querySelector('#event-form input[name="lat"]').value !== '');
  await page.locator('#event-form textarea[name="description"]').fill(description);
  if (expectDuplicate) {
    consoleErrors?.expectHttpError('/events/new', 409);
    await Promise.all([page.waitForLoadState('load'), page.locator('#report-submit').click()]);
    await page.locator('#duplicates').waitFor();
    assert.ok((await page.locator('#duplicates a.dup-link').count()) >= 1, 'the likely duplicate is listed');
    assert.equal(await page.locator('#event-form textarea[name="description"]').inputValue(), description, 'typed text kept');
    await screenshot(page, 'event-new-duplicates');
    await Promise.all([page.waitForURL(/\/events\/\d+\?reported=1$/), page.locator('#report-anyway').click()]);
  } else {
    await Promise.all([page.waitForURL(/\/events\/\d+\?reported=1$/), page.locator('#report-submit').click()]);
  }
  return Number(new URL(page.url()).pathname.split('/').pop());
}

describe('events', () => {
  const env = useServerAndBrowser();
  const shared = {};

  it('a resident reports on /report from a phone and follows the tracking link', async () => {
    await withPage(env, async ({ page }) => {
      await page.setViewportSize(PHONE);
      await page.goto('/login');
      await Promise.all([page.waitForURL('**/report'), page.locator('#public-report-link').click()]);
      await waitForSmallMap(page, 'pick-map');
      const cats = await page.locator('#report-form select[name="category"] option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
      assert.ok(cats.length > 10 && cats.every((c) => /^[EB]\d{4}$/.test(c)), `only 部件/事件 categories: ${cats}`);
      await page.locator('#report-form select[name="category"]').selectOption('B0103');
      await clickShapeCentre(page, page.locator('#pick-map path.grid-shape').first());
      assert.notEqual(await page.locator('#report-form input[name="lat"]').inputValue(), '', 'the map click set the point');
      await page.locator('#report-form textarea[name="description"]').fill('小区门口路灯不亮已经三天了');
      await page.locator('#report-form input[name="name"]').fill('王先生');
      await page.locator('#report-form input[name="contact"]').fill('13812345678');
      await addPhoto(page.locator('#report-form'));
      await screenshot(page, 'report-phone');
      keepForDocs('report-phone', 'report-phone.png');
      await Promise.all([page.waitForLoadState('load'), page.locator('#report-submit').click()]);
      const link = await page.locator('#track-link').getAttribute('href');
      assert.match(link, /^\/track\/[0-9a-f]{32}$/);
      await screenshot(page, 'report-done-phone');
      await Promise.all([page.waitForURL(`**${link}`), page.locator('#track-link').click()]);
      assert.equal((await page.locator('#track-status').textContent()).trim(), '上报');
      const first = page.locator('#track-timeline li').first();
      assert.match(await first.textContent(), /公众/);
      await screenshot(page, 'track-phone');
    });
  });

  it('bad input keeps what was typed: the public form without a description, the worker form without a category', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await page.goto('/report');
      await page.locator('#report-form select[name="category"]').selectOption('E0102');
      await page.locator('#report-form select[name="grid_code"]').selectOption(GRID1);
      await page.locator('#report-form input[name="address"]').fill('翠苑路12号东门');
      consoleErrors.expectHttpError('/report', 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#report-submit').click()]);
      assert.match(await page.locator('#description-error').textContent(), /描述|说明|填写/);
      assert.equal(await page.locator('#report-form input[name="address"]').inputValue(), '翠苑路12号东门');
      assert.equal(await page.locator('#report-form select[name="category"]').inputValue(), 'E0102');
      assert.equal(await page.locator('#report-form select[name="grid_code"]').inputValue(), GRID1);
      await screenshot(page, 'report-error');

      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.goto('/events/new');
      await page.locator('#event-form textarea[name="description"]').fill('井盖缺失');
      await page.locator('#event-form select[name="grid_code"]').selectOption(GRID1);
      consoleErrors.expectHttpError('/events/new', 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#report-submit').click()]);
      assert.ok(await page.locator('#cat-picker ~ .field-error, fieldset .field-error').first().isVisible(), 'the category error is shown');
      assert.equal(await page.locator('#event-form textarea[name="description"]').inputValue(), '井盖缺失');
    });
  });

  it('the whole loop: worker reports, street dispatches, department handles from its queue, worker verifies, street closes, resident rates', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      const track = await publicReport(page, { category: 'E0102', description: '垃圾桶旁堆了很多垃圾', grid: GRID1, address: '翠苑一区3幢' });
      shared.track = track;

      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.setViewportSize(PHONE);
      const id = await workerReport(page, { category: 'E0102', description: '3幢旁暴露垃圾约两方', expectDuplicate: true, consoleErrors });
      await page.setViewportSize({ width: 1280, height: 800 });
      const publicId = Number(await page.evaluate(async (t) => {
        const html = await (await fetch(t)).text();
        return html.match(/#(\d+)/)[1];
      }, track));

      await page.context().clearCookies();
      await login(page, 'demo_street', DEMO_PASSWORD);
      await page.goto('/events?status=open');
      assert.equal(await page.locator(`#events-table tr[data-id="${id}"]`).count(), 1, 'the street lists it');
      await screenshot(page, 'events-street');
      for (const e of [id, publicId]) {
        await act(page, e, 'accept');
        await act(page, e, 'register', (f) => f.locator('textarea[name="note"]').fill('符合立案条件'));
        await act(page, e, 'dispatch', (f) => f.locator('select[name="department"]').selectOption('chengguan'));
      }
      assert.match(await page.locator('#event-departments').textContent(), /城市管理/);

      await page.context().clearCookies();
      await login(page, 'demo_department', DEMO_PASSWORD);
      await page.goto('/events');
      assert.equal(await page.locator('#view-queue').getAttribute('class'), 'on', 'a department opens on its queue');
      for (const e of [id, publicId]) assert.equal(await page.locator(`#events-table tr[data-id="${e}"]`).count(), 1);
      await screenshot(page, 'events-queue');
      for (const e of [id, publicId]) {
        await act(page, e, 'handle', async (f) => {
          await f.locator('textarea[name="note"]').fill('已清运完毕');
          await addPhoto(f);
        });
      }

      await page.context().clearCookies();
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      for (const e of [id, publicId]) {
        await act(page, e, 'verify', (f) => f.locator('textarea[name="note"]').fill('现场核查已清理'));
      }

      await page.context().clearCookies();
      await login(page, 'demo_street', DEMO_PASSWORD);
      for (const e of [id, publicId]) await act(page, e, 'close');
      await page.goto(`/events/${id}`);
      const steps = await page.locator('#event-timeline li').evaluateAll((ls) => ls.map((l) => l.dataset.action));
      assert.deepEqual(steps, ['report', 'accept', 'register', 'dispatch', 'handle', 'verify', 'close']);
      const proof = page.locator('#event-timeline li[data-action="handle"] .photos img');
      assert.equal(await proof.count(), 1, 'the handling photo is on the timeline');
      await proof.evaluate((img) => img.complete || new Promise((r) => (img.onload = r)));
      assert.ok(await proof.evaluate((img) => img.naturalWidth > 0), 'the thumbnail loads');
      assert.equal((await page.locator('#event-status').textContent()).trim(), '结案');
      await waitForSmallMap(page, 'event-map');
      await screenshot(page, 'event');
      keepForDocs('event', 'event.png');

      await page.context().clearCookies();
      await page.goto(track);
      assert.equal((await page.locator('#track-status').textContent()).trim(), '结案');
      const actors = await page.locator('#track-timeline .who').allTextContents();
      assert.ok(!actors.some((a) => a.startsWith('demo_')), `no staff names on the public page: ${actors}`);
      const pub = page.locator('#track-timeline li[data-action="handle"] .photos img');
      assert.equal(await pub.count(), 1, 'the reporter sees the proof photo');
      await pub.evaluate((img) => img.complete || new Promise((r) => (img.onload = r)));
      assert.ok(await pub.evaluate((img) => img.naturalWidth > 0), 'through the tracking link');
      await page.locator('#rate-form input[name="satisfaction"][value="5"]').check();
      await page.locator('#rate-form textarea[name="note"]').fill('处理很及时');
      await Promise.all([page.waitForURL(/\?done=evaluate$/), page.locator('#rate-submit').click()]);
      assert.equal((await page.locator('#track-status').textContent()).trim(), '评价');
      assert.equal((await page.locator('#track-satisfaction').textContent()).trim(), '5/5');
      await screenshot(page, 'track-rated');
    });
  });

  it('two tabs acting on one event: the second gets a 409 in Chinese and keeps its note', async () => {
    await withPage(env, async ({ page, context, consoleErrors }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      const id = await workerReport(page, { category: 'E0201', description: '电线杆上贴满小广告' });
      await context.clearCookies();
      await login(page, 'demo_street', DEMO_PASSWORD);
      const tab2 = await context.newPage();
      await page.goto(`/events/${id}`);
      await tab2.goto(`/events/${id}`);
      await act(page, id, 'accept');
      await tab2.locator('#act-accept textarea[name="note"]').fill('同意受理');
      consoleErrors.expectHttpError(`/events/${id}/act`, 409);
      const tab2Errors = [];
      tab2.on('console', (m) => { if (m.type() === 'error' && !/status of 409/.test(m.text())) tab2Errors.push(m.text()); });
      const [res] = await Promise.all([tab2.waitForResponse((r) => r.url().endsWith(`/events/${id}/act`)), tab2.locator('#act-accept button[type="submit"]').click()]);
      assert.equal(res.status(), 409);
      await tab2.waitForLoadState('load');
      assert.match(await tab2.locator('#act-accept .error').textContent(), /事件|状态|更新/);
      assert.equal(await tab2.locator('#act-accept textarea[name="note"]').inputValue(), '同意受理');
      await screenshot(tab2, 'event-409');
      assert.deepEqual(tab2Errors, []);
      await tab2.close();
    });
  });

  it('the street accepts several events at once from the list', async () => {
    await withPage(env, async ({ page, context }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.goto('/events');
      const ids = await page.evaluate(async (grid) => {
        const csrf = document.querySelector('#logout-form input[name="csrf"]').value;
        const out = [];
        for (const [category, description] of [['E0301', '夜间施工噪音'], ['E0502', '流动摊贩聚集']]) {
          const r = await fetch('/api/v1/events', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
            body: JSON.stringify({ category, description, grid_code: grid }),
          });
          out.push((await r.json()).id);
        }
        return out;
      }, GRID1);
      await context.clearCookies();
      await login(page, 'demo_street', DEMO_PASSWORD);
      await page.goto('/events?status=reported');
      for (const id of ids) await page.locator(`#events-table input[name="id_${id}"]`).check();
      await page.locator('#bulk-form select[name="action"]').selectOption('accept');
      await Promise.all([page.waitForURL(/bulk_ok=2/), page.locator('#bulk-submit').click()]);
      assert.match(await page.locator('#bulk-notice').textContent(), /2/);
      assert.equal(await page.locator('#bulk-failed').count(), 0);
      await page.goto('/events?status=accepted');
      for (const id of ids) assert.equal(await page.locator(`#events-table tr[data-id="${id}"]`).count(), 1, `#${id} accepted`);
    });
  });

  it('a duplicate is merged into the first report from the event page; both timelines and the tracking page say so', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      const first = await workerReport(page, { category: 'E0101', description: '人行道地砖破损一大片' });
      const dup = await workerReport(page, { category: 'E0101', description: '地砖坏了容易绊倒', expectDuplicate: true, consoleErrors });
      const track = await publicReport(page, { category: 'E0101', description: '人行道砖头松动', grid: GRID1, address: '翠苑一区南门' });
      const publicId = Number((await page.locator('#report-id').textContent()).replace(/\D/g, ''));

      await page.context().clearCookies();
      await login(page, 'demo_street', DEMO_PASSWORD);
      await page.goto(`/events/${dup}`);
      await page.locator('#side-actions summary').click();
      const form = page.locator('#act-merge');
      // The first report is offered (ticked) among the open events of the category nearby; not the event itself.
      assert.ok(await form.locator(`input[name="into"][value="${first}"]`).isChecked(), 'the original is offered');
      assert.equal(await form.locator(`input[name="into"][value="${dup}"]`).count(), 0);
      // A number that is no event: the form comes back with the message and what was typed.
      consoleErrors.expectHttpError(`/events/${dup}/act`, 404);
      await form.locator('input[name="into_other"]').fill('999999');
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      assert.match(await page.locator('#act-merge .error').textContent(), /999999/);
      assert.equal(await page.locator('#act-merge input[name="into_other"]').inputValue(), '999999');
      await page.locator('#act-merge input[name="into_other"]').fill('');
      await page.locator('#act-merge textarea[name="note"]').fill('同一处地砖');
      await screenshot(page, 'event-merge-form');
      await Promise.all([page.waitForURL(new RegExp(`/events/${dup}\\?done=merge$`)), page.locator('#act-merge button[type="submit"]').click()]);
      assert.equal((await page.locator('#event-status').textContent()).trim(), '作废');
      assert.match(await page.locator('#event-merged-into').textContent(), new RegExp(`已合并至 #${first}`));
      const mine = page.locator('#event-timeline li[data-action="merge"]');
      assert.match(await mine.textContent(), new RegExp(`合并至 #${first}：同一处地砖`));
      assert.equal(await page.locator('#no-actions').count(), 1, 'nothing more to do on the duplicate');
      await screenshot(page, 'event-merged');

      // The public report of the same thing, merged by its number typed in the free field.
      await act(page, publicId, 'merge', (f) => f.locator('input[name="into_other"]').fill(String(first)));
      await page.goto(`/events/${first}`);
      assert.match(await page.locator('#event-merged-from').textContent(), new RegExp(`#${dup}.*#${publicId}`));
      const theirs = await page.locator('#event-timeline li[data-action="merge"]').allTextContents();
      assert.equal(theirs.length, 2);
      assert.match(theirs[0], new RegExp(`合并 #${dup}`));
      assert.equal((await page.locator('#event-status').textContent()).trim(), '上报', 'the target keeps its state');
      await screenshot(page, 'event-merge-target');
      await act(page, first, 'accept');

      // The reporter's tracking link now follows the event it was merged into.
      await page.context().clearCookies();
      await page.goto(track);
      assert.equal((await page.locator('#track-status').textContent()).trim(), '作废');
      assert.equal((await page.locator('#track-merged-id').textContent()).trim(), `#${first}`);
      assert.equal((await page.locator('#track-target-status').textContent()).trim(), '受理');
      const steps = await page.locator('#track-target-timeline li').evaluateAll((ls) => ls.map((l) => l.dataset.action));
      assert.deepEqual(steps, ['report', 'merge', 'merge', 'accept']);
      const who = await page.locator('#track-target-timeline .who').allTextContents();
      assert.ok(!who.some((a) => a.startsWith('demo_')), `no staff names: ${who}`);
      assert.equal(await page.getByText('人行道地砖破损一大片').count(), 0, 'not the other report\'s words');
      await screenshot(page, 'track-merged');
    });
  });

  it('indicators for the district and the event list in English', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_district', DEMO_PASSWORD);
      await page.goto('/events/indicators');
      assert.ok(Number(await page.locator('#kpi-reported').textContent()) >= 3);
      assert.equal((await page.locator('#kpi-closure-rate').textContent()).trim().endsWith('%'), true);
      assert.ok((await page.locator('#by-department tbody tr').count()) >= 1);
      // Charts above the tables, drawn by the embedded ECharts as SVG (so the CSP's script-src 'self' holds:
      // a violation is a console error and fails the test). They name what the tables name.
      const chartText = async (id) => {
        await page.locator(`#${id} svg text`).first().waitFor();
        return (await page.locator(`#${id} svg text`).allTextContents()).join('|');
      };
      const topCategory = await page.locator('#by-category tbody tr').evaluateAll((rows) => {
        const cells = (r) => r.querySelectorAll('td');
        const best = rows.reduce((a, r) => (Number(cells(r)[1].textContent) > Number(cells(a)[1].textContent) ? r : a));
        return cells(best)[0].firstChild.textContent.trim();
      });
      const categories = await chartText('chart-by-category');
      assert.ok(categories.includes(topCategory), `the most reported category ${topCategory} in the chart: ${categories}`);
      assert.match(categories, /上报数/);
      assert.match(categories, /结案数/);
      const department = await page.locator('#by-department tbody tr td:first-child').first().evaluate((td) => td.firstChild.textContent.trim());
      const departments = await chartText('chart-by-department');
      assert.ok(departments.includes(department), `${department} in the chart: ${departments}`);
      assert.match(departments, /按期结案率/);
      assert.match(departments, /按时处置率/);
      assert.match(await chartText('chart-kpis'), /结案率.*按期结案率.*按时处置率/);
      assert.ok((await page.locator('#chart-by-category').boundingBox()).y < (await page.locator('#by-category').boundingBox()).y, 'the chart above its table');
      await screenshot(page, 'event-indicators');
      // In English the charts say it in English; a period without events shows 暂无数据, not an empty chart.
      await page.goto('/events/indicators?lang=en');
      const en = await chartText('chart-by-category');
      assert.match(en, /Reported/);
      assert.doesNotMatch(en, /上报数/);
      assert.match(await chartText('chart-by-department'), /Closed on time/);
      await screenshot(page, 'event-indicators-en');
      await page.goto('/events/indicators?lang=zh&from=2001-01-01&to=2001-01-31');
      assert.equal(await page.locator('.chart').count(), 0);
      assert.equal((await page.locator('#chart-by-category-empty').textContent()).trim(), '暂无数据');
      assert.equal((await page.locator('#chart-by-department-empty').textContent()).trim(), '暂无数据');
      await page.goto('/events/indicators');
      // By person (GB/T 30428.4 岗位): the worker who reported and verified, the department that handled.
      const worker = page.locator('#by-person tr[data-key="demo_grid_worker"]');
      assert.match(await worker.textContent(), /网格员 刘芳/);
      assert.match((await worker.locator('.valid-rate').textContent()).trim(), /%$/);
      assert.equal(await page.locator('#by-person tr[data-key="demo_department"]').count(), 1);
      // Sorted by 有效上报率 first; the 上报数 header re-sorts, keeping the filters, and offers the way back.
      await page.locator('#sort-reported').click();
      await page.waitForURL(/psort=reported/);
      assert.equal(await page.locator('#by-person tbody tr').first().getAttribute('data-key'), 'demo_grid_worker');
      assert.equal(await page.locator('#sort-valid-rate').count(), 1);
      await page.locator('#by-person').scrollIntoViewIfNeeded();
      await screenshot(page, 'event-indicators-by-person');
      await page.goto('/events?lang=en');
      assert.equal(await page.locator('h1').first().evaluate((h) => h.firstChild.textContent.trim()), 'Events');
      await screenshot(page, 'events-en');
    });
  });
});
