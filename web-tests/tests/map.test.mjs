// The district map after login, drilling down street → community → grid, and the region tree.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServerAndBrowser,
  withPage,
  loginAsAdmin,
  screenshot,
  readStats,
  waitForMap,
  clickShapeCentre,
  DISTRICT_CODE,
  DISTRICT_NAME,
} from './helpers.mjs';

const pathname = (page) => new URL(page.url()).pathname;

describe('map and drill-down', () => {
  const env = useServerAndBrowser();

  it('the admin lands on the district page with its stats and grids drawn', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      assert.equal(pathname(page), '/');
      assert.equal((await page.locator('#region-panel h1').textContent()).trim(), DISTRICT_NAME);
      assert.match(await page.locator('#region-panel .meta').textContent(), new RegExp(`区/县.*${DISTRICT_CODE}`));
      const stats = await readStats(page);
      assert.ok(stats.households > 0, `households ${stats.households}`);
      assert.ok(stats.residents > 0, `residents ${stats.residents}`);
      assert.ok(stats.grids > 0, `grids ${stats.grids}`);
      assert.ok(stats.residents >= stats.households, 'every household has at least one resident');

      const drawn = await waitForMap(page);
      const shapes = page.locator('#map svg path.grid-shape');
      assert.equal(await shapes.count(), drawn, 'one SVG path per grid polygon');
      assert.equal(drawn, stats.grids, 'the district map draws every grid of the district');
      const box = await page.locator('#map').boundingBox();
      assert.ok(box.width > 300 && box.height > 300, `the map has room: ${box.width}x${box.height}`);

      const children = page.locator('#children a.child');
      assert.ok((await children.count()) >= 2, 'the small demo district has two streets');
      assert.equal(await page.locator('#map svg path.child-shape').count(), await children.count(), 'the map outlines every street');
      for (const code of await children.evaluateAll((as) => as.map((a) => a.dataset.code))) {
        assert.match(code, new RegExp(`^${DISTRICT_CODE}\\d{3}$`), 'streets extend the district code');
      }
      await screenshot(page, 'district-map');
    });
  });

  it('drills down from the district to a street, a community and a grid on the map', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      await waitForMap(page);

      // District → street, through the table of subregions.
      const street = page.locator('#children a.child').first();
      const streetCode = await street.getAttribute('data-code');
      const streetName = (await street.textContent()).trim();
      await Promise.all([page.waitForURL(`**/regions/${streetCode}`), street.click()]);
      assert.match(pathname(page), /^\/regions\/\d{9}$/);
      assert.equal((await page.locator('#region-panel h1').textContent()).trim(), streetName);
      const crumbs = page.locator('#breadcrumb a');
      assert.equal(await crumbs.count(), 1);
      assert.equal(await crumbs.first().getAttribute('href'), `/regions/${DISTRICT_CODE}`);
      assert.equal((await crumbs.first().textContent()).trim(), DISTRICT_NAME);
      const streetStats = await readStats(page);
      assert.ok(streetStats.households > 0 && streetStats.residents > 0 && streetStats.grids > 0);
      assert.equal(await waitForMap(page), streetStats.grids);
      await screenshot(page, 'street');

      // Street → community.
      const community = page.locator('#children a.child').first();
      const communityCode = await community.getAttribute('data-code');
      assert.match(communityCode, new RegExp(`^${streetCode}\\d{3}$`));
      await Promise.all([page.waitForURL(`**/regions/${communityCode}`), community.click()]);
      assert.deepEqual(
        await page.locator('#breadcrumb a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
        [`/regions/${DISTRICT_CODE}`, `/regions/${streetCode}`],
      );
      const communityStats = await readStats(page);
      const drawn = await waitForMap(page);
      assert.equal(drawn, communityStats.grids);
      await screenshot(page, 'community');

      // Community → grid, by clicking (the centre of) a grid polygon on the map.
      const shape = page.locator('#map path.grid-shape').first();
      await Promise.all([page.waitForURL(/\/regions\/\d{14}$/), clickShapeCentre(page, shape)]);
      const gridCode = pathname(page).split('/').pop();
      assert.ok(gridCode.startsWith(communityCode), `grid ${gridCode} lies in community ${communityCode}`);
      assert.match(await page.locator('#region-panel .meta').textContent(), new RegExp(`网格.*${gridCode}`));
      assert.equal(await page.locator('#breadcrumb a').count(), 3, 'district › street › community');
      const gridStats = await readStats(page);
      assert.ok(gridStats.households > 0, `grid households ${gridStats.households}`);
      assert.ok(gridStats.residents > 0, `grid residents ${gridStats.residents}`);
      // The grid is drawn highlighted among the grids of its community.
      assert.equal(await waitForMap(page), communityStats.grids, 'a grid page draws the grids of its community');
      const current = page.locator('#map path.grid-shape.current');
      assert.equal(await current.count(), 1, 'the grid itself is highlighted');
      assert.equal(await page.locator('#children a.child').count(), 0, 'a grid has no subregions');
      await screenshot(page, 'grid');

      // The breadcrumb leads back up.
      await Promise.all([page.waitForURL(`**/regions/${DISTRICT_CODE}`), page.locator('#breadcrumb a').first().click()]);
      assert.equal((await page.locator('#region-panel h1').textContent()).trim(), DISTRICT_NAME);
      await waitForMap(page);
    });
  });

  it('the region tree lists every region, nested', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      await Promise.all([page.waitForURL('**/regions'), page.locator('nav.menu a[href="/regions"]').click()]);
      assert.equal((await page.locator('section h1').textContent()).trim(), '区域树');
      const items = page.locator('#region-tree li');
      // 1 district + 2 streets + 4 communities + 8 grids in the small demo.
      assert.ok((await items.count()) >= 15, `expected ≥ 15 regions, got ${await items.count()}`);
      const top = page.locator('#region-tree > ul > li > a').first();
      assert.equal((await top.textContent()).trim(), DISTRICT_NAME);
      assert.equal(await top.getAttribute('href'), `/regions/${DISTRICT_CODE}`);
      // Grids sit four levels deep: district › street › community › grid.
      const grids = page.locator('#region-tree li li li li > a');
      assert.ok((await grids.count()) >= 8, `expected ≥ 8 grids at depth 4, got ${await grids.count()}`);
      for (const href of await grids.evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
        assert.match(href, /^\/regions\/\d{14}$/);
      }
      await screenshot(page, 'tree');
      // A tree link opens that region.
      const href = await grids.first().getAttribute('href');
      await Promise.all([page.waitForURL(`**${href}`), grids.first().click()]);
      await waitForMap(page);
    });
  });
});
