// Event rules in the browser: the admin changes a category's handling limit, adds a routing rule and marks a
// holiday; a bad limit comes back with the error and the typed values kept; a street user is refused.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, loginAsAdmin, screenshot, DEMO_PASSWORD } from './helpers.mjs';

describe('event rules', () => {
  const env = useServerAndBrowser();

  it('edits limits, routing rules and the calendar, keeping input on errors', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await loginAsAdmin(page);
      await Promise.all([page.waitForURL('**/admin/event-rules'), page.locator('nav.menu a[href="/admin/event-rules"]').click()]);
      // The seeded tree is there with its limits (暴露垃圾: 4 working hours to handle).
      const row = page.locator('#categories-table tr', { hasText: 'E0102' });
      assert.match(await row.textContent(), /暴露垃圾/);
      assert.match(await row.textContent(), /4h/);

      // Edit E0102: a bad limit is refused with the typed values kept.
      await Promise.all([page.waitForURL(/edit=E0102/), row.locator('a').first().click()]);
      assert.equal(await page.locator('#category-form input[name="name"]').inputValue(), '暴露垃圾');
      await page.locator('#category-form input[name="limit_handle"]').fill('3x');
      consoleErrors.expectHttpError('/admin/event-rules/category', 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#category-form button[type="submit"]').click()]);
      assert.match(await page.locator('#category-form .error').textContent(), /limits\.handle|时限/);
      assert.equal(await page.locator('#category-form input[name="limit_handle"]').inputValue(), '3x');
      await page.locator('#category-form input[name="limit_handle"]').fill('2h');
      await Promise.all([page.waitForURL(/saved=1/), page.locator('#category-form button[type="submit"]').click()]);
      assert.match(await page.locator('#categories-table tr', { hasText: 'E0102' }).textContent(), /2h/);

      // A routing rule: E05 in street 1 goes to 市场监管 and 城管, street-led.
      await page.locator('#rule-form input[name="category_prefix"]').fill('E05');
      await page.locator('#rule-form input[name="region_prefix"]').fill('330199001');
      await page.locator('#rule-form input[name="departments"]').fill('shichang,chengguan');
      await page.locator('#rule-form select[name="triage"]').selectOption('comprehensive');
      await Promise.all([page.waitForURL(/saved=1/), page.locator('#rule-form button[type="submit"]').click()]);
      const rule = page.locator('#rules-table tr', { hasText: 'E05' });
      assert.match(await rule.textContent(), /市场监督管理局、城市管理局/);

      // The calendar: the official 国庆 holidays are listed; a new holiday is added with its note.
      assert.match(await page.locator('#calendar-table').textContent(), /2026-10-01/);
      await page.locator('#day-form input[name="day"]').fill('2026-12-31');
      await page.locator('#day-form input[name="note"]').fill('区定假日');
      await Promise.all([page.waitForURL(/saved=1/), page.locator('#day-form button[type="submit"]').click()]);
      assert.match(await page.locator('#calendar-table tr', { hasText: '2026-12-31' }).textContent(), /区定假日/);
      await screenshot(page, 'event-rules');

      // Deleting the rule.
      await Promise.all([page.waitForURL(/saved=1/), page.locator('#rules-table tr', { hasText: 'E05' }).locator('button').click()]);
      assert.equal(await page.locator('#rules-table tr', { hasText: 'E05' }).count(), 0);
    });
  });

  it('is not for street staff', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_street', DEMO_PASSWORD);
      assert.equal(await page.locator('nav.menu a[href="/admin/event-rules"]').count(), 0);
      consoleErrors.expectHttpError('/admin/event-rules', 403);
      const res = await page.goto('/admin/event-rules');
      assert.equal(res.status(), 403);
    });
  });
});
