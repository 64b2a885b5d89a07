// What each role may see: a grid worker only their grid, a street only their street.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, screenshot, waitForMap, readStats, DEMO_PASSWORD, DISTRICT_CODE } from './helpers.mjs';

const NOT_FOUND_TITLE = '页面不存在或无权查看';

/** Visits a region the user may not see: a 404 page, saying so, with nothing of the region on it. */
async function expectHidden(page, consoleErrors, code) {
  consoleErrors.expectHttpError(`/regions/${code}`, 404);
  const res = await page.goto(`/regions/${code}`);
  assert.equal(res.status(), 404, `/regions/${code} must be 404 for this user`);
  assert.equal((await page.locator('main h1').textContent()).trim(), NOT_FOUND_TITLE);
  assert.equal(await page.locator('#map').count(), 0, 'no map of a hidden region');
  assert.equal(await page.locator('#region-panel').count(), 0, 'no panel of a hidden region');
}

describe('scope', () => {
  const env = useServerAndBrowser();

  it('a grid worker lands on their grid and never sees above it', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      assert.equal(new URL(page.url()).pathname, '/');
      const meta = await page.locator('#region-panel .meta').textContent();
      assert.match(meta, /网格 · 编码 \d{14}/, `the home page of a grid worker is their grid: ${meta}`);
      const gridCode = meta.match(/\d{14}/)[0];
      assert.ok(gridCode.startsWith(DISTRICT_CODE));
      const stats = await readStats(page);
      assert.ok(stats.households > 0 && stats.residents > 0);
      assert.equal(await waitForMap(page), 1, 'their map shows their grid');
      assert.equal(await page.locator('#breadcrumb a').count(), 0, 'no links to the regions above their grid');
      assert.equal(await page.locator('nav.menu a[href="/admin/users"]').count(), 0, 'no users page for a grid worker');
      await screenshot(page, 'grid-worker');

      const own = await page.goto(`/regions/${gridCode}`);
      assert.equal(own.status(), 200);

      await Promise.all([page.waitForURL('**/regions'), page.locator('nav.menu a[href="/regions"]').click()]);
      const treeLinks = await page.locator('#region-tree a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(treeLinks, [`/regions/${gridCode}`], 'the tree of a grid worker is their grid alone');

      // The district, their street and their community are all hidden.
      for (const code of [DISTRICT_CODE, gridCode.slice(0, 9), gridCode.slice(0, 12)]) {
        await expectHidden(page, consoleErrors, code);
      }
      await screenshot(page, 'grid-worker-404');
    });
  });

  it('a street account sees its own street but not the other street or the district', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_street', DEMO_PASSWORD);
      assert.equal(new URL(page.url()).pathname, '/');
      const meta = await page.locator('#region-panel .meta').textContent();
      assert.match(meta, /镇\/街道 · 编码 330199001\b/, `demo_street works in the first street: ${meta}`);
      assert.equal(await page.locator('#breadcrumb a').count(), 0, 'no link to the district above the street');
      const stats = await readStats(page);
      assert.ok(stats.grids > 0);
      assert.equal(await waitForMap(page), stats.grids);
      const communities = await page.locator('#children a.child').evaluateAll((as) => as.map((a) => a.dataset.code));
      assert.ok(communities.length > 0);
      for (const c of communities) assert.ok(c.startsWith('330199001'), `${c} lies in the street`);

      const own = await page.goto('/regions/330199001');
      assert.equal(own.status(), 200);
      const child = await page.goto(`/regions/${communities[0]}`);
      assert.equal(child.status(), 200, 'their communities are visible');
      await waitForMap(page);

      await expectHidden(page, consoleErrors, '330199002');
      await expectHidden(page, consoleErrors, DISTRICT_CODE);
    });
  });

  it('unknown regions and unknown pages are 404 pages too', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'admin', 'admin-pass-123');
      await expectHidden(page, consoleErrors, '330199999');
      consoleErrors.expectHttpError('/no-such-page', 404);
      const res = await page.goto('/no-such-page');
      assert.equal(res.status(), 404);
      assert.equal((await page.locator('main h1').textContent()).trim(), NOT_FOUND_TITLE);
    });
  });
});
