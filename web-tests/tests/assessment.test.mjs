// 考核评价 in the browser: a grid worker opens their own month from the menu and follows a number to the records
// it came from; community staff start this year's star self-assessment and save a score with evidence; the
// street opens the declared assessment of the demo's second community for review; the department ranking; the
// public portal shows last year's approved stars. Screenshots go to target/web-screenshots (and docs/screenshots with WANGGE_DOC_SCREENSHOTS=1).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { useServerAndBrowser, withPage, login, screenshot, DEMO_PASSWORD, WEB_TESTS_DIR } from './helpers.mjs';

const DOCS = path.resolve(WEB_TESTS_DIR, '../docs/screenshots');
const COMMUNITY1 = '330199001001';

/** target/web-screenshots always; docs/screenshots only when asked (WANGGE_DOC_SCREENSHOTS=1), so a test run
 * leaves the tracked pictures alone. */
async function docShot(page, name) {
  if (process.env.WANGGE_DOC_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, `${name}.png`), fullPage: true });
  }
  await screenshot(page, name);
}

describe('assessment', () => {
  const env = useServerAndBrowser({ serverArgs: ['--events'] });

  it('shows a grid worker their own score breakdown with the records behind each number', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      consoleErrors.expectHttpError('/assessment/departments', 403);
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.locator('#nav-assessment-me').click();
      await page.waitForURL(/\/assessment\/workers\/\d+/);
      const total = Number(await page.locator('#score-total').innerText());
      assert.ok(total >= 0 && total <= 100, `score ${total}`);
      assert.ok((await page.locator('#breakdown tr[data-indicator]').count()) >= 5, 'five indicators');
      // A number opens its records.
      const link = page.locator('#breakdown tr[data-indicator="w_valid"] a.metric-link');
      await link.click();
      await page.locator('#records-w_valid').evaluate((d) => { d.open = true; });
      await page.locator('#records-w_valid summary').waitFor();
      await docShot(page, 'assessment-worker');
      // Others' months and lists are not theirs.
      const r = await page.goto('/assessment/departments');
      assert.equal(r.status(), 403);
    });
  });

  it('lets community staff self-assess with evidence and the street review the declared one', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.goto('/assessment/stars');
      assert.ok((await page.locator('#stars tr[data-community]').count()) >= 1, 'the demo star is listed');
      await Promise.all([page.waitForNavigation(), page.locator('#open-star button[type="submit"]').click()]);
      await page.locator('#star-title').waitFor();
      assert.equal(await page.locator('#star-status').innerText(), '自评中');
      await page.locator('input[name="score_org_party"]').fill('8');
      await page.locator('input[name="evidence_org_party"]').fill('/life/meetings 三会一课记录');
      await Promise.all([page.waitForNavigation(), page.locator('#save-scores').click()]);
      assert.equal(await page.locator('input[name="score_org_party"]').inputValue(), '8');
      // Declaring now: refused by a rule (422), the reason shown on the page.
      const id = page.url().match(/stars\/(\d+)/)[1];
      consoleErrors.expectHttpError(`/assessment/stars/${id}/act`, 422);
      await Promise.all([page.waitForNavigation(), page.locator('#act-declare').click()]);
      assert.match(await page.locator('#star-error').innerText(), /未自评|截止|未达/);
      await docShot(page, 'assessment-star-self');
    });
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_street', DEMO_PASSWORD);
      await page.goto('/assessment/stars');
      await docShot(page, 'assessment-stars');
      await page.locator('#stars tr[data-community="330199001002"] a').click();
      await page.locator('#star-title').waitFor();
      assert.equal(await page.locator('#star-status').innerText(), '已申报');
      assert.ok(await page.locator('input[name="score_org_party"]').isVisible(), 'the street scores a declared one');
      assert.ok(await page.locator('#act-street_pass').isVisible());
      // The demo's three months of events: the year's ranking has the departments they were dispatched to.
      const year = new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear();
      await page.goto(`/assessment/departments?period=${year}`);
      await page.locator('#department-ranking').waitFor();
      assert.ok((await page.locator('#department-ranking tr[data-department]').count()) >= 1, 'departments ranked');
      await page.locator('#department-ranking tr[data-department] a').first().click();
      await page.locator('#breakdown').waitFor();
      await docShot(page, 'assessment-department');
      await page.goBack();
      await docShot(page, 'assessment-departments');
    });
  });

  it('shows approved stars on the public portal', async () => {
    await withPage(env, async ({ page }) => {
      await page.goto(`/p/${COMMUNITY1}`);
      const star = await page.locator('#portal-star').innerText();
      assert.match(star, /★★★/);
      await screenshot(page, 'assessment-portal');
    });
  });
});
