// Organizations on houses in the browser: add one from the house page (a wrong 统一社会信用代码 is refused
// next to its field, nothing typed is lost), open it, change it, list them per region; a grid worker sees
// only their grid's.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, loginAsAdmin, screenshot, DEMO_PASSWORD, parseCount } from './helpers.mjs';

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** A valid GB 32100 credit code from its first 17 characters. */
function creditCode(first17) {
  const sum = [...first17].reduce((s, c, i) => s + CHARSET.indexOf(c) * WEIGHTS[i], 0);
  return first17 + CHARSET[(31 - (sum % 31)) % 31];
}

describe('organizations', () => {
  const env = useServerAndBrowser();

  it('adds an organization on a house, opens and changes it, and lists it in the region', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await loginAsAdmin(page);
      await page.goto('/people?region=33019900100101');
      await Promise.all([page.waitForURL(/\/people\/\d+$/), page.locator('#people-table a.person').first().click()]);
      await Promise.all([page.waitForURL(/\/houses\/\d+$/), page.locator('#house-link').click()]);
      const housePath = new URL(page.url()).pathname;

      const form = page.locator('#org-form');
      const good = creditCode('91330106MA2B3C4D5');
      const wrong = good.slice(0, 17) + (good.endsWith('0') ? '1' : '0');
      await form.locator('input[name="name"]').fill('翠苑测试科技有限公司');
      await form.locator('select[name="kind"]').selectOption('enterprise');
      await form.locator('input[name="credit_code"]').fill(wrong);
      await form.locator('input[name="legal_rep"]').fill('王测试');
      await form.locator('input[name="phone"]').fill('13912345678');
      await form.locator('input[name="employees"]').fill('12');
      consoleErrors.expectHttpError(`${housePath}/organizations`, 400);
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      const err = page.locator('#org-form label:has(input[name="credit_code"]) .field-error');
      assert.match(await err.textContent(), /校验位/, 'the error sits next to the credit code');
      assert.equal(await page.locator('#org-form input[name="name"]').inputValue(), '翠苑测试科技有限公司', 'typed values are kept');
      assert.equal(await page.locator('#org-form input[name="employees"]').inputValue(), '12');
      await screenshot(page, 'house-organization-error');

      await page.locator('#org-form input[name="credit_code"]').fill(good.toLowerCase());
      await Promise.all([page.waitForURL(/\/organizations\/\d+$/), page.locator('#org-form button[type="submit"]').click()]);
      assert.match(await page.locator('#org-name').textContent(), /翠苑测试科技有限公司/);
      assert.equal((await page.locator('#org-credit-code').textContent()).trim(), good);
      assert.equal((await page.locator('#org-phone').textContent()).trim(), '139****5678', 'the phone is masked');
      const orgPath = new URL(page.url()).pathname;

      // Change the status; the phone field stays empty and the number is kept.
      await page.locator('#org-form select[name="status"]').selectOption('suspended');
      await Promise.all([page.waitForURL(/saved=1/), page.locator('#org-form button[type="submit"]').click()]);
      assert.match(await page.locator('#org-name').textContent(), /停业/);
      assert.equal((await page.locator('#org-phone').textContent()).trim(), '139****5678');
      await screenshot(page, 'organization');

      await page.goto(housePath);
      assert.ok((await page.locator('#house-orgs a.org').allTextContents()).includes('翠苑测试科技有限公司'));
      await screenshot(page, 'house-organizations');

      await page.locator('nav.menu a[href="/organizations"]').click();
      await page.waitForURL('**/organizations');
      const total = parseCount((await page.locator('#orgs-total').textContent()).replace(/[^\d,]/g, ''));
      assert.ok(total >= 12, `the demo has organizations in every community, got ${total}`);
      await page.locator('#org-search select[name="kind"]').selectOption('school');
      await Promise.all([page.waitForURL('**/organizations?*'), page.locator('#org-search button').click()]);
      const kinds = await page.locator('#orgs-table tbody tr td:nth-child(2)').allTextContents();
      assert.ok(kinds.length > 0 && kinds.every((k) => k === '学校'), `only schools: ${kinds}`);
      await screenshot(page, 'organizations');
      await page.goto('/regions/330199001001');
      await Promise.all([page.waitForURL('**/organizations?region=330199001001'), page.locator('#region-orgs').click()]);
      const addresses = await page.locator('#orgs-table tbody tr td:last-child').allTextContents();
      assert.ok(addresses.length > 0 && addresses.every((a) => a.includes('文新社区')), `the community's own: ${addresses}`);
      await page.goto(`/organizations?q=${encodeURIComponent('翠苑测试')}`);
      assert.equal(await page.locator(`#orgs-table a[href="${orgPath}"]`).count(), 1);
    });
  });

  it('a grid worker lists only their grid and cannot open organizations elsewhere', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await loginAsAdmin(page);
      await page.goto('/organizations?region=330199002');
      const elsewhere = await page.locator('#orgs-table a.org').first().getAttribute('href');
      await page.context().clearCookies();
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.goto('/organizations');
      const total = parseCount((await page.locator('#orgs-total').textContent()).replace(/[^\d,]/g, ''));
      assert.ok(total < 12, `one grid's organizations, got ${total}`);
      consoleErrors.expectHttpError(elsewhere, 404);
      const res = await page.goto(elsewhere);
      assert.equal(res.status(), 404);
    });
  });
});
