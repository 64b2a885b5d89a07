// Resident services (便民服务) in the browser: community staff accept an application at the window for a resident
// found in the register (a missing required material refused with the ticks kept), print the 受理回执 (screenshot
// and PDF); a resident applies online on a phone with uploaded materials, the station accepts it and the resident
// follows it and books a visit; the leader reads the statistics with charts; the community sees its admission list.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useServerAndBrowser, withPage, login, screenshot, ADMIN_PASSWORD, DEMO_PASSWORD, SCREENSHOT_DIR } from './helpers.mjs';

const GRID2 = '33019900100102';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const PDF = (label) => ({ name: `${label}.pdf`, mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4\n% ${label}\n`) });

async function api(env, token, method, p, body) {
  const res = await fetch(`${env.server.url}${p}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function token(env, user, password = DEMO_PASSWORD) {
  const r = await api(env, null, 'POST', '/api/v1/session', { username: user, password });
  assert.equal(r.status, 200);
  return r.body.token;
}

/** An adult of GRID2 with no application yet. */
async function freshApplicant(env) {
  const t = await token(env, 'admin', ADMIN_PASSWORD);
  const people = await api(env, t, 'GET', `/api/v1/people?region=${GRID2}&limit=100`);
  for (const p of people.body.items) {
    if (p.age < 18) continue;
    const apps = await api(env, t, 'GET', `/api/v1/applications?person=${p.id}`);
    const same = people.body.items.filter((x) => x.name === p.name).length;
    if (apps.body.total === 0 && same === 1) return p;
  }
  throw new Error('no fresh applicant');
}

describe('resident services', () => {
  const env = useServerAndBrowser();

  it('the front desk accepts an application for a resident of the register and prints the receipt', async () => {
    const person = await freshApplicant(env);
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await Promise.all([page.waitForURL('**/services/accept'), page.locator('#nav-services-accept').click()]);
      await page.locator('#sv-person-search').fill(person.name);
      const hit = page.locator(`#sv-person-results a[href*="person=${person.id}"]`);
      await hit.waitFor();
      await Promise.all([page.waitForURL(`**/services/accept?person=${person.id}*`), hit.click()]);
      assert.match(await page.locator('#sv-person').textContent(), new RegExp(person.name));
      await Promise.all([page.waitForURL('**item=MZ03*'), page.locator('#sv-item-select').selectOption('MZ03')]);
      const form = page.locator('#sv-accept-form');
      assert.equal((await page.locator('#sv-time-limit').textContent()).trim(), '10个工作日');
      // Only the ID card: refused with what is missing, the tick kept.
      await form.locator('input[value="居民身份证"]').check();
      await form.locator('input[name="window"]').fill('2号窗口');
      consoleErrors.expectHttpError('/services/accept', 422);
      await Promise.all([page.waitForLoadState('load'), page.locator('#sv-accept-submit').click()]);
      assert.match(await page.locator('#sv-received-error').textContent(), /临时救助申请书、遭遇困难的相关证明/);
      assert.ok(await page.locator('#sv-accept-form input[value="居民身份证"]').isChecked(), 'the tick is kept');
      assert.equal(await page.locator('#sv-accept-form input[name="window"]').inputValue(), '2号窗口');
      await screenshot(page, 'services-accept-missing');
      for (const m of ['临时救助申请书', '遭遇困难的相关证明']) await page.locator(`#sv-accept-form input[value="${m}"]`).check();
      await page.locator('#sv-accept-form textarea[name="note"]').fill('家中失火，申请临时救助');
      await Promise.all([page.waitForURL(/\/services\/applications\/\d+\?accepted=1$/), page.locator('#sv-accept-submit').click()]);
      assert.ok(await page.locator('#sv-notice').isVisible());
      assert.equal((await page.locator('#sv-status').textContent()).trim(), '已受理');
      assert.match(await page.locator('#sv-first').textContent(), /张红/);
      const no = (await page.locator('#sv-tracking-no').textContent()).trim();
      assert.match(no, /^FW001001\d{12}$/);
      await screenshot(page, 'services-application');

      await Promise.all([page.waitForURL(/\/slip$/), page.locator('#sv-print-slip').click()]);
      assert.equal((await page.locator('#slip-number').textContent()).trim(), no);
      assert.match(await page.locator('#slip-materials').textContent(), /临时救助申请书/);
      assert.match(await page.locator('#slip-seal').textContent(), /便民服务站/);
      await screenshot(page, 'services-slip');
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path: path.join(SCREENSHOT_DIR, 'services-slip.pdf'), format: 'A4', preferCSSPageSize: true, printBackground: true });
      await page.emulateMedia({ media: 'screen' });

      // The queue shows it with its deadline; the department works it and the desk hears of it.
      await page.goto('/services?view=mine');
      assert.ok(await page.locator(`#sv-list a:text("${no}")`).isVisible());
      await screenshot(page, 'services-list');
    });
    const mz = await token(env, 'demo_minzheng');
    const mine = await api(env, mz, 'GET', '/api/v1/applications?view=queue&limit=500');
    const app = mine.body.items.find((a) => a.applicant_name === person.name && a.item_code === 'MZ03');
    assert.ok(app, 'in the department queue');
    assert.equal((await api(env, mz, 'POST', `/api/v1/applications/${app.id}/actions`, { action: 'handle' })).status, 200);
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.goto('/services/notifications');
      assert.match(await page.locator('#sv-notification-list').textContent(), new RegExp(`${app.tracking_no}.*承办`));
      await screenshot(page, 'services-notifications');
    });
  });

  it('a resident applies online on a phone, the station accepts it, and the resident books a visit', async () => {
    let no = '';
    await withPage(env, PHONE, async ({ page }) => {
      await login(page, 'demo_resident', DEMO_PASSWORD);
      await Promise.all([page.waitForURL('**/me/services'), page.locator('#me-apply').click()]);
      await screenshot(page, 'services-resident-catalogue');
      await Promise.all([page.waitForURL('**/me/services/ZM01'), page.locator('li[data-code="ZM01"] .apply-link').click()]);
      const rows = page.locator('#apply-form .upload-row');
      assert.equal(await rows.count(), 2);
      for (let i = 0; i < 2; i++) {
        await rows.nth(i).locator('input[type="file"]').setInputFiles(PDF(`材料${i}`));
        await rows.nth(i).locator('.upload-status:has-text("✓")').waitFor();
      }
      await page.locator('#apply-form textarea[name="note"]').fill('孩子入学需要居住证明');
      await screenshot(page, 'services-resident-apply');
      await Promise.all([page.waitForURL(/\/me\/applications\/\d+\?submitted=1$/), page.locator('#apply-submit').click()]);
      assert.equal((await page.locator('#sv-status').textContent()).trim(), '待受理');
      no = (await page.locator('#sv-tracking-no').textContent()).trim();
      assert.equal(await page.locator('#sv-material-list a.file').count(), 2);
      await screenshot(page, 'services-resident-applied');
    });
    // The station accepts it (预审) in the browser.
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.goto(`/services?view=queue&tracking_no=${no}`);
      await Promise.all([page.waitForURL(/\/services\/applications\/\d+$/), page.locator(`#sv-list a:text("${no}")`).click()]);
      await page.locator('#act-accept input[name="window"]').fill('1号窗口');
      await Promise.all([page.waitForURL(/done=accept$/), page.locator('#act-accept button[type="submit"]').click()]);
      assert.equal((await page.locator('#sv-status').textContent()).trim(), '已受理');
    });
    await withPage(env, PHONE, async ({ page }) => {
      await login(page, 'demo_resident', DEMO_PASSWORD);
      await page.goto(`/me/applications?tracking_no=${no}`);
      const items = page.locator('#me-application-list li');
      assert.equal(await items.count(), 1);
      assert.match(await items.first().textContent(), /已受理/);
      await screenshot(page, 'services-resident-applications');
      await Promise.all([page.waitForURL('**/me/appointments'), page.goto('/me/appointments')]);
      const slot = page.locator('#me-slots button.slot:not([disabled])').first();
      await slot.waitFor();
      await Promise.all([page.waitForURL(/done=book/), slot.click()]);
      assert.ok(await page.locator('#me-book-notice').isVisible());
      assert.ok((await page.locator('#me-my-appointments li').count()) >= 1);
      await screenshot(page, 'services-resident-appointments');
    });
  });

  it('the leader reads the statistics and the community its admission list, in Chinese and English', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_leader', DEMO_PASSWORD);
      await page.goto('/services/stats');
      for (const id of ['#chart-by-item', '#chart-by-hour', '#chart-by-window']) {
        await page.locator(`${id} svg`).waitFor();
      }
      assert.match(await page.locator('#kpi-on-time').textContent(), /%$/);
      await screenshot(page, 'services-stats');
      await page.goto('/services/stats?lang=en');
      assert.match(await page.locator('h1').textContent(), /Service statistics/);
      await page.locator('#chart-by-item svg').waitFor();
      await screenshot(page, 'services-stats-en');
    });
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.goto('/services/admission?lang=zh');
      assert.match(await page.locator('#sv-list').textContent(), /最低生活保障对象入户调查/);
      assert.ok((await page.locator('#sv-tasks tr[data-status="refused"]').count()) >= 1, 'refused pushes are shown');
      await screenshot(page, 'services-admission');
      await page.goto('/services/appointments');
      await screenshot(page, 'services-appointments');
    });
  });
});
