// 治安防控 in the browser: the 综治 centre's key-group list (overdue rows red, masked numbers, the overdue-only
// view, English too) and the safety map (grids coloured by patrol coverage, an open hazard as a red point,
// drawn without tiles), with a refused team form kept as typed and then a team added.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, screenshot, DEMO_PASSWORD } from './helpers.mjs';

const COMMUNITY1 = '330199001001';
const GRID1 = '33019900100101';

/** A bearer-token API call as a demo user (outside the browser). */
async function api(env, user, method, path, body) {
  const s = await fetch(`${env.server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password: DEMO_PASSWORD }),
  });
  const { token } = await s.json();
  const r = await fetch(`${env.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json() };
}

describe('key groups and safety', () => {
  const env = useServerAndBrowser();

  it('lists key groups for the centre, overdue first and red', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_street', DEMO_PASSWORD);
      await Promise.all([page.waitForURL('**/key-groups'), page.locator('nav.menu a[href="/key-groups"]').click()]);
      const rows = page.locator('#key-groups tbody tr');
      await rows.first().waitFor();
      const n = await rows.count();
      assert.ok(n >= 4, `the demo street has people under management (${n})`);
      // Overdue rows come first and are red.
      const overdue = await rows.evaluateAll((trs) => trs.map((tr) => tr.classList.contains('overdue')));
      const firstCalm = overdue.indexOf(false);
      assert.ok(overdue[0], 'the first row is overdue');
      assert.ok(firstCalm === -1 || overdue.slice(firstCalm).every((o) => !o), `overdue first: ${overdue}`);
      const bg = await page.locator('#key-groups tbody tr.overdue').first().evaluate((tr) => getComputedStyle(tr).backgroundColor);
      assert.equal(bg, 'rgb(253, 236, 234)');
      const table = await page.locator('#key-groups').textContent();
      assert.match(table, /王建国（父亲）/, 'the guardian of the demo patient');
      assert.match(table, /危险性等级 4/);
      // Numbers masked only.
      for (const id of await page.locator('#key-groups tbody td.mono:nth-child(6)').allTextContents()) {
        assert.match(id.trim(), /^\d{6}\*+\d{3}[\dX]$/, `masked id number: ${id}`);
      }
      await screenshot(page, 'key-groups');

      // The overdue-only view.
      await page.locator('#key-group-filters select[name="view"]').selectOption('overdue');
      await Promise.all([page.waitForURL(/view=overdue/), page.locator('#key-group-filters button[type="submit"]').click()]);
      const classes = await page.locator('#key-groups tbody tr').evaluateAll((trs) => trs.map((tr) => tr.className));
      assert.ok(classes.length > 0 && classes.every((c) => c === 'overdue'), `${classes}`);

      // English.
      await page.goto('/key-groups?lang=en');
      await page.locator('#key-groups tbody tr').first().waitFor();
      assert.match(await page.locator('h1').textContent(), /Key groups under management/);
      await screenshot(page, 'key-groups-en');
    });
  });

  it('is not for mediators', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_mediator', DEMO_PASSWORD);
      assert.equal(await page.locator('nav.menu a[href="/key-groups"]').count(), 0);
      consoleErrors.expectHttpError('/key-groups', 403);
      const res = await page.goto('/key-groups');
      assert.equal(res.status(), 403);
    });
  });

  it('maps patrol coverage and hazards, and adds a team', async () => {
    // An open fire hazard in the first grid, reported by the community.
    const ev = await api(env, 'demo_community', 'POST', '/api/v1/events', {
      category: 'Z0301', description: '楼道堆放杂物堵塞消防通道', grid_code: GRID1,
    });
    assert.equal(ev.status, 201, JSON.stringify(ev.body));

    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      await Promise.all([page.waitForURL('**/safety'), page.locator('nav.menu a[href="/safety"]').click()]);
      const map = page.locator('#safety-map');
      await page.waitForFunction(() => {
        const m = document.getElementById('safety-map');
        return m && (m.dataset.loaded !== undefined || m.dataset.error !== undefined);
      });
      assert.equal(await map.getAttribute('data-error'), null);
      assert.equal(await map.getAttribute('data-loaded'), '2', 'both grids of the community drawn');
      assert.equal(await map.getAttribute('data-hazards'), '1');
      assert.ok(await map.evaluate((m) => m.classList.contains('no-tiles')), 'drawn without tiles');
      // The demo's patrols: the first grid often (green), the second rarely (amber).
      assert.equal(await page.locator('#safety-map path.cov-good').count(), 1);
      assert.equal(await page.locator('#safety-map path.cov-low').count(), 1);
      assert.equal(await page.locator('#safety-map path.hazard-point').count(), 1);
      const row = await page.locator(`#safety-grids tr[data-grid="${GRID1}"]`).textContent();
      assert.match(row, /巡查正常/);
      assert.match(await page.locator('#safety-teams').textContent(), /平安巡防队/);
      await page.locator(`#safety-map path.hazard-point`).hover();
      await page.locator('.leaflet-tooltip').filter({ hasText: '消防安全隐患' }).waitFor();
      await screenshot(page, 'safety-map');

      // A refused team: the member's line named, what was typed kept.
      consoleErrors.expectHttpError('/safety/teams', 400);
      const form = page.locator('#team-form');
      await form.locator('select[name="kind"]').selectOption('volunteer');
      await form.locator('input[name="name"]').fill('楼道守望队');
      await form.locator('select[name="region_code"]').selectOption(GRID1);
      await form.locator('input[name="shift"]').fill('每周六09:00–11:00');
      await form.locator('textarea[name="members"]').fill('张三 13800001111 队长\n李四 1380000');
      await Promise.all([page.waitForLoadState('load'), form.locator('button[type="submit"]').click()]);
      assert.match(await page.locator('#team-form .error').textContent(), /队员第2行/);
      assert.equal(await page.locator('#team-form input[name="name"]').inputValue(), '楼道守望队');

      await page.locator('#team-form textarea[name="members"]').fill('张三 13800001111 队长\n李四 13900002222');
      await Promise.all([page.waitForURL(/added=1/), page.locator('#team-form button[type="submit"]').click()]);
      await page.locator('#team-added').waitFor();
      const teams = await page.locator('#safety-teams').textContent();
      assert.match(teams, /楼道守望队/);
      assert.match(teams, /138\*\*\*\*1111/);
      assert.doesNotMatch(teams, /13800001111/);
      await page.locator('#safety-map[data-loaded]').waitFor({ state: 'attached' });
      const g1 = await page.locator(`#safety-grids tr[data-grid="${GRID1}"]`).textContent();
      assert.match(g1, /楼道守望队/, 'the new team covers its grid');
      await page.locator('#teams').scrollIntoViewIfNeeded();
      await screenshot(page, 'safety-teams');
    });
  });

  it('is read by leaders without the form, and not by grid workers', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_leader', DEMO_PASSWORD);
      await page.goto(`/safety?region=${COMMUNITY1.slice(0, 9)}`);
      await page.locator('#safety-map[data-loaded]').waitFor({ state: 'attached' });
      assert.equal(await page.locator('#team-form').count(), 0);
      // The street: often, rarely and never patrolled grids side by side.
      for (const c of ['good', 'low', 'none']) {
        assert.ok((await page.locator(`#safety-map path.cov-${c}`).count()) > 0, `a ${c} grid`);
      }
      await screenshot(page, 'safety-map-street');
      await page.context().clearCookies();
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      assert.equal(await page.locator('nav.menu a[href="/safety"]').count(), 0);
      consoleErrors.expectHttpError('/safety', 403);
      const res = await page.goto('/safety');
      assert.equal(res.status(), 403);
    });
  });
});
