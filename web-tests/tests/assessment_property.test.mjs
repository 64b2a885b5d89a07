// 物业服务考评 in the browser: community staff open the property companies' ranking from the 考核评价 menu, follow
// the demo's first company to its breakdown and check every number there against the API and the demo's
// inspection scores; a number opens the records it came from (the linked poll, the inspection entries with
// evidence). Screenshots go to target/web-screenshots.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, screenshot, DEMO_PASSWORD } from './helpers.mjs';

// The demo's first company: this quarter's inspection items (load_demo_property), 46 of 50.
const INSPECTIONS = {
  pm_sanitation: 10, pm_security: 7, pm_facilities: 7, pm_greenery: 6, pm_fire: 8, pm_disclosure: 4, pm_complaints: 4,
};

const num = (s) => Number(s.trim());

describe('property companies', () => {
  const env = useServerAndBrowser();

  it('shows a company score breakdown whose numbers come with their records', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.locator('#nav-assessment-property').click();
      await page.waitForURL(/\/assessment\/property$/);
      const rows = page.locator('#property-ranking tr[data-company]');
      assert.equal(await rows.count(), 2, 'the demo community has two companies');
      const first = page.locator('#property-ranking tr[data-company]', { hasText: '绿城物业服务中心' });
      assert.equal(num(await first.locator('td').nth(4).innerText()), 46, 'inspection points in the ranking');
      await screenshot(page, 'assessment-property-ranking');
      await Promise.all([page.waitForURL(/\/assessment\/property\/\d+/), first.locator('a').first().click()]);
      await page.locator('#breakdown').waitFor();

      const id = page.url().match(/property\/(\d+)/)[1];
      const period = new URL(page.url()).searchParams.get('period');
      const api = await (await page.request.get(`/api/v1/assessment/property/${id}?period=${period}`)).json();

      // Each inspection item's earned points as entered, and the page's numbers as the API computes them.
      let sum = 0;
      for (const ind of api.score.indicators) {
        const cell = page.locator(`#breakdown tr[data-indicator="${ind.code}"] td.earned`);
        const shown = num(await cell.innerText());
        assert.equal(shown, ind.earned, `${ind.code} earned`);
        if (ind.code in INSPECTIONS) assert.equal(shown, INSPECTIONS[ind.code], `${ind.code} as inspected`);
        sum += shown;
      }
      const total = num(await page.locator('#score-total').innerText());
      assert.equal(total, api.score.total);
      assert.equal(Math.round(sum * 100) / 100, total, 'the items add up to the total');
      // Survey: the linked parking poll's 1–5 question, 40 × average / 5.
      const survey = api.metrics.find((m) => m.metric === 'survey_satisfaction');
      assert.ok(survey.value >= 2 && survey.value <= 5, `survey ${survey.value}`);
      assert.equal(
        api.score.indicators.find((i) => i.code === 'pm_survey').earned,
        Math.round(40 * (survey.value / 5) * 100) / 100,
      );
      const award = num(await page.locator('#award').innerText());
      assert.equal(award * 100, api.award_cents);

      // A number opens its records: the poll behind the satisfaction, the entries behind an inspection item.
      await page.locator('#breakdown tr[data-indicator="pm_survey"] a.metric-link').click();
      await page.locator('#records-pm_survey').evaluate((d) => { d.open = true; });
      const poll = page.locator('#records-pm_survey li a').first();
      assert.match(await poll.getAttribute('href'), /^\/participation\/polls\/\d+$/);
      assert.match(await poll.innerText(), /停车/);
      await page.locator('#records-pm_sanitation').evaluate((d) => { d.open = true; });
      assert.match(await page.locator('#records-pm_sanitation li').first().innerText(), /现场检查记录/);
      await screenshot(page, 'assessment-property-breakdown');
    });
  });
});
