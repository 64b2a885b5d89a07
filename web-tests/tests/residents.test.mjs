// Residents' accounts in the browser: a resident signs up on a phone (a mismatch refused with what they typed
// kept), lands on 我的, reports a problem signed in and follows it from their page; community staff open an
// account at the window from the person page; the administrator disables an account and removes a role.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, loginAsAdmin, screenshot, ADMIN_PASSWORD, DEMO_PASSWORD } from './helpers.mjs';

const GRID2 = '33019900100102';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

async function api(env, token, method, path, body) {
  const res = await fetch(`${env.server.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function adminToken(env) {
  const r = await api(env, null, 'POST', '/api/v1/session', { username: 'admin', password: ADMIN_PASSWORD });
  assert.equal(r.status, 200);
  return r.body.token;
}

/** The n-th adult with a phone in a grid, with the numbers in clear (revealed by the admin, with a reason). */
async function adult(env, token, grid, n) {
  const r = await api(env, token, 'GET', `/api/v1/people?region=${grid}&limit=200`);
  const p = r.body.items.filter((x) => x.phone && x.age >= 18)[n];
  const rev = await api(env, token, 'POST', `/api/v1/people/${p.id}/reveal`, { reason: '浏览器测试' });
  assert.equal(rev.status, 200);
  return { id: p.id, name: p.name, idNumber: rev.body.id_number, phone: rev.body.phone };
}

describe('resident accounts', () => {
  const env = useServerAndBrowser();

  it('a resident signs up on a phone, reports signed in and follows the report on 我的', async () => {
    const token = await adminToken(env);
    const who = await adult(env, token, GRID2, 0);
    await withPage(env, PHONE, async ({ page, consoleErrors }) => {
      await page.goto('/login');
      await Promise.all([page.waitForURL('**/signup'), page.locator('#signup-link').click()]);
      const form = page.locator('#signup-form');
      await form.locator('input[name="name"]').fill(who.name);
      await form.locator('input[name="id_number"]').fill(who.idNumber);
      // Not the registered number.
      await form.locator('input[name="phone"]').fill(who.phone.endsWith('1') ? `${who.phone.slice(0, 10)}2` : `${who.phone.slice(0, 10)}1`);
      await form.locator('input[name="username"]').fill('wang_resident');
      await form.locator('input[name="password"]').fill('resident-pass-1');
      await form.locator('input[name="password2"]').fill('resident-pass-1');
      consoleErrors.expectHttpError('/signup', 422);
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      assert.match(await page.locator('#signup-error').textContent(), /社区服务站/);
      assert.equal(await page.locator('#signup-form input[name="name"]').inputValue(), who.name, 'what was typed is kept');
      assert.equal(await page.locator('#signup-form input[name="password"]').inputValue(), '', 'passwords are not sent back');
      await screenshot(page, 'resident-signup-refused');

      await page.locator('#signup-form input[name="phone"]').fill(who.phone);
      await page.locator('#signup-form input[name="password"]').fill('resident-pass-1');
      await page.locator('#signup-form input[name="password2"]').fill('resident-pass-1');
      await Promise.all([page.waitForURL('**/me'), page.locator('#signup-form button[type="submit"]').click()]);
      assert.match(await page.locator('h1').textContent(), new RegExp(who.name));
      assert.match(await page.locator('#me-id-number').textContent(), /\*{8}/, 'the ID number is masked');
      assert.ok(!(await page.content()).includes(who.idNumber), 'the full number never reaches the page');
      assert.equal((await page.locator('#me-community').textContent()).trim(), '文新社区');
      assert.ok(await page.locator('#me-no-reports').isVisible());
      await screenshot(page, 'resident-me');

      // Report a problem while signed in: it becomes theirs.
      await Promise.all([page.waitForURL('**/report'), page.locator('#me-report').click()]);
      await page.locator('#report-form select[name="category"]').selectOption('E0102');
      await page.locator('#report-form select[name="grid_code"]').selectOption(GRID2);
      await page.locator('#report-form textarea[name="description"]').fill('单元门口的垃圾两天没人清运');
      await Promise.all([page.waitForLoadState('load'), page.locator('#report-submit').click()]);
      await page.locator('#track-link').waitFor();
      await page.goto('/me');
      const rows = page.locator('#me-reports tbody tr');
      assert.equal(await rows.count(), 1);
      assert.match(await rows.first().textContent(), /已上报|上报/);
      await Promise.all([page.waitForURL(/\/me\/reports\/\d+$/), rows.first().locator('a').click()]);
      assert.ok(await page.locator('#track-status').isVisible());
      assert.match(await page.locator('#track-timeline').textContent(), /上报/);
      await screenshot(page, 'resident-report');
    });
  });

  it('community staff open an account at the window from the person page', async () => {
    const token = await adminToken(env);
    const who = await adult(env, token, '33019900100101', 4);
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.goto(`/people/${who.id}`);
      assert.ok(await page.locator('#account-none').isVisible());
      const form = page.locator('#account-form');
      await form.locator('input[name="username"]').fill('window_user');
      await form.locator('input[name="password"]').fill('short');
      await form.locator('input[name="password"]').evaluate((i) => i.removeAttribute('minlength'));
      consoleErrors.expectHttpError(`/people/${who.id}/account`, 400);
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      assert.match(await page.locator('#account-form .field-error').textContent(), /8/);
      assert.equal(await page.locator('#account-form input[name="username"]').inputValue(), 'window_user');
      await page.locator('#account-form input[name="password"]').fill('window-pass-1');
      await Promise.all([page.waitForLoadState('load'), page.locator('#account-submit').click()]);
      assert.match(await page.locator('#account-username').textContent(), /window_user/);
      await screenshot(page, 'person-account');
    });
    // The resident signs in with it and lands on 我的.
    await withPage(env, PHONE, async ({ page }) => {
      await login(page, 'window_user', 'window-pass-1');
      assert.match(page.url(), /\/me$/);
      assert.match(await page.locator('h1').textContent(), new RegExp(who.name));
      assert.deepEqual(
        await page.locator('nav.menu a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
        ['/me', '/me/services', '/me/applications', '/report', '/me/polls', '/me/portal'],
        'a resident sees only their own pages',
      );
      // On a phone the menu folds behind ☰.
      assert.equal(await page.locator('nav.menu').isVisible(), false);
      await page.locator('label.menu-button').click();
      assert.ok(await page.locator('nav.menu a[href="/report"]').isVisible());
      await screenshot(page, 'resident-menu-phone');
    });
  });

  it('the administrator disables an account and removes a role', async () => {
    const token = await adminToken(env);
    const r = await api(env, token, 'POST', '/api/v1/users', {
      username: 'two_hats', password: 'two-hats-pass', roles: [
        { role: 'grid_worker', region_code: '33019900100101' }, { role: 'mediator', region_code: '330199001' }],
    });
    assert.equal(r.status, 201);
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      await page.goto('/admin/users');
      const row = page.locator('#users-table tr[data-username="two_hats"]');
      await Promise.all([page.waitForURL(/revoked=two_hats/), row.locator('form.grant-chip', { hasText: 'mediator' }).locator('button').click()]);
      assert.doesNotMatch(await page.locator('#users-table tr[data-username="two_hats"]').textContent(), /mediator/);
      assert.match(await page.locator('#users-notice').textContent(), /已删除角色/);
      await Promise.all([page.waitForURL(/updated=two_hats/), page.locator('#users-table tr[data-username="two_hats"] .status-form button').click()]);
      assert.match(await page.locator('#users-table tr[data-username="two_hats"]').textContent(), /已停用/);
      await screenshot(page, 'users-admin');
    });
    const login2 = await api(env, null, 'POST', '/api/v1/session', { username: 'two_hats', password: 'two-hats-pass' });
    assert.equal(login2.status, 401, 'a disabled account cannot sign in');
  });
});
