// The population register in the browser: find a person, open them, their household and house; see a full
// 身份证号 only with a reason; import a resident list with a bad row and download the rejected rows.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useServerAndBrowser, withPage, login, loginAsAdmin, screenshot, DEMO_PASSWORD, parseCount } from './helpers.mjs';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
/** A valid GB 11643 number from its first 17 digits. */
function idNumber(first17) {
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * WEIGHTS[i], 0);
  return first17 + CHECK[sum % 11];
}

describe('register', () => {
  const env = useServerAndBrowser();

  it('finds a person by pinyin and walks to their household, house and building', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      await page.locator('nav.menu a[href="/people"]').click();
      await page.waitForURL('**/people');
      const all = parseCount((await page.locator('#people-total').textContent()).replace(/[^\d,]/g, ''));
      assert.ok(all > 500, `the small demo has hundreds of people, got ${all}`);
      // The first person's surname, typed as pinyin initials of the full name, finds them.
      const first = (await page.locator('#people-table a.person').first().textContent()).trim();
      await page.locator('#people-search input[name="q"]').fill(first);
      await Promise.all([page.waitForURL('**/people?*'), page.locator('#people-search button').click()]);
      const names = await page.locator('#people-table a.person').allTextContents();
      assert.ok(names.length > 0 && names[0].trim() === first, `searching ${first} lists them first: ${names.slice(0, 3)}`);
      await screenshot(page, 'people-search');
      for (const id of await page.locator('#people-table td.mono').allTextContents()) {
        if (id.trim().length === 18) assert.match(id.trim(), /^\d{6}\*{8}[\dX]{4}$/, 'ID numbers are masked in lists');
      }
      await Promise.all([page.waitForURL(/\/people\/\d+$/), page.locator('#people-table a.person').first().click()]);
      assert.equal((await page.locator('#person-name').textContent()).trim().startsWith(first), true);
      assert.match((await page.locator('#id-number').textContent()).trim(), /^\d{6}\*{8}[\dX]{4}$/);
      await screenshot(page, 'person');
      await Promise.all([page.waitForURL(/\/households\/\d+$/), page.locator('#household-link').click()]);
      assert.ok((await page.locator('#members a.person').count()) >= 1);
      await Promise.all([page.waitForURL(/\/houses\/\d+$/), page.locator('#house-link').click()]);
      assert.ok(Number(await page.locator('#occupants').textContent()) >= 1);
      await screenshot(page, 'house');
    });
  });

  it('shows a full ID number only with a reason', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.goto('/people');
      const href = await page.locator('#people-table a.person').first().getAttribute('href');
      await page.goto(href);
      const masked = (await page.locator('#id-number').textContent()).trim();
      // An empty reason is refused by the browser; a one-letter one by the server, naming the field.
      await page.locator('#reveal-form input[name="reason"]').evaluate((el) => el.removeAttribute('minlength'));
      await page.locator('#reveal-form input[name="reason"]').fill('x');
      consoleErrors.expectHttpError(`${href}/reveal`, 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#reveal-form button').click()]);
      assert.match(await page.locator('#reveal-form [role="alert"]').textContent(), /理由|事由|reason/);
      assert.equal((await page.locator('#id-number').textContent()).trim(), masked);
      await page.locator('#reveal-form input[name="reason"]').fill('入户走访核对身份');
      await Promise.all([page.waitForLoadState('load'), page.locator('#reveal-form button').click()]);
      const full = (await page.locator('#id-number').textContent()).trim();
      assert.match(full, /^\d{17}[\dX]$/, `the full number is shown: ${full}`);
      assert.equal(full.slice(0, 6), masked.slice(0, 6));
      assert.equal(full.slice(-4), masked.slice(-4));
      assert.equal(await page.locator('#reveal-form').count(), 0);
      // Opening the page again shows it masked: a reveal is for that one response.
      await page.goto(href);
      assert.equal((await page.locator('#id-number').textContent()).trim(), masked);

      // A grid worker records that the person went away; the status and history say so, nobody is deleted.
      const before = await page.locator('#history li').count();
      await page.locator('#event-form select[name="kind"]').selectOption('away');
      await page.locator('#event-form input[name="note"]').fill('外出务工');
      await Promise.all([page.waitForLoadState('load'), page.locator('#event-form button').click()]);
      assert.equal(new URL(page.url()).pathname, href);
      assert.equal(await page.locator('#history li').count(), before + 1);
      assert.match(await page.locator('#history').textContent(), /外出务工/);
      assert.match(await page.locator('.kv').textContent(), /外出/);
      await screenshot(page, 'person-event');
    });
  });

  it('registers a new person from the form, and keeps what was typed when the ID number is wrong', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await loginAsAdmin(page);
      await page.goto('/people');
      await Promise.all([page.waitForURL('**/people/new'), page.locator('#new-person').click()]);
      const form = page.locator('#person-form');
      const id = idNumber('33010620200301002');
      await form.locator('select[name="event"]').selectOption('birth');
      await form.locator('input[name="name"]').fill('孙小雨');
      await form.locator('input[name="id_number"]').fill(id.slice(0, 17) + (id.endsWith('1') ? '2' : '1'));
      await form.locator('input[name="address"]').fill('清河区测试路9号101室');
      await form.locator('input[name="grid_code"]').fill('33019900100101');
      consoleErrors.expectHttpError('/people/new', 400);
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      assert.match(await page.locator('#person-form [role="alert"]').textContent(), /公民身份号码/);
      assert.equal(await page.locator('#person-form input[name="name"]').inputValue(), '孙小雨', 'typed values are kept');
      await page.locator('#person-form input[name="id_number"]').fill(id);
      await Promise.all([page.waitForURL(/\/people\/\d+$/), page.locator('#person-form button[type="submit"]').click()]);
      assert.equal((await page.locator('#person-name').textContent()).trim().startsWith('孙小雨'), true);
      assert.match(await page.locator('#history').textContent(), /出生/);
      await screenshot(page, 'person-registered');
    });
  });

  it('exports the people list as a watermarked Excel file', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      await page.goto('/people');
      const href = await page.locator('#export-people').getAttribute('href');
      const res = await page.request.get(href);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-type'], /spreadsheetml/);
      const body = await res.body();
      assert.equal(body.subarray(0, 2).toString(), 'PK', 'an xlsx (zip) file');
    });
  });

  it('a grid worker lists only their grid and cannot open people elsewhere', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await loginAsAdmin(page);
      await page.goto('/people?region=330199002');
      const elsewhere = await page.locator('#people-table a.person').first().getAttribute('href');
      await page.context().clearCookies();
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.goto('/people');
      const total = parseCount((await page.locator('#people-total').textContent()).replace(/[^\d,]/g, ''));
      assert.ok(total > 0 && total < 300, `one grid's people, got ${total}`);
      consoleErrors.expectHttpError(elsewhere, 404);
      const res = await page.goto(elsewhere);
      assert.equal(res.status(), 404, 'a person of another street is not found for a grid worker');
      consoleErrors.expectHttpError('/people', 404);
      const res2 = await page.goto('/people?region=330199002');
      assert.ok([404, 400].includes(res2.status()), `another street as the region: ${res2.status()}`);
    });
  });

  it('imports a resident list through the upload form and offers the rejected rows', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      await page.goto('/import');
      const dir = mkdtempSync(path.join(tmpdir(), 'wangge-upload-'));
      const file = path.join(dir, '居民名单.csv');
      const good = idNumber('33010619800215001');
      const bad = idNumber('33010619900101002').slice(0, 17) + (good.endsWith('0') ? '1' : '0');
      const header = '姓名,公民身份号码,性别,出生日期,民族,联系电话,人口类型,户号,与户主关系,房屋地址,网格编码,人群标签';
      writeFileSync(
        file,
        '\ufeff' + [
          header,
          `赵新民,${good},男,1980-02-15,汉族,13900001111,户籍人口,33019900100101901,户主,清河区测试路1号101室,33019900100101,党员`,
          `钱错号,${bad},女,1990-01-01,汉族,,户籍人口,33019900100101902,户主,清河区测试路1号102室,33019900100101,`,
        ].join('\n') + '\n',
      );
      await page.locator('#import-residents input[type="file"]').setInputFiles(file);
      await Promise.all([page.waitForURL('**/import/results/*'), page.locator('#import-residents button').click()]);
      assert.equal((await page.locator('#imported').textContent()).trim(), '1');
      assert.equal((await page.locator('#rejected').textContent()).trim(), '1');
      await screenshot(page, 'import-result');
      const href = await page.locator('#errors-download').getAttribute('href');
      const res = await page.request.get(href);
      assert.equal(res.status(), 200);
      const text = await res.text();
      assert.match(text, /错误原因/);
      assert.match(text, /钱错号/);
      assert.match(text, /校验/);
      // The imported person is found at once.
      await page.goto(`/people?q=${encodeURIComponent('赵新民')}`);
      assert.equal((await page.locator('#people-table a.person').first().textContent()).trim(), '赵新民');
    });
  });
});
