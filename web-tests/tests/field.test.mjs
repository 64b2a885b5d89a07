// The grid worker's phone app (/m, issue #6) in a 390×844 touch viewport against the real field API: a due
// visit in at most three screens (timed), offline work queued and stored exactly once when the network returns
// (even when the first answer is lost and the photo's upload must not repeat), no sideways scrolling and
// 44 px touch targets on every screen, a rejected item shown plainly and discarded, and a patrol with its track.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, crc32 } from 'node:zlib';
import { useServerAndBrowser, collectConsoleErrors, login, screenshot, DEMO_PASSWORD } from './helpers.mjs';

const COMMUNITY1 = '330199001001';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
// A failed request while offline (or one the test cuts on purpose) is logged by Chromium as a console error.
const NETWORK_DOWN = /net::ERR_(INTERNET_DISCONNECTED|FAILED|CONNECTION_RESET|NAME_NOT_RESOLVED)/;

/**
 * A fresh phone context signed in as the demo grid worker, the app opened on today's list. Console errors fail
 * the test, except network failures where `offlineOk` says the test cuts the network itself.
 */
async function withPhone(env, opts, fn) {
  if (typeof opts === 'function') [opts, fn] = [{}, opts];
  if (env.startError) throw env.startError;
  const context = await env.browser.newContext({
    baseURL: env.server.url,
    locale: opts.locale || 'zh-CN',
    ...PHONE,
    ...(opts.geolocation ? { geolocation: opts.geolocation, permissions: ['geolocation'] } : {}),
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const consoleErrors = collectConsoleErrors(page);
  try {
    await login(page, 'demo_grid_worker', DEMO_PASSWORD);
    await openApp(page);
    await fn({ context, page });
    await page.waitForTimeout(100);
    for (const [path, status] of opts.httpErrors || []) consoleErrors.expectHttpError(path, status);
    const errs = consoleErrors.errors().filter((e) => !(opts.offlineOk && NETWORK_DOWN.test(e.text)));
    assert.deepEqual(errs.map((e) => `${e.text} (${e.url}) on ${e.page}`), [], 'the app logged console errors');
  } finally {
    await context.close();
  }
}

/** Opens /m and waits until today's list came from the server. */
async function openApp(page, hash = '') {
  await page.goto('/m' + hash);
  await page.waitForSelector('#field-app[data-fetched]');
  await page.waitForSelector('#view[data-route]');
}

/** Waits until the outbox is empty and the bar says so. */
async function waitSynced(page, timeout = 20_000) {
  await page.waitForSelector('#sync-status[data-state="synced"][data-pending="0"]', { timeout });
}

/** An API call as another demo user (bearer token), e.g. community staff setting up a patrol route. */
async function apiAs(env, username, method, path, body) {
  const base = env.server.url;
  const login = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  assert.equal(login.status, 200);
  const { token } = await login.json();
  const r = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: body ? JSON.stringify(body) : undefined,
  });
  const out = await r.json();
  assert.ok(r.ok, `${method} ${path} → ${r.status} ${JSON.stringify(out)}`);
  return out;
}

/** GET an API path with the page's session. */
async function api(page, path) {
  return page.evaluate(async (p) => {
    const r = await fetch(p, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json() };
  }, path);
}

async function serverDay(page) {
  const r = await api(page, '/api/v1/field/today');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.day;
}

