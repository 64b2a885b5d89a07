// 社区共建 (community life) in the browser: community staff schedule a meeting (a refused form comes back as
// typed with the reason at the field), sign participants in, record the minutes with a file, add a resolution and
// see it done, and publish it (the public JSON shows the resolution, never a participant); a volunteer is signed up
// for a new activity, checked in and out, and the hours appear in their time bank. Grid workers read without forms;
// leaders see party organizations without member lists; every page is looked at on a desktop and a phone.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, screenshot, DEMO_PASSWORD } from './helpers.mjs';

const COMMUNITY = '330199001001';

/** A local China time `days` from today at `hour`, as a datetime-local value. */
function localTime(days, hour) {
  const d = new Date(Date.now() + 8 * 3600_000 + days * 86_400_000);
  const ymd = d.toISOString().slice(0, 10);
  return `${ymd}T${String(hour).padStart(2, '0')}:00`;
}

async function submit(page, form, urlPattern) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"]').first().click()]);
  if (urlPattern) assert.match(page.url(), urlPattern);
}

describe('community life', () => {
  const env = useServerAndBrowser();

  it('schedules a meeting, signs people in, records minutes and a resolution to completion, and publishes it', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      consoleErrors.expectHttpError('/life/meetings/new', 400);
      await login(page, 'demo_community', DEMO_PASSWORD);
      await Promise.all([page.waitForURL('**/life'), page.locator('#nav-life').click()]);
      assert.equal((await page.locator('#life-tab-overview').getAttribute('class')), 'on');
      assert.ok(Number(await page.locator('#card-overdue .n').textContent()) >= 1, 'the demo has an overdue resolution');
      await screenshot(page, 'life-overview');

      // A refused form keeps what was typed and names the field.
      await page.locator('#new-meeting').first().click();
      await page.waitForURL('**/life/meetings/new');
      const form = page.locator('#meeting-form');
      await form.locator('select[name="region_code"]').selectOption(COMMUNITY);
      await form.locator('select[name="kind"]').selectOption('council');
      await form.locator('input[name="starts_at"]').fill(localTime(2, 19));
      await form.locator('input[name="place"]').fill('社区党群服务中心');
      await form.locator('textarea[name="agenda"]').fill('通报意见征询情况\n讨论楼道堆物清理办法');
      await form.locator('textarea[name="participants"]').fill('@demo_grid_worker\n周经理 物业公司\n吴代表 区人大代表');
      await submit(page, form);
      assert.match(await page.locator('#meeting-form .field-error').first().textContent(), /必填/);
      assert.equal(await form.locator('input[name="place"]').inputValue(), '社区党群服务中心', 'typed values kept');
      assert.match(await form.locator('textarea[name="participants"]').inputValue(), /周经理 物业公司/);
      await screenshot(page, 'life-meeting-refused');
      // A bad participant line is named by its line.
      await form.locator('input[name="topic"]').fill('楼道堆物清理居民议事会');
      await form.locator('textarea[name="participants"]').fill('@demo_grid_worker\n@nobody_here');
      await submit(page, form);
      assert.match(await page.locator('#participants-error').textContent(), /第2行/);
      await form.locator('textarea[name="participants"]').fill('@demo_grid_worker\n周经理 物业公司\n吴代表 区人大代表');
      await submit(page, form, /\/life\/meetings\/\d+\?done=created/);
      const meetingUrl = new URL(page.url()).pathname;
      consoleErrors.expectHttpError(`${meetingUrl}/act`, 400);
      assert.match(await page.locator('#meeting-status').textContent(), /已安排/);

      // Sign-in of two participants.
      const boxes = page.locator('#form-sign_in input[type="checkbox"]');
      assert.equal(await boxes.count(), 3);
      await boxes.nth(0).check();
      await boxes.nth(1).check();
      await submit(page, page.locator('#form-sign_in'), /done=sign_in/);
      assert.match(await page.locator('#present-count').textContent(), /2\/3/);

      // Minutes with a file.
      const minutes = page.locator('#form-minutes');
      await minutes.locator('textarea[name="minutes"]').fill('一、楼道堆物限期一周内清理。\n二、物业每周巡查一次，社区网格员跟进。');
      await minutes.locator('input.photo-input').setInputFiles({ name: '签到表.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 sign-in sheet') });
      await page.waitForFunction(() => document.querySelector('#form-minutes input[name="attachments"]').value !== '');
      await submit(page, minutes, /done=minutes/);
      assert.match(await page.locator('#meeting-status').textContent(), /已召开/);
      assert.match(await page.locator('#meeting-files').textContent(), /签到表\.pdf/);

      // A resolution, refused without an owner, then added and reported done.
      const resolve = page.locator('#form-resolve');
      await resolve.locator('textarea[name="content"]').fill('物业公司一周内清理各楼道堆物');
      await submit(page, resolve);
      assert.ok(await page.locator('#form-resolve .error').isVisible(), 'missing owner refused');
      assert.equal(await page.locator('#form-resolve textarea[name="content"]').inputValue(), '物业公司一周内清理各楼道堆物');
      await page.locator('#form-resolve input[name="owner"]').fill('物业服务有限公司');
      await page.locator('#form-resolve input[name="due_on"]').fill(localTime(7, 0).slice(0, 10));
      await submit(page, page.locator('#form-resolve'), /done=resolve/);
      const res = page.locator('#resolutions .resolution').first();
      assert.equal(await res.getAttribute('data-status'), 'pending');
      const progress = res.locator('form.progress-form');
      await progress.locator('select[name="status"]').selectOption('done');
      await progress.locator('input[name="note"]').fill('已清理完毕，网格员复查');
      await submit(page, progress);
      assert.equal(await page.locator('#resolutions .resolution').first().getAttribute('data-status'), 'done');

      // Publish: the portal's JSON shows the resolution and no participant.
      await submit(page, page.locator('#form-publish'), /done=publish/);
      assert.ok(await page.locator('#meeting-published').isVisible());
      await screenshot(page, 'life-meeting');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(meetingUrl);
      await screenshot(page, 'life-meeting-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
      const pub = await page.evaluate(async (c) => (await fetch(`/api/v1/public/${c}/meetings`, { credentials: 'omit' })).json(), COMMUNITY);
      const m = pub.items.find((x) => x.topic === '楼道堆物清理居民议事会');
      assert.ok(m, 'published meeting on the public JSON');
      assert.equal(m.resolutions[0].owner, '物业服务有限公司');
      assert.equal(m.resolutions[0].status, 'done');
      const text = JSON.stringify(pub);
      for (const name of ['周经理', '吴代表', '刘芳', '签到表']) assert.ok(!text.includes(name), `public JSON carries ${name}`);
    });
  });

  it('signs a volunteer up for a new activity, checks them in and out, and credits the hours to the time bank', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      consoleErrors.expectHttpError('/life/activities', 400);
      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.goto('/life/activities');
      const form = page.locator('#new-activity');
      await form.locator('input[name="title"]').fill('周末义务理发');
      await form.locator('input[name="place"]').fill('社区广场');
      await form.locator('input[name="starts_at"]').fill(localTime(1, 9));
      await form.locator('input[name="ends_at"]').fill(localTime(1, 8));
      await submit(page, form);
      assert.ok(await page.locator('#new-activity .field-error').first().isVisible(), 'end before start refused');
      assert.equal(await form.locator('input[name="title"]').inputValue(), '周末义务理发');
      await form.locator('input[name="ends_at"]').fill(localTime(1, 11));
      await form.locator('input[name="capacity"]').fill('3');
      await submit(page, form, /\/life\/activities\/\d+\?done=created/);
      assert.match(await page.locator('#places-left').textContent(), /3\/3/);
      const activityUrl = new URL(page.url()).pathname;
      consoleErrors.expectHttpError(`${activityUrl}/act`, 400);

      // Sign up the first volunteer offered; remember their balance first.
      const select = page.locator('#form-signup select[name="volunteer_id"]');
      const volunteer = await select.locator('option').nth(1).getAttribute('value');
      const before = await page.evaluate(async (v) => (await (await fetch(`/api/v1/volunteers/${v}`)).json()).balance_minutes, volunteer);
      await select.selectOption(volunteer);
      await submit(page, page.locator('#form-signup'), /done=signup/);
      assert.match(await page.locator('#places-left').textContent(), /2\/3/);
      await submit(page, page.locator('#signups-table form').filter({ has: page.locator('button.check-in') }).first(), /done=check_in/);
      const out = page.locator('#signups-table form.check-out-form').first();
      assert.equal(await out.locator('input[name="hours"]').inputValue(), '2', 'the planned length is offered');
      await out.locator('input[name="hours"]').fill('很久');
      await submit(page, out);
      assert.ok(await page.locator('#signups-table .field-error').first().isVisible(), 'bad hours refused in its row');
      await page.locator('#signups-table form.check-out-form input[name="hours"]').fill('2.5');
      await submit(page, page.locator('#signups-table form.check-out-form').first(), /done=check_out/);
      assert.equal(await page.locator('#signups-table tbody tr').first().getAttribute('data-status'), 'checked_out');
      await screenshot(page, 'life-activity');

      await page.locator('#signups-table tbody tr').first().locator('a').click();
      await page.waitForURL(/\/life\/volunteers\/\d+/);
      consoleErrors.expectHttpError(`${new URL(page.url()).pathname}/act`, 422);
      const balance = Number((await page.locator('#balance-hours').textContent()).trim());
      assert.equal(balance * 60, before + 150, 'the time bank holds 2.5 more hours');
      assert.match(await page.locator('#ledger tbody tr').first().textContent(), /周末义务理发/);
      // Redeeming more than the balance is refused with the reason.
      await page.locator('#form-redeem input[name="hours"]').fill('500');
      await page.locator('#form-redeem input[name="service"]').fill('助老陪护服务');
      await submit(page, page.locator('#form-redeem'));
      assert.match(await page.locator('#form-redeem .error').textContent(), /余额不足/);
      await screenshot(page, 'life-volunteer');
    });
  });

  it('grid workers read without forms; leaders see party organizations but no member list; pages fit a phone', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_grid_worker', DEMO_PASSWORD);
      assert.ok(await page.locator('#nav-life').isVisible(), 'grid workers have the menu entry');
      await page.goto('/life/meetings');
      assert.ok((await page.locator('#meetings-table tbody tr').count()) >= 2, 'the community meetings');
      assert.equal(await page.locator('#new-meeting').count(), 0, 'no scheduling for grid workers');
      await page.locator('#meetings-table a.meeting-link').first().click();
      await page.waitForURL(/\/life\/meetings\/\d+/);
      assert.equal(await page.locator('#form-minutes, #form-resolve, #form-sign_in').count(), 0);
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [path, name] of [['/life/volunteers', 'life-volunteers-phone'], ['/life/co-building', 'life-co-building-phone']]) {
        await page.goto(path);
        await screenshot(page, name);
      }
      await page.context().clearCookies();
      await page.setViewportSize({ width: 1280, height: 800 });

      await login(page, 'demo_leader', DEMO_PASSWORD);
      await page.goto('/life/party');
      assert.ok((await page.locator('#party-orgs-table tbody tr').count()) >= 2);
      assert.equal(await page.locator('#members-table, #service-table').count(), 0, 'no member lists for leaders');
      await page.locator('#party-orgs-table a.party-org-link').last().click();
      await page.waitForURL(/\/life\/party\/orgs\/\d+/);
      assert.equal(await page.locator('#org-members').count(), 0);
      assert.ok(await page.locator('#quotas').isVisible(), '三会一课 count for a branch');
      await screenshot(page, 'life-party-org-leader');
      await page.context().clearCookies();

      await login(page, 'demo_community', DEMO_PASSWORD);
      await page.goto('/life/party');
      assert.ok(await page.locator('#service-table').isVisible(), 'in-service members for party-affairs staff');
      assert.ok(Number(await page.locator('#below-count').textContent()) >= 1, 'someone below the yearly minimum');
      await screenshot(page, 'life-party');
      await page.goto('/life/co-building');
      await screenshot(page, 'life-co-building');
      await page.locator('#units-table a.unit-link').first().click();
      await page.waitForURL(/\/life\/co-building\/units\/\d+/);
      assert.ok((await page.locator('#commitments .commitment').count()) >= 1);
      await screenshot(page, 'life-unit');
      await page.goto('/life/social-orgs');
      await page.locator('#social-orgs-table a.social-org-link').first().click();
      await page.waitForURL(/\/life\/social-orgs\/\d+/);
      assert.match(await page.locator('#org-stage').textContent(), /培育/);
      assert.equal(await page.locator('#stage-history li').count(), 2);
      await screenshot(page, 'life-social-org');
      await page.goto('/life/meetings?lang=en');
      assert.equal((await page.locator('#life-tab-meetings').textContent()).trim(), 'Meetings');
      await screenshot(page, 'life-meetings-english');
      await page.goto('/life?lang=zh');
    });
  });
});
