// Chinese by default; English by the language links (remembered) or by Accept-Language.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, loginAsAdmin, screenshot, waitForMap, DISTRICT_NAME } from './helpers.mjs';

const navTexts = (page) => page.locator('nav.menu a').evaluateAll((as) => as.map((a) => a.textContent.trim()));
/** The first links of the navigation (later ones, such as settings, may come and go). */
async function assertNav(page, expected) {
  const texts = await navTexts(page);
  assert.deepEqual(texts.slice(0, expected.length), expected, `navigation: ${texts.join(' | ')}`);
}

describe('language', () => {
  const env = useServerAndBrowser();

  it('switches to English and back with #lang-en / #lang-zh', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      await assertNav(page, ['地图', '区域树', '指挥调度', '大屏展示', '综合报表', '实有人口', '组织', '数据导入', '事件', '上报事件', '事件指标', '网格员工作', '矛盾纠纷', '重点人群', '治安防控']);
      await waitForMap(page);

      await Promise.all([page.waitForURL(/[?&]lang=en/), page.locator('#lang-en').click()]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await assertNav(page, ['Map', 'Region tree', 'Command dashboard', 'Big screen', 'Reports', 'People', 'Organizations', 'Import', 'Events', 'Report', 'Indicators', 'Grid workers', 'Disputes', 'Key groups', 'Safety']);
      assert.equal((await page.locator('#region-panel h2').first().textContent()).trim(), 'Subregions');
      assert.equal((await page.locator('#stat-households').locator('xpath=../dt').textContent()).trim(), 'Households');
      assert.equal((await page.locator('#logout-form button').textContent()).trim(), 'Sign out');
      // Region names are data, not UI text: they stay Chinese.
      assert.equal((await page.locator('#region-panel h1').textContent()).trim(), DISTRICT_NAME);
      await waitForMap(page);
      await screenshot(page, 'english');

      // The choice is remembered while navigating.
      await Promise.all([page.waitForURL('**/regions'), page.locator('nav.menu a[href="/regions"]').click()]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      assert.equal((await page.locator('section h1').textContent()).trim(), 'Region tree');

      await Promise.all([page.waitForURL(/[?&]lang=zh/), page.locator('#lang-zh').click()]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      await assertNav(page, ['地图', '区域树', '指挥调度', '大屏展示', '综合报表', '实有人口', '组织', '数据导入', '事件', '上报事件', '事件指标', '网格员工作', '矛盾纠纷', '重点人群', '治安防控']);
      assert.equal((await page.locator('section h1').textContent()).trim(), '区域树');
      await page.goto('/');
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      await waitForMap(page);
    });
  });

  it('an English browser (Accept-Language en-US) gets English pages', async () => {
    await withPage(env, { locale: 'en-US' }, async ({ page }) => {
      await page.goto('/login');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      assert.equal((await page.locator('h1').textContent()).trim(), 'Community Grid Governance');
      assert.equal((await page.locator('#login-form button[type="submit"]').textContent()).trim(), 'Sign in');
      assert.match(await page.locator('#login-form').textContent(), /Username[\s\S]*Password/);
      await screenshot(page, 'login-english');
      // …and #lang-zh still switches such a browser to Chinese.
      await Promise.all([page.waitForURL(/[?&]lang=zh/), page.locator('#lang-zh').click()]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      assert.equal((await page.locator('h1').textContent()).trim(), '社区网格化服务管理平台');
    });
  });
});
