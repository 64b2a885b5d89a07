// Two register chores in the browser: merging a person registered twice (search within scope, preview both,
// a reason is required, the history of both is kept) and defining special-group tag kinds (admins only;
// errors next to the field, nothing typed lost).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, loginAsAdmin, screenshot, DEMO_PASSWORD } from './helpers.mjs';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
function idNumber(first17) {
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * WEIGHTS[i], 0);
  return first17 + CHECK[sum % 11];
}

async function register(page, name, id, address) {
  await page.goto('/people/new');
  const form = page.locator('#person-form');
  await form.locator('input[name="name"]').fill(name);
  await form.locator('input[name="id_number"]').fill(id);
  await form.locator('input[name="address"]').fill(address);
  await form.locator('input[name="grid_code"]').fill('33019900100101');
  await Promise.all([page.waitForURL(/\/people\/\d+$/), form.locator('button[type="submit"]').click()]);
  return new URL(page.url()).pathname;
}

describe('register administration', () => {
  const env = useServerAndBrowser();

  it('merges a duplicate person after a preview, with a reason, keeping both histories', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      const keep = await register(page, '欧阳合并', idNumber('33010619750505003'), '清河区合并路1号101室');
      const dup = await register(page, '欧阳合并', idNumber('33010619750505011'), '清河区合并路1号102室');
      await page.goto(keep);
      await Promise.all([page.waitForURL(/\/merge\?/), page.locator('#merge-link').click()]);
      // The search starts with the person's name; the duplicate is offered, the person themselves is not.
      const choices = page.locator('#merge-candidates a.choose');
      assert.ok((await choices.count()) >= 1);
      await Promise.all([page.waitForURL(/dup=\d+/), page.locator(`#merge-candidates tr:has(a[href="${dup}"]) a.choose`).click()]);
      const preview = page.locator('#merge-preview .card');
      assert.equal(await preview.count(), 2);
      assert.match(await preview.nth(0).textContent(), /合并路1号101室/);
      assert.match(await preview.nth(1).textContent(), /合并路1号102室/);
      await screenshot(page, 'merge-preview');

      // A reason is required: refused next to the field, nothing merged.
      await page.locator('#merge-form input[name="reason"]').evaluate((el) => { el.removeAttribute('required'); el.removeAttribute('minlength'); });
      await page.locator('#merge-form input[name="reason"]').fill('x');
      consoleErrors.expectHttpError(`${keep}/merge`, 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#merge-form button').click()]);
      assert.match(await page.locator('#merge-form .field-error').textContent(), /理由|reason/);
      assert.equal(await page.locator('#merge-preview .card').count(), 2, 'the preview stays');

      await page.locator('#merge-form input[name="reason"]').fill('同一人重复登记，身份证号录入错误');
      await Promise.all([page.waitForURL((u) => u.pathname === keep), page.locator('#merge-form button').click()]);
      const history = await page.locator('#history').textContent();
      assert.match(history, /合并重复记录/);
      assert.match(history, /身份证号录入错误/);
      assert.match(history, /出生|登记/, 'the kept person\'s own history stays');
      await screenshot(page, 'person-merged');
      await page.goto(dup);
      assert.match(await page.locator('.notice').textContent(), /合并至/);
      assert.equal(await page.locator('#merge-link').count(), 0, 'a merged record offers no further merge');
    });
  });

  it('lets admins add and edit tag kinds, with errors next to the field', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await loginAsAdmin(page);
      await page.locator('nav.menu a[href="/admin/tag-kinds"]').click();
      await page.waitForURL('**/admin/tag-kinds');
      assert.match(await page.locator('#tag-kinds-table').textContent(), /独居老人/);
      await screenshot(page, 'tag-kinds');
      await Promise.all([page.waitForURL('**/admin/tag-kinds/new'), page.locator('#new-tag-kind').click()]);
      const form = page.locator('#tag-kind-form');
      await form.locator('input[name="code"]').fill('child_in_need');
      await form.locator('input[name="name"]').fill('困境儿童');
      await form.locator('input[name="name_en"]').fill('Child in need');
      await form.locator('input[name="visit_days"]').fill('30');
      await form.locator('input[name="sensitive"]').check();
      await form.locator('input[name="f0_key"]').fill('situation');
      await form.locator('input[name="f0_label"]').fill('困境类型');
      await form.locator('select[name="f0_type"]').selectOption('select');
      consoleErrors.expectHttpError('/admin/tag-kinds', 400);
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      const err = page.locator('#tag-fields tr:has(input[name="f0_options"]) .field-error');
      assert.match(await err.textContent(), /选项/, 'the error is on the row of the field');
      assert.equal(await page.locator('#tag-kind-form input[name="name"]').inputValue(), '困境儿童', 'nothing typed is lost');
      assert.equal(await page.locator('#tag-kind-form input[name="f0_key"]').inputValue(), 'situation');
      assert.equal(await page.locator('#tag-kind-form input[name="sensitive"]').isChecked(), true);
      await screenshot(page, 'tag-kind-error');
      await page.locator('#tag-kind-form input[name="f0_options"]').fill('事实无人抚养、重病重残');
      await Promise.all([page.waitForURL(/saved=child_in_need/), page.locator('#tag-kind-form button[type="submit"]').click()]);
      const row = page.locator('#tag-kinds-table tr:has(a[href="/admin/tag-kinds/child_in_need"])');
      assert.match(await row.textContent(), /困境儿童/);
      assert.match(await row.textContent(), /困境类型/);

      // Edit: a bad visiting rule is refused next to its field, then saved.
      await Promise.all([page.waitForURL('**/admin/tag-kinds/child_in_need'), row.locator('a').first().click()]);
      assert.equal(await page.locator('#tag-kind-form input[name="f0_options"]').inputValue(), '事实无人抚养、重病重残');
      await page.locator('#tag-kind-form input[name="visit_days"]').fill('0');
      consoleErrors.expectHttpError('/admin/tag-kinds/child_in_need', 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#tag-kind-form button[type="submit"]').click()]);
      assert.match(await page.locator('#tag-kind-form label:has(input[name="visit_days"]) .field-error').textContent(), /1–366/);
      await page.locator('#tag-kind-form input[name="visit_days"]').fill('15');
      await Promise.all([page.waitForURL(/saved=/), page.locator('#tag-kind-form button[type="submit"]').click()]);
      assert.match(await page.locator('#tag-kinds-table tr:has(a[href="/admin/tag-kinds/child_in_need"])').textContent(), /15/);

      // Only admins.
      await page.context().clearCookies();
      await login(page, 'demo_community', DEMO_PASSWORD);
      consoleErrors.expectHttpError('/admin/tag-kinds', 403);
      const res = await page.goto('/admin/tag-kinds');
      assert.equal(res.status(), 403);
    });
  });
});
