// Participation and transparency in the browser: the public portal of a community on a phone (no login: notices,
// fund, polls, happiness index; a notice and the ledger; 404 for a code that is not a community), a resident who
// votes on a phone and whose second vote is refused, and the staff side (居务公开): a notice published, a ledger
// entry approved by someone else, a poll's results with a paper ballot.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, screenshot, DEMO_PASSWORD } from './helpers.mjs';

const COMMUNITY = '330199001001';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true };

/** Fails when the page scrolls sideways (a phone layout must fit its width). */
async function fitsWidth(page) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client + 1, `the page is ${scroll}px wide on a ${client}px screen`);
}

/** Waits until indicators.js drew the chart (an SVG inside the container). */
async function chartDrawn(page, selector) {
  await page.locator(`${selector} svg`).first().waitFor({ state: 'attached', timeout: 15_000 });
}

describe('participation and transparency', () => {
  const env = useServerAndBrowser();

  it('the public portal of a community works on a phone without login', async () => {
    await withPage(env, PHONE, async ({ page, consoleErrors }) => {
      await page.goto('/p');
      await page.locator(`a[href="/p/${COMMUNITY}"]`).click();
      await page.waitForURL(`**/p/${COMMUNITY}`);
      assert.equal(await page.locator('#portal-name').textContent(), '文新社区');
      for (const id of ['portal-notices', 'portal-ledger', 'portal-polls', 'portal-happiness', 'portal-meetings', 'portal-volunteers']) {
        assert.ok(await page.locator(`#${id}`).isVisible(), `section ${id}`);
      }
      // Community life's published records: resolutions with who owns them, activities with places left, China time.
      assert.ok((await page.locator('#portal-meetings .resolution').count()) > 0, 'published resolutions');
      assert.match(await page.locator('#portal-meetings .resolution').first().textContent(), /责任方：/);
      assert.match(await page.locator('#portal-volunteers .activity-list li').first().textContent(), /余位 \d+\/\d+/);
      assert.ok((await page.locator('#portal-co-building tbody tr').count()) > 0, 'co-building units');
      assert.doesNotMatch(await page.locator('#portal-meetings').textContent(), /T\d\d:\d\d:\d\d/);
      // The street's pinned notice first, then the community's.
      const first = page.locator('#portal-notices .notice-item').first();
      assert.match(await first.textContent(), /置顶/);
      assert.match(await first.textContent(), /便民服务中心/);
      assert.match(await page.locator('#fund-income').textContent(), /^\d{1,3}(,\d{3})*\.\d{2}$/);
      assert.match(await page.locator('#happiness-weakest').textContent(), /最需改进：/);
      await chartDrawn(page, '#chart-fund');
      await chartDrawn(page, '#chart-dimensions');
      await chartDrawn(page, '#chart-happiness');
      await fitsWidth(page);
      await screenshot(page, 'portal-phone-home');

      // A notice, with when it was published.
      await page.locator('#portal-notices .notice-item a').nth(1).click();
      await page.locator('#notice-history li').first().waitFor();
      assert.match(await page.locator('#notice-history').textContent(), /发布/);
      await fitsWidth(page);
      await screenshot(page, 'portal-phone-notice');

      // The ledger: every year, the charts, the entries (a reversal in red).
      await page.goto(`/p/${COMMUNITY}/ledger`);
      await chartDrawn(page, '#chart-months');
      assert.ok((await page.locator('#ledger-entries li').count()) > 5);
      await fitsWidth(page);
      await screenshot(page, 'portal-phone-ledger');

      // A closed poll's results, no free texts.
      await page.goto(`/p/${COMMUNITY}`);
      await page.locator('#portal-polls .poll-item.closed a').first().click();
      await page.locator('#poll-ballots').waitFor();
      await fitsWidth(page);
      await screenshot(page, 'portal-phone-poll');

      // English, and 404 for a code that is not a community.
      await page.goto(`/p/${COMMUNITY}?lang=en`);
      assert.match(await page.locator('#portal-notices h2').textContent(), /Notices/);
      consoleErrors.expectHttpError('/p/33019900100101', 404);
      const r = await page.goto('/p/33019900100101?lang=zh');
      assert.equal(r.status(), 404);
    });
  });

  it('a resident votes on a phone and a second vote is refused', async () => {
    await withPage(env, PHONE, async ({ page, consoleErrors }) => {
      await login(page, 'demo_resident', DEMO_PASSWORD);
      await page.waitForURL('**/me');
      assert.equal(await page.locator('#me-polls-open').textContent(), '1');
      await page.locator('#me-polls').click();
      await page.waitForURL('**/me/polls');
      const card = page.locator('#my-polls li.open').first();
      const id = await card.getAttribute('data-poll');
      await card.locator('a.vote').click();
      await page.waitForURL(`**/me/polls/${id}`);
      const before = (await (await page.request.get(`/api/v1/public/${COMMUNITY}/polls/${id}`)).json()).poll.ballots;
      await fitsWidth(page);
      await screenshot(page, 'resident-phone-ballot');

      // A required question left out: named at the question, the rest kept.
      await page.locator('#question-1 .scale-point').nth(3).click();
      consoleErrors.expectHttpError(`/me/polls/${id}`, 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#vote-submit').click()]);
      assert.match(await page.locator('#question-0 .field-error').textContent(), /请回答/);
      assert.ok(await page.locator('#question-1 input[value="4"]').isChecked(), 'the score given is kept');

      await page.locator('#question-0 input[type="radio"]').nth(2).check();
      await page.locator('#question-2 textarea').fill('希望晚上增加巡逻');
      await Promise.all([page.waitForURL(`**/me/polls/${id}?voted=1`), page.locator('#vote-submit').click()]);
      assert.match(await page.locator('#vote-done').textContent(), /感谢/);
      assert.equal(await page.locator('#ballot-form').count(), 0, 'no form once voted');
      await page.goto(`/me/polls/${id}`);
      assert.match(await page.locator('#vote-closed').textContent(), /已参与/);
      await fitsWidth(page);
      await screenshot(page, 'resident-phone-voted');

      // A second ballot, posted as the form would (a stale tab): 409, not counted.
      const csrf = await page.evaluate(() => document.querySelector('#logout-form input[name="csrf"]').value);
      const again = await page.request.post(`/me/polls/${id}`, { form: { csrf, q0: '0', q1: '5' } });
      assert.equal(again.status(), 409);
      assert.match(await again.text(), /只能投一次/);
      const results = await page.request.get(`/api/v1/public/${COMMUNITY}/polls/${id}`);
      const body = await results.json();
      assert.equal(body.poll.ballots, before + 1, 'one ballot counted, the second not');
    });
  });

  it('staff publish a notice, approve a ledger entry and record a paper ballot', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.locator('#nav-notices').click();
      await page.waitForURL('**/participation/notices');
      await page.locator('#new-notice').click();
      const form = page.locator('#notice-form');
      await form.locator('select[name="category"]').selectOption('finance');
      await form.locator('input[name="title"]').fill('十二月共建资金使用计划');
      await form.locator('textarea[name="body"]').fill('本月计划支出：楼道照明维修、困难家庭慰问。\n欢迎居民监督。');
      await form.locator('input[name="publish"]').check();
      await Promise.all([page.waitForURL('**/participation/notices/*?done=created'), page.locator('#notice-save').click()]);
      assert.match(await page.locator('#revisions').textContent(), /发布/);
      await screenshot(page, 'staff-notice');

      await page.goto('/participation/ledger/new');
      await page.locator('#entry-form input[name="direction"][value="expense"]').check();
      await page.locator('#entry-form select[name="expense_category"]').selectOption('assistance');
      await page.locator('#entry-form input[name="amount"]').fill('2,400');
      await page.locator('#entry-form input[name="counterparty"]').fill('社区居委会');
      await page.locator('#entry-form textarea[name="summary"]').fill('冬季困难家庭慰问');
      await Promise.all([page.waitForURL('**/participation/ledger/*?done=created'), page.locator('#entry-save').click()]);
      assert.match(await page.locator('h1').textContent(), /待审核/);
      assert.equal(await page.locator('#approve').count(), 0, 'the entrant does not approve');
      await page.goto('/participation/ledger');
      await chartDrawn(page, '#chart-months');
      await screenshot(page, 'staff-ledger');
    });
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_street', DEMO_PASSWORD);
      await page.goto('/participation/ledger?status=entered');
      await page.locator('#ledger tbody a').first().click();
      await Promise.all([page.waitForURL('**?done=decided'), page.locator('#approve').click()]);
      assert.match(await page.locator('h1').textContent(), /已审核/);
    });
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      await page.locator('#nav-polls').click();
      await page.locator('#polls tbody a', { hasText: '停车' }).first().click();
      await page.locator('#paper').waitFor();
      const id = page.url().match(/polls\/(\d+)/)[1];
      const before = Number(await page.locator('#kpi-paper').textContent());
      // An ID number that is nobody's here: named at the form.
      consoleErrors.expectHttpError(`/participation/polls/${id}/paper`, 400);
      await page.locator('#paper input[name="id_number"]').fill('11010119900307803X');
      await page.locator('#paper #question-0 input[type="radio"]').first().check();
      await page.locator('#paper #question-1 .scale-point').nth(2).click();
      await Promise.all([page.waitForLoadState('load'), page.locator('#paper-save').click()]);
      assert.ok(await page.locator('#paper-error').isVisible());
      await chartDrawn(page, '#chart-q0');
      await screenshot(page, 'staff-poll');
      assert.equal(Number(await page.locator('#kpi-paper').textContent()), before);
    });
  });
});
