// The grid workers' month page for community staff: each worker's facts (people due and visited, visits,
// patrols), a refused handover kept as typed with its reason, then a handover that moves the grid.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, screenshot, DEMO_PASSWORD } from './helpers.mjs';

describe('grid workers month', () => {
  const env = useServerAndBrowser();

  it('shows each worker’s month and hands a grid over', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await Promise.all([page.waitForURL('**/field/workers'), page.locator('nav.menu a[href="/field/workers"]').click()]);
      const row = page.locator('#field-workers tr[data-user="demo_grid_worker"]');
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      assert.match(cells[0], /刘芳/);
      assert.match(cells[1], /33019900100101/);
      const due = Number(cells[2].trim());
      const covered = Number(cells[3].trim().split(/\s/)[0]);
      assert.ok(due > 0 && covered >= 0 && covered <= due, `due ${due}, covered ${covered}`);
      await screenshot(page, 'field-workers');

      // A refused handover: the reason next to the form, what was typed kept.
      consoleErrors.expectHttpError('/field/workers/reassign', 400);
      const form = page.locator('#reassign-form');
      await form.locator('input[name="grid_code"]').fill('33019900100101');
      await form.locator('input[name="from_user"]').fill('demo_grid_worker');
      await form.locator('input[name="to_user"]').fill('无此人');
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      assert.match(await page.locator('#reassign-form .error').textContent(), /用户不存在/);
      assert.equal(await page.locator('#reassign-form input[name="to_user"]').inputValue(), '无此人');

      // To the grid leader: the grid leaves the worker's row.
      await page.locator('#reassign-form input[name="to_user"]').fill('demo_grid_leader');
      await Promise.all([page.waitForURL(/reassigned=1/), page.locator('#reassign-form button[type="submit"]').click()]);
      await page.locator('#reassigned').waitFor();
      assert.equal(await page.locator('#field-workers tr[data-user="demo_grid_worker"]').count(), 0);
      assert.match(await page.locator('#field-workers').textContent(), /陈刚/);
    });
  });

  it('is not for grid workers', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      assert.equal(await page.locator('nav.menu a[href="/field/workers"]').count(), 0);
      consoleErrors.expectHttpError('/field/workers', 403);
      const res = await page.goto('/field/workers');
      assert.equal(res.status(), 403);
    });
  });
});