async function dayLog(page, day) {
  const r = await api(page, `/api/v1/field/log?day=${day}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const count = (xs, pred) => xs.filter(pred).length;

/** Logs a visit from today's list: tap the person, set the situation, write a note, save. */
async function logVisit(page, personId, note, { photo: withPhoto = false } = {}) {
  if (!(await page.locator('#view[data-route="today"]').count())) await page.goto('/m#/today');
  await page.locator(`.f-visit[data-person="${personId}"]`).click();
  await page.locator('#visit-form').waitFor();
  await page.locator('#visit-form .f-chip:has(input[name="situation"][value="attention"])').tap();
  await page.locator('#visit-form textarea[name="note"]').fill(note);
  if (withPhoto) {
    await page.locator('#visit-form input[type="file"]').setInputFiles(photo());
    await page.locator('#visit-form .f-preview:not([hidden])').waitFor();
  }
  await page.locator('#visit-save').tap();
  await page.locator('#view[data-route="saved"]').waitFor();
}

/** A 2400×1800 PNG, so the app has to scale it down to 1600 px before queuing. */
function photo() {
  const [w, h] = [2400, 1800];
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set([x % 256, y % 256, 140], y * (w * 3 + 1) + 1 + x * 3);
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
  return { name: 'site.png', mimeType: 'image/png', buffer: png };
}

/** A valid 18-character 身份证号 (GB 11643 check character) for the given first 17 digits. */
function idNumber(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

/** Person ids of the due visits on today's list, in the order shown. */
async function duePeople(page) {
  return page.locator('.f-visit:not(.is-done)').evaluateAll((els) => els.map((e) => e.dataset.person));
}

describe('field app on the phone', () => {
  const env = useServerAndBrowser();

  it('logs a due visit in at most three screens, syncs it once, and reports a finding pre-filled', async () => {
    await withPhone(env, async ({ page }) => {
      await screenshot(page, 'field-today');
      const due = await duePeople(page);
      assert.ok(due.length >= 1, 'the demo grid worker has due visits');
      // Key-group people (社区矫正, 严重精神障碍…) carry their badge; nobody else does.
      const today = (await api(page, '/api/v1/field/today')).body;
      const keyGroup = today.visits.filter((v) => v.key_group).map((v) => String(v.person_id));
      assert.ok(keyGroup.length >= 1, 'the demo grid has key-group people due');
      for (const v of today.visits) {
        const badges = await page.locator(`.f-visit[data-person="${v.person_id}"] .f-badge.is-key-group`).count();
        assert.equal(badges, keyGroup.includes(String(v.person_id)) ? 1 : 0, `person ${v.person_id}`);
      }
      assert.equal((await page.locator('.f-badge.is-key-group').first().textContent()).trim(), '重点人群');
      const pid = due[0];
      // Every route change is a new screen; the list we start on is the first.
      await page.evaluate(() => {
        window.__screens = [location.hash];
        addEventListener('hashchange', () => window.__screens.push(location.hash));
      });
      const t0 = Date.now();
      await page.locator(`.f-visit[data-person="${pid}"]`).tap();
      await page.locator('#visit-form').waitFor();
      await page.locator('#visit-form textarea[name="note"]').fill('身体尚好，按时服药，子女每周来看望');
      await screenshot(page, 'field-visit');
      await page.locator('#visit-save').tap();
      await page.locator('#view[data-route="saved"]').waitFor();
      const elapsed = Date.now() - t0;
      const screens = await page.evaluate(() => window.__screens);
      console.log(`# visit flow: ${screens.length} screens (${screens.join(' → ')}), ${elapsed} ms`);
      assert.ok(screens.length <= 3, `the visit took ${screens.length} screens: ${screens.join(' → ')}`);
      assert.ok(elapsed < 30_000, `the visit took ${elapsed} ms`);
      await page.waitForSelector('#saved-status[data-synced="1"]');
      await screenshot(page, 'field-saved');
      const day = await serverDay(page);
      const log = await dayLog(page, day);
      assert.equal(count(log.visits, (v) => String(v.person_id) === pid), 1, `one visit of ${pid} in ${JSON.stringify(log.visits)}`);
      const name = log.visits.find((v) => String(v.person_id) === pid).person_name;

      // 只报一次: the finding becomes an event with the person, place, category and text already filled in.
      await page.locator('#finding').tap();
      await page.locator('#event-form').waitFor();
      const description = await page.locator('#event-form textarea[name="description"]').inputValue();
      assert.ok(description.includes(name) && description.includes('按时服药'), description);
      assert.notEqual(await page.locator('#event-form select[name="category"]').inputValue(), '', 'a category is chosen');
      assert.notEqual(await page.locator('#event-form input[name="address"]').inputValue(), '', 'the address is filled');
      await screenshot(page, 'field-finding');
      await page.locator('#event-submit').tap();
      await page.waitForSelector('#saved-status[data-synced="1"]');
      const after = await dayLog(page, day);
      assert.equal(count(after.events, (e) => e.description === description), 1, JSON.stringify(after.events));
    });
  });

  it('queues work offline and stores each item exactly once when the network returns', async () => {
    await withPhone(env, { offlineOk: true }, async ({ context, page }) => {
      const due = await duePeople(page);
      assert.ok(due.length >= 2, `two due visits needed, found ${due.length}`);
      const [p1, p2] = due;
      const hazardText = `楼道堆放杂物堵塞消防通道 ${Date.now()}`;

      await context.setOffline(true);
      await page.waitForSelector('#sync-status[data-state="offline"]');
      await logVisit(page, p1, '离线走访一：老人独居，情况稳定', { photo: true });
      assert.equal(await page.locator('#saved-status[data-synced="0"]').count(), 1, 'saved on the phone, not yet synced');
      await page.locator('#back-today').tap();
      await logVisit(page, p2, '离线走访二：家中无人，邻居说外出就医');
      await page.goto('/m#/report');
      await page.locator('#quick-hazard').tap();
      await page.locator('#event-form .f-chip').first().tap();
      await page.locator('#event-form textarea[name="description"]').fill(hazardText);
      await page.locator('#event-submit').tap();
      await page.locator('#view[data-route="saved"]').waitFor();

      // Queued, and visible as such on today's screen.
      await page.goto('/m#/today');
      await page.waitForSelector('#outbox');
      const queued = await page.locator('#outbox .f-ob').evaluateAll((els) => els.map((e) => e.dataset.kind));
      assert.deepEqual(queued, ['visit', 'visit', 'event']);
      assert.equal(await page.locator('#sync-status').getAttribute('data-pending'), '3');
      assert.equal(await page.locator(`.f-visit[data-person="${p1}"].is-done`).count(), 1, 'the visited person is marked');
      // The 2400×1800 photo waits in IndexedDB as a JPEG no larger than 1600 px.
      const kept = await page.evaluate(() => new Promise((resolve, reject) => {
        const open = indexedDB.open('wangge-field-demo_grid_worker');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('outbox').objectStore('outbox').getAll();
          all.onsuccess = async () => {
            const item = all.result.find((i) => i.photo);
            const bmp = await createImageBitmap(item.photo);
            resolve({ type: item.photo.type, width: bmp.width, height: bmp.height, photoId: item.photo_id });
          };
        };
      }));
      assert.deepEqual(kept, { type: 'image/jpeg', width: 1600, height: 1200, photoId: null });

      // A reload while offline: the shell from the service worker, the day and the queue from IndexedDB.
      await page.reload();
      await page.waitForSelector('#view[data-route="today"] #outbox');
      assert.equal(await page.locator('#outbox .f-ob').count(), 3);
      await page.waitForSelector('#stale');
      await screenshot(page, 'field-offline-queue');

      // Back online, the first sync's answer is lost after the server stored everything: the phone must
      // send again and get `duplicate`, and the photo must not be uploaded a second time.
      const uploads = [];
      const syncBodies = [];
      const syncAnswers = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/api/v1/attachments')) uploads.push(r.url());
      });
      page.on('response', async (r) => {
        if (r.url().endsWith('/api/v1/field/sync')) syncAnswers.push(await r.json().catch(() => null));
      });
      let cutDone;
      const cut = new Promise((resolve) => (cutDone = resolve));
      let firstAnswer = null;
      await context.route('**/api/v1/field/sync', async (route) => {
        syncBodies.push(route.request().postDataJSON());
        if (syncBodies.length === 1) {
          const res = await route.fetch();
          firstAnswer = await res.json();
          await route.abort('connectionreset');
          return cutDone();
        }
        return route.continue();
      });
      await context.setOffline(false);
      await cut;
      assert.deepEqual(firstAnswer.results.map((r) => r.status), ['created', 'created', 'created'], JSON.stringify(firstAnswer));
      // The lost answer leaves the queue as it was; a tap on the bar ("sync now") sends it again.
      await page.waitForFunction(() => document.querySelectorAll('#outbox .f-ob').length === 3 && document.querySelector('#sync-status').dataset.state !== 'syncing');
      await page.locator('#sync-status').tap();
      await waitSynced(page);
      assert.equal(uploads.length, 1, 'the photo was uploaded once');
      const second = syncAnswers.filter(Boolean).pop();
      assert.deepEqual(second.results.map((r) => r.status), ['duplicate', 'duplicate', 'duplicate'], JSON.stringify(second));
      const sentKeys = syncBodies[0].items.map((i) => i.key);
      assert.deepEqual(syncBodies[1].items.map((i) => i.key), sentKeys, 'the resend carried the same keys');
      assert.ok(syncBodies[0].items[0].data.attachments?.length === 1, 'the visit names its photo');

      const day = await serverDay(page);
      const check = async () => {
        const log = await dayLog(page, day);
        assert.equal(count(log.visits, (v) => String(v.person_id) === p1), 1, `visit of ${p1}: ${JSON.stringify(log.visits)}`);
        assert.equal(count(log.visits, (v) => String(v.person_id) === p2), 1, `visit of ${p2}`);
        assert.equal(count(log.events, (e) => e.description === hazardText), 1, `the hazard: ${JSON.stringify(log.events)}`);
      };
      await check();

      // Reload and flush again, and replay the very first request by hand: still one of each.
      await context.unroute('**/api/v1/field/sync');
      await openApp(page);
      await page.locator('#sync-status').tap();
      await waitSynced(page);
      const replay = await page.evaluate(async (body) => {
        const csrf = document.getElementById('field-app').dataset.csrf;
        const r = await fetch('/api/v1/field/sync', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify(body),
        });
        return r.json();
      }, syncBodies[0]);
      assert.deepEqual(replay.results.map((r) => r.status), ['duplicate', 'duplicate', 'duplicate']);
      await check();
      await screenshot(page, 'field-after-sync');

      // The service worker holds the shell and its assets, never an API answer (the data lives in IndexedDB).
      const cached = await page.evaluate(async () => {
        const out = [];
        for (const name of await caches.keys()) {
          for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname);
        }
        return out.sort();
      });
      assert.deepEqual(cached, ['/assets/favicon.svg', '/assets/field.css', '/assets/field.js', '/m']);
    });
  });

  it('never scrolls sideways and keeps every touch target at least 44 px tall', async () => {
    for (const locale of ['zh-CN', 'en-US']) {
      await withPhone(env, { locale }, async ({ page }) => {
        const due = await duePeople(page);
        const routes = ['#/today', '#/report', '#/report/hazard', '#/report/instability', '#/report/migrant', '#/report/moveout', '#/event', '#/patrol', '#/log'];
        if (due.length) routes.push(`#/visit/${due[0]}`, `#/report/moveout/${due[0]}`);
        for (const hash of routes) {
          await page.goto('/m' + hash);
          await page.waitForSelector('#view[data-route]');
          if (hash === '#/log') await page.waitForSelector('#log-form');
          // The search box of the migrant form is folded: open it so its controls are measured too.
          if (hash === '#/report/migrant') await page.locator('details.f-more summary').tap();
          const m = await page.evaluate(() => {
            const small = [];
            for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
              if (el.type === 'hidden') continue;
              const r = el.getBoundingClientRect();
              if (r.width === 0 && r.height === 0) continue;
              if (r.height < 44) small.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} "${(el.textContent || el.name || '').trim().slice(0, 20)}" ${Math.round(r.height)}px`);
            }
            return { scroll: document.documentElement.scrollWidth, inner: innerWidth, small };
          });
          assert.ok(m.scroll <= m.inner, `${hash} (${locale}) scrolls sideways: ${m.scroll} > ${m.inner}`);
          assert.deepEqual(m.small, [], `${hash} (${locale}) has touch targets under 44 px`);
        }
        await page.goto('/m#/report/migrant');
        await screenshot(page, `field-migrant-${locale}`);
        await page.goto('/m#/log');
        await page.waitForSelector('#log-form');
        await screenshot(page, `field-log-${locale}`);
      });
    }
  });

  it('shows a rejected migrant arrival with its reason, discards it, then registers one in a house found by address', async () => {
    await withPhone(env, async ({ page }) => {
      await page.goto('/m#/report/migrant');
      await page.locator('#migrant-form input[name="name"]').fill('赵来福');
      await page.locator('#migrant-form input[name="id_number"]').fill('123');
      await page.locator('#migrant-form input[name="house_code"]').fill('F0000000000000NOSUCH');
      await page.locator('#migrant-submit').tap();
      // A mistyped 身份证号 is caught on the phone, before anything is queued.
      await page.locator('#migrant-form .f-error').waitFor();
      assert.equal(await page.locator('#sync-status').getAttribute('data-pending'), '0');
      await page.locator('#migrant-form input[name="id_number"]').fill(idNumber('33019919900101002'));
      await page.locator('#migrant-submit').tap();
      await page.locator('#view[data-route="saved"]').waitFor();
      // The server knows no such house: the item stays, with the server's reason, in the page's language.
      await page.waitForSelector('#saved-status.f-error');
      await page.locator('#back-today').tap();
      const row = page.locator('#outbox .f-ob.is-rejected');
      await row.waitFor();
      const text = await row.textContent();
      assert.match(text, /房屋/, `the reason names the house: ${text}`);
      assert.doesNotMatch(text, / \/ /, 'only the Chinese half of the message');
      assert.equal(await page.locator('#sync-status').getAttribute('data-rejected'), '1');
      await screenshot(page, 'field-rejected');
      // Two taps: the first only arms the button.
      await row.locator('.f-discard').tap();
      assert.equal(await page.locator('#outbox .f-ob.is-rejected').count(), 1);
      await page.locator('#outbox .f-ob.is-rejected .f-discard').tap();
      await page.waitForSelector('#outbox .f-ob.is-rejected', { state: 'detached' });
      assert.equal(await page.locator('#sync-status').getAttribute('data-rejected'), '0');
      // Still gone after a reload: the discard reached IndexedDB.
      await openApp(page);
      assert.equal(await page.locator('#outbox .f-ob').count(), 0);

      // Done right: the house found by its address, the newcomer registered as a migrant in it.
      const address = (await page.locator('.f-visit .f-addr').first().textContent()).trim();
      const id = idNumber(`11010519950612${String(Date.now() % 1000).padStart(3, '0')}`);
      await page.goto('/m#/report/migrant');
      await page.locator('#migrant-form input[name="name"]').fill('赵来福');
      await page.locator('#migrant-form input[name="id_number"]').fill(id);
      await page.locator('details.f-more summary').tap();
      await page.locator('#house-q').fill(address);
      await page.locator('details.f-more button.f-small').tap();
      await page.locator('details.f-more button.f-row').first().tap();
      await page.waitForFunction(() => document.querySelector('#house-code').value !== '');
      await page.locator('#migrant-submit').tap();
      await page.waitForSelector('#saved-status[data-synced="1"]');
      const found = await api(page, `/api/v1/people?q=${id}`);
      assert.equal(found.body.items.length, 1, JSON.stringify(found.body));
      const person = found.body.items[0];
      assert.equal(person.population_type, 'migrant');
      assert.ok(person.tags.includes('migrant'), JSON.stringify(person));
      assert.equal(person.address, address);
    });
  });

  it("keeps the worker's note on the day's 民情日志", async () => {
    await withPhone(env, async ({ page }) => {
      await page.goto('/m#/log');
      await page.locator('#log-form').waitFor();
      const note = `今天走访顺利，桂花一区1幢楼道灯不亮已报修 ${Date.now()}`;
      await page.locator('#log-form textarea[name="note"]').fill(note);
      await page.locator('#log-save').tap();
      await page.waitForSelector('#log-saved:not(:empty)');
      await waitSynced(page);
      const log = await dayLog(page, await serverDay(page));
      assert.equal(log.note, note);
      // After a reload the note comes back from the server (the outbox is empty).
      await page.reload();
      await page.locator('#log-form').waitFor();
      assert.equal(await page.locator('#log-form textarea[name="note"]').inputValue(), note);
    });
  });

  it('marks an item rejected when its photo is refused, and uploads nothing twice', async () => {
    // The phone scales photos down, so the real server hardly ever refuses one; its 400 answer is staged here.
    await withPhone(env, { httpErrors: [['/api/v1/attachments', 400]] }, async ({ context, page }) => {
      let uploads = 0;
      await context.route('**/api/v1/attachments', (route) => {
        uploads++;
        return route.fulfill({
          status: 400,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'invalid_input', message: 'file: 文件过大（最大 10 MB） / file larger than 10 MB', details: { field: 'file' } } }),
        });
      });
      const [pid] = await duePeople(page);
      await logVisit(page, pid, '带照片的走访', { photo: true });
      await page.waitForSelector('#saved-status.f-error');
      const text = await page.locator('#saved-status').textContent();
      assert.match(text, /照片：文件过大/, text);
      await page.locator('#back-today').tap();
      await page.locator('#sync-status').tap();
      await page.waitForSelector('#sync-status:not([data-state="syncing"])');
      assert.equal(uploads, 1, 'a rejected item is not sent again by itself');
      assert.equal(await page.locator('#outbox .f-ob.is-rejected[data-kind="visit"]').count(), 1);
    });
  });

  it('records a patrol on a route: track points, a check-in, a refused check-in shown plainly, end', async () => {
    // The community sets the route up: the east gate where the worker stands, the west gate about 1 km away.
    const route = await apiAs(env, 'demo_community', 'POST', '/api/v1/field/routes', {
      region_code: COMMUNITY1,
      name: '夜间巡防',
      team: '清河巡防队',
      checkpoints: [
        { name: '东门', lat: 30.2741, lon: 120.1551, radius_m: 100 },
        { name: '西门', lat: 30.2741, lon: 120.1651, radius_m: 100 },
      ],
    });
    await withPhone(env, { geolocation: { latitude: 30.2741, longitude: 120.1551, accuracy: 10 } }, async ({ context, page }) => {
      await page.goto('/m#/patrol');
      await page.locator('#patrol-form').waitFor();
      await page.locator('#patrol-form select[name="route_id"]').selectOption(String(route.id));
      await page.locator('#patrol-start').tap();
      await page.locator('#patrol-on').waitFor();
      await page.locator('li.f-cp[data-point="东门"] button').tap();
      await page.waitForSelector('li.f-cp[data-point="东门"][data-done="1"]');
      await page.locator('li.f-cp[data-point="西门"] button').tap();
      // The server measures ~960 m to the west gate and refuses; the phone says so by the point.
      const refused = page.locator('li.f-cp[data-point="西门"] .is-error');
      await refused.waitFor();
      const why = await refused.textContent();
      assert.match(why, /米/, `the refusal gives the distance: ${why}`);
      assert.doesNotMatch(why, / \/ |data\./, 'the Chinese half, without the API field path');
      for (let i = 1; i <= 4; i++) {
        await context.setGeolocation({ latitude: 30.2741 + i * 0.0003, longitude: 120.1551, accuracy: 10 });
        await page.waitForFunction((n) => Number((document.querySelector('#patrol-points')?.textContent || '').match(/\d+/)?.[0] || 0) >= n, i + 1);
      }
      await screenshot(page, 'field-patrol');
      await page.locator('#patrol-end').tap();
      await page.locator('#patrol-form').waitFor();
      await waitSynced(page);
      const log = await dayLog(page, await serverDay(page));
      const p = log.patrols.find((x) => x.route_id === route.id);
      assert.ok(p, `the patrol is in the day's log: ${JSON.stringify(log.patrols)}`);
      assert.deepEqual(p.checkins, ['东门']);
      assert.ok(p.points >= 5 && p.ended_at, `points and end stored: ${JSON.stringify(p)}`);
    });
  });
});
