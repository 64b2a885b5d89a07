// The administrators' users page: creating a user, and a form error that keeps what was typed.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, loginAsAdmin, login, screenshot, waitForMap } from './helpers.mjs';

/** The first grid of the demo district, read from the region tree. */
async function firstGridCode(page) {
  await page.goto('/regions');
  const href = await page.locator('#region-tree li li li li > a').first().getAttribute('href');
  const code = href.split('/').pop();
  assert.match(code, /^\d{14}$/);
  return code;
}

async function fillUserForm(page, { username, displayName, password, role, regionCode }) {
  const form = page.locator('#user-form');
  await form.locator('input[name="username"]').fill(username);
  await form.locator('input[name="display_name"]').fill(displayName);
  await form.locator('input[name="password"]').fill(password);
  await form.locator('select[name="role"]').selectOption(role);
  await form.locator('input[name="region_code"]').fill(regionCode);
}

const submit = (page) =>
  Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/admin/users'),
    page.locator('#user-form button[type="submit"]').click(),
  ]).then(async ([res]) => {
    await page.waitForLoadState('load');
    return res;
  });

const tableUsernames = (page) =>
  page.locator('#users-table tbody tr td:first-child').evaluateAll((tds) => tds.map((td) => td.textContent.trim()));

describe('admin users page', () => {
  const env = useServerAndBrowser();

  it('creates a user through the form', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      const grid = await firstGridCode(page);
      await Promise.all([page.waitForURL('**/admin/users'), page.locator('nav.menu a[href="/admin/users"]').click()]);
      assert.equal((await page.locator('section h1').textContent()).trim(), '用户');
      const before = await tableUsernames(page);
      assert.ok(before.includes('admin') && before.includes('demo_grid_worker'), `listed: ${before}`);
      assert.equal(await page.locator('#user-form select[name="role"]').inputValue(), 'grid_worker', 'grid worker is the default role');
      assert.equal(await page.locator('#user-form input[name="csrf"]').count(), 1);

      await fillUserForm(page, {
        username: 'e2e_worker',
        displayName: '网格员 测试',
        password: 'e2e-pass-1234',
        role: 'grid_worker',
        regionCode: grid,
      });
      const res = await submit(page);
      assert.ok(res.status() === 303 || res.status() === 302 || res.status() === 200, `status ${res.status()}`);
      assert.equal(new URL(page.url()).pathname, '/admin/users');
      const notice = page.locator('.notice');
      await notice.waitFor();
      assert.match(await notice.textContent(), /已创建.*e2e_worker/);
      assert.equal(await page.locator('#user-form [role="alert"]').count(), 0);
      const row = page.locator('#users-table tbody tr', { hasText: 'e2e_worker' });
      assert.equal(await row.count(), 1);
      assert.match(await row.textContent(), /网格员 测试/);
      assert.match(await row.textContent(), new RegExp(`grid_worker@${grid}`));
      await screenshot(page, 'users');
    });

    // The new account works and lands on its grid.
    await withPage(env, async ({ page }) => {
      await login(page, 'e2e_worker', 'e2e-pass-1234');
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal((await page.locator('#region-panel h1').count()), 1);
      assert.match(await page.locator('#region-panel .meta').textContent(), /网格 · 编码 \d{14}/);
      assert.equal(await waitForMap(page), 1);
    });
  });

  for (const [what, regionCode] of [
    ['an unknown region code', '330199999999'],
    ['a malformed region code', 'abc'],
  ]) {
    it(`names the region code and keeps the typed username for ${what}`, async () => {
      await withPage(env, async ({ page, consoleErrors }) => {
        await loginAsAdmin(page);
        await page.goto('/admin/users');
        const username = `e2e_bad_${regionCode === 'abc' ? 'format' : 'missing'}`;
        await fillUserForm(page, {
          username,
          displayName: '错误区域',
          password: 'e2e-pass-1234',
          role: 'community',
          regionCode,
        });
        // A rejected form is answered 400/422, which Chromium reports on the console.
        for (const status of [400, 404, 409, 422]) consoleErrors.expectHttpError('/admin/users', status);
        const res = await submit(page);
        assert.ok(res.status() === 400 || res.status() === 422, `a bad region code is a form error, got HTTP ${res.status()}`);
        const alert = page.locator('#user-form [role="alert"]');
        assert.equal(await alert.count(), 1, 'the form shows an error');
        assert.match(await alert.textContent(), /区域编码|region/i);
        assert.equal(await page.locator('#user-form input[name="username"]').inputValue(), username, 'the typed username is kept');
        assert.equal(await page.locator('#user-form input[name="display_name"]').inputValue(), '错误区域');
        assert.equal(await page.locator('#user-form select[name="role"]').inputValue(), 'community', 'the chosen role is kept');
        assert.equal(await page.locator('#user-form input[name="region_code"]').inputValue(), regionCode);
        assert.equal(await page.locator('#user-form input[name="password"]').inputValue(), '', 'the password is not echoed');
        assert.equal(await page.locator('.notice').count(), 0);
        assert.ok(!(await tableUsernames(page)).includes(username), 'no user was created');
        await screenshot(page, regionCode === 'abc' ? 'users-error-format' : 'users-error');
      });
    });
  }
});
