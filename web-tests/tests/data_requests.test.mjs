// 一表通 (issue #13): street staff send a department's table built from the department's own Excel template (each
// header cell explained, a refused admission item shown plainly), a grid worker answers only what the register
// lacks on a phone viewport — one row offline, stored once when the network returns — and the requester sees the
// progress and downloads the result in the template's layout.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useServerAndBrowser, withPage, openPage, login, screenshot, DEMO_PASSWORD, WEB_TESTS_DIR } from './helpers.mjs';

// A request made while the test holds the phone offline is logged by Chromium as a console error.
const NETWORK_DOWN = /net::ERR_(INTERNET_DISCONNECTED|FAILED|CONNECTION_RESET|NAME_NOT_RESOLVED)/;

const COMMUNITY1 = '330199001001';
const GRID1 = '33019900100101';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const TEMPLATE = path.join(WEB_TESTS_DIR, 'fixtures', 'data-request-template.xlsx');

async function api(page, p) {
  return page.evaluate(async (url) => {
    const r = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json() };
  }, p);
}

describe('一表通 data requests', () => {
  const env = useServerAndBrowser();
  let requestId;

  it('street staff send a table from the department template; a refused item is explained', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_street', DEMO_PASSWORD);
      await Promise.all([page.waitForURL('**/data-requests'), page.locator('#nav-data-requests').click()]);
      await Promise.all([page.waitForURL('**/data-requests/new'), page.locator('#dr-nav-new').click()]);
      const form = page.locator('#dr-form');
      await page.waitForSelector('#dr-form[data-ready="1"]');
      await form.locator('input[name="title"]').fill('残疾人冬季关爱走访登记');
      await form.locator('select[name="department_code"]').selectOption('canlian');
      await form.locator('select[name="region_code"]').selectOption(COMMUNITY1);
      await form.locator('select[name="tag"]').selectOption('disabled');
      await page.locator('#dr-template-file').setInputFiles(TEMPLATE);
      await page.locator('#dr-template-read').click();
      const cells = page.locator('#dr-template-cells');
      await cells.waitFor({ state: 'visible' });
      assert.equal(await cells.locator('tbody tr').count(), 7);
      assert.match(await cells.locator('tr[data-cell="C3"]').textContent(), /身份证号.*由登记信息预填/);
      assert.match(await cells.locator('tr[data-cell="F3"]').textContent(), /是否有取暖设备.*补充列由网格员填写/);
      assert.ok(await page.locator('#dr-fields input[value="tag:disabled.grade"]').isChecked(), 'the template ticked 残疾等级');
      assert.equal(await page.locator('#dr-extra-rows .dr-extra').count(), 2, 'two headers the register does not hold');
      // Make the heating question a required yes/no.
      const heating = page.locator('#dr-extra-rows .dr-extra').first();
      await heating.locator('select[name="x_type"]').selectOption('yes_no');
      await heating.locator('input[name="x_required"]').check();
      await screenshot(page, 'data-request-new');

      // Not on the admission list: refused with the reason, nothing sent.
      await form.locator('input[name="item_code"]').fill('CL-ZR-99');
      consoleErrors.expectHttpError('/api/v1/data-requests', 422);
      await page.locator('#dr-submit').click();
      await page.locator('#dr-error').waitFor({ state: 'visible' });
      assert.match(await page.locator('#dr-error').textContent(), /CL-ZR-99.*不能派给社区/);

      await form.locator('input[name="item_code"]').fill('CL-ZR-01');
      await Promise.all([page.waitForURL(/\/data-requests\/\d+$/), page.locator('#dr-submit').click()]);
      requestId = Number(page.url().split('/').pop());
      assert.equal((await page.locator('#dr-title').textContent()).trim(), '残疾人冬季关爱走访登记');
      assert.ok(Number(await page.locator('#dr-rows').textContent()) > 0);
      assert.match(await page.locator('#dr-prefilled').textContent(), /^\d+(\.\d)?%$/);
      const headers = await page.locator('#dr-row-table thead th').allTextContents();
      assert.deepEqual(headers.slice(1, 8), ['序号', '姓名', '身份证号', '联系电话', '残疾等级', '是否有取暖设备', '备注']);
      assert.ok(await page.locator(`#dr-progress tr[data-grid="${GRID1}"]`).isVisible());
      await screenshot(page, 'data-request');
    });
  });

  it('a grid worker answers on the phone, one row offline, and the requester downloads the result', async () => {
    assert.ok(requestId, 'the first test sent the table');
    const { context, page, consoleErrors } = await openPage(env, PHONE);
    try {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.goto('/m');
      await page.waitForSelector('#field-app[data-fetched]');
      const card = page.locator(`#data-requests a[data-request="${requestId}"]`);
      await card.waitFor();
      assert.match(await card.textContent(), /残疾人冬季关爱走访登记.*\d+行待填/);
      await card.click();
      const rows = page.locator('.f-dr-row');
      await rows.first().waitFor();
      const total = await rows.count();
      assert.ok(total >= 2, 'at least two rows in the grid');
      await rows.first().click();
      await page.locator('#dr-answer').waitFor();
      // What the register knows is shown, not asked.
      assert.match(await page.locator('#dr-known').textContent(), /姓名/);
      assert.equal(await page.locator('#dr-ask [name="name"]').count(), 0);
      await page.locator('#dr-ask select[name="x1"]').selectOption('是');
      await page.locator('#dr-ask input[name="x2"]').fill('电暖器已检查');
      await screenshot(page, 'data-request-phone-row');
      await page.locator('#dr-save').click();
      await page.waitForSelector('#sync-status[data-state="synced"][data-pending="0"]');
      // Answered: no longer among the rows to fill (shown as saved until the day's list is fetched again).
      await page.waitForFunction((n) => document.querySelectorAll('.f-dr-row:not(.is-done)').length === n - 1, total);

      // Offline: the answer waits in the outbox and goes once the network is back.
      await context.setOffline(true);
      await page.locator('.f-dr-row:not(.is-done)').first().click();
      await page.locator('#dr-ask select[name="x1"]').selectOption('否');
      await page.locator('#dr-save').click();
      await page.waitForSelector('#sync-status[data-state="offline"][data-pending="1"]');
      await screenshot(page, 'data-request-phone-offline');
      await context.setOffline(false);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForSelector('#sync-status[data-state="synced"][data-pending="0"]', { timeout: 20_000 });
      const r = await api(page, `/api/v1/data-requests/${requestId}/rows?grid=${GRID1}&status=answered`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.items.length, 2, 'two answers, each stored once');
      assert.deepEqual(r.body.items.map((x) => x.values.x1).sort(), ['否', '是']);
      await page.waitForTimeout(100);
      const errs = consoleErrors.errors().filter((e) => !NETWORK_DOWN.test(e.text));
      assert.deepEqual(errs.map((e) => `${e.text} (${e.url})`), [], 'the phone app logged console errors');
    } finally {
      await context.close();
    }
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_street', DEMO_PASSWORD);
      await page.goto(`/data-requests/${requestId}`);
      assert.equal((await page.locator('#dr-answered').textContent()).trim(), '2');
      const download = await page.request.get(`/api/v1/data-requests/${requestId}/result.xlsx`);
      assert.equal(download.status(), 200);
      assert.match(download.headers()['content-type'], /spreadsheetml/);
      await screenshot(page, 'data-request-answered');
      await page.goto('/data-requests/report');
      assert.match(await page.locator('#dr-total-percent').textContent(), /%/);
      await screenshot(page, 'data-request-report');
    });
  });
});
