// Dispute mediation (矛盾纠纷多元化解) in the browser: community staff register a neighbour dispute with a party
// found in the register and an outsider, accept it, record a session, reach an agreement, print the 人民调解协议书
// (screenshot and PDF), record the follow-up visit and see it closed; a registration without a respondent comes
// back with the error at the respondent's name and everything typed kept; a complex dispute goes to the street,
// where the community may read but not act and the street's mediator accepts it; the leader reads the statistics.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useServerAndBrowser, withPage, login, screenshot, DEMO_PASSWORD, SCREENSHOT_DIR } from './helpers.mjs';

const COMMUNITY = '330199001001';
const GRID1 = '33019900100101';
const LEGAL = '本协议自各方当事人签名、人民调解员签名并加盖人民调解委员会印章之日起生效。本协议书一式三份，当事人、人民调解委员会各持一份。';

/** A 身份证号 with its GB 11643 check character. */
function idNumber(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

/** Signs in afresh as `user` (cookies of the previous user cleared). */
async function switchUser(page, user) {
  await page.context().clearCookies();
  await login(page, user, DEMO_PASSWORD);
}

/** Fills the top of the register form. */
async function fillDispute(page, { type, title, facts, amount = '', difficulty = 'simple', grid = '', risk = false }) {
  await page.goto('/disputes/new');
  const form = page.locator('#dispute-form');
  await form.locator('select[name="type_code"]').selectOption(type);
  await form.locator('input[name="title"]').fill(title);
  await form.locator('textarea[name="facts"]').fill(facts);
  if (amount) await form.locator('input[name="amount"]').fill(amount);
  if (grid) await form.locator('select[name="grid_code"]').selectOption(grid);
  await form.locator(`input[name="difficulty"][value="${difficulty}"]`).check();
  if (risk) await form.locator('input[name="risk_escalation"]').check();
  return form;
}

async function outsider(form, i, { name, phone = '', id = '', address = '' }) {
  const p = form.locator(`#party-${i}`);
  await p.locator(`input[name="parties[${i}].name"]`).fill(name);
  if (phone) await p.locator(`input[name="parties[${i}].phone"]`).fill(phone);
  if (id) await p.locator(`input[name="parties[${i}].id_number"]`).fill(id);
  if (address) await p.locator(`input[name="parties[${i}].address"]`).fill(address);
}

/** Submits the register form and returns the new dispute's id. */
async function submitDispute(page) {
  await Promise.all([page.waitForURL(/\/disputes\/\d+\?registered=1$/), page.locator('#dispute-submit').click()]);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

/** Takes one action from the dispute page's form for it and checks the page says it is done. */
async function act(page, id, action, fill = async () => {}) {
  await page.goto(`/disputes/${id}`);
  const form = page.locator(`#act-${action}`);
  await fill(form);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.locator('button[type="submit"]').click()]);
  // A refusal stays on the page with its message in the form: say which, rather than time out.
  const refused = await page.locator(`#act-${action} .error`).allTextContents();
  assert.deepEqual(refused, [], `${action} refused`);
  assert.match(page.url(), new RegExp(`/disputes/${id}\\?done=${action}$`));
  assert.ok(await page.locator('#dispute-notice').isVisible(), `${action} done`);
}

const statusText = async (page) => (await page.locator('#dispute-status').textContent()).trim();

describe('disputes', () => {
  const env = useServerAndBrowser();

  it('community staff register a neighbour dispute, mediate it to an agreement, print it and close it after the follow-up', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      assert.ok(await page.locator('#nav-disputes').isVisible(), 'a 矛盾纠纷 menu entry');
      // A resident of the community, to be found through the form's search box.
      const resident = await page.evaluate(async (c) => (await (await fetch(`/api/v1/people?region=${c}&limit=1`)).json()).items[0], COMMUNITY);
      const form = await fillDispute(page, {
        type: 'neighbour',
        title: '翠苑一区楼上漏水邻里纠纷',
        facts: '楼上卫生间防水层老化，连续两个月向楼下渗水，楼下天花板霉变。双方多次协商未果，楼下要求赔偿维修费用。',
        amount: '1.2万',
      });
      const p0 = form.locator('#party-0');
      assert.equal(await p0.locator(`input[name="parties[0].person_id"]`).isVisible(), false, 'with JavaScript the id field gives way to the search');
      await p0.locator('.party-search').fill(resident.name);
      await p0.locator(`.party-result[data-id="${resident.id}"]`).click();
      assert.equal(await p0.locator('input[name="parties[0].person_id"]').inputValue(), String(resident.id));
      assert.match(await p0.locator('.party-chosen-name').textContent(), new RegExp(resident.name));
      assert.equal(await p0.locator('input[name="parties[0].name"]').isVisible(), false, 'no outsider fields for a register person');
      await outsider(form, 1, { name: '王建国', phone: '13912345678', id: idNumber('33010619850612341'), address: '翠苑一区5幢401室' });
      await screenshot(page, 'dispute-new');
      const id = await submitDispute(page);

      assert.equal(await statusText(page), '已登记');
      assert.equal(await page.locator('#dispute-level').getAttribute('data-level'), 'community', '简易 → the community mediates');
      assert.match(await page.locator('#dispute-amount').textContent(), /12,000\.00/);
      const parties = page.locator('#dispute-parties tbody tr');
      assert.equal(await parties.count(), 2);
      assert.equal(await parties.nth(0).getAttribute('data-role'), 'applicant');
      assert.match(await parties.nth(0).textContent(), new RegExp(resident.name));
      const outsiderRow = await parties.nth(1).textContent();
      assert.match(outsiderRow, /王建国/);
      assert.match(outsiderRow, /139\*{4}5678/, 'the phone is masked');
      assert.match(outsiderRow, /330106\*+\d{3}[\dX]/, 'the 身份证号 is masked');
      assert.doesNotMatch(await page.content(), /13912345678/, 'the full phone is nowhere on the page');

      await act(page, id, 'accept');
      assert.equal(await statusText(page), '调解中');
      assert.equal((await page.locator('#dispute-mediator').textContent()).trim(), 'demo_community');
      assert.match(await page.locator('#dispute-due').textContent(), /还剩 30 天/);

      await act(page, id, 'session', async (f) => {
        await f.locator('input[name="attendees"]').fill(`${resident.name}、王建国、物业管理员`);
        await f.locator('textarea[name="note"]').fill('现场查看渗水点，双方同意由楼上重做防水并承担楼下维修费用。');
      });
      const session = page.locator('#dispute-steps li[data-action="session"]');
      assert.match(await session.textContent(), /调解日期：\d{4}-\d{2}-\d{2}/);
      assert.match(await session.textContent(), /物业管理员/);

      await act(page, id, 'agree', async (f) => {
        await f.locator('textarea[name="agreement"]').fill('一、王建国于十日内重做卫生间防水层。\n二、王建国赔偿楼下天花板维修费用人民币捌仟元整（8000元）。');
        await f.locator('textarea[name="performance"]').fill('防水工程于2026年12月10日前完工；赔偿款于签订本协议之日一次性现金支付。');
      });
      assert.equal(await statusText(page), '达成协议');
      assert.match(await page.locator('#dispute-due').textContent(), /回访期限|还剩 15 天/);
      await screenshot(page, 'dispute-agreed');

      // The printable 人民调解协议书.
      await Promise.all([page.waitForURL(`**/disputes/${id}/agreement`), page.locator('#print-agreement').click()]);
      assert.match((await page.locator('#doc-number').textContent()).trim(), new RegExp(`^〔\\d{4}〕\\S+调字第${id}号$`));
      const docParties = await page.locator('#doc-parties .doc-party').allTextContents();
      assert.equal(docParties.length, 2);
      assert.match(docParties[0], new RegExp(`申请人：${resident.name}`));
      assert.match(docParties[1], /被申请人：王建国，公民身份号码 330106\*+/);
      assert.match(await page.locator('#doc-facts').textContent(), /防水层老化/);
      assert.match(await page.locator('#doc-terms').textContent(), /捌仟元整/);
      assert.match(await page.locator('#doc-performance').textContent(), /2026年12月10日前完工/);
      assert.equal((await page.locator('#doc-legal').textContent()).trim(), LEGAL);
      assert.equal(await page.locator('#doc-signatures .sig').count(), 3, 'a line for each party and the mediator');
      assert.match(await page.locator('#doc-seal').textContent(), /人民调解委员会（印）/);
      assert.match(await page.locator('#doc-date').textContent(), /^\d{4}年\d{1,2}月\d{1,2}日$/);
      await screenshot(page, 'dispute-agreement');
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('.topbar').isVisible(), false, 'printing hides the menu');
      assert.equal(await page.locator('.doc-toolbar').isVisible(), false, 'and the toolbar');
      await screenshot(page, 'dispute-agreement-print');
      await page.pdf({ path: path.join(SCREENSHOT_DIR, 'dispute-agreement.pdf'), format: 'A4', preferCSSPageSize: true, printBackground: true });
      await page.emulateMedia({ media: 'screen' });

      await act(page, id, 'follow_up', async (f) => {
        await f.locator('input[name="held"][value="yes"]').check();
        await f.locator('textarea[name="note"]').fill('回访：防水已重做，赔偿款已付清，双方无异议。');
      });
      assert.equal(await statusText(page), '已结案');
      assert.match(await page.locator('#dispute-fulfilled').textContent(), /协议已履行/);
      const steps = await page.locator('#dispute-steps li').evaluateAll((ls) => ls.map((l) => l.dataset.action));
      assert.deepEqual(steps, ['register', 'accept', 'session', 'agree', 'follow_up']);
      assert.equal(await page.locator('#act-forms').count(), 0, 'nothing left to do');
      await screenshot(page, 'dispute-closed');

      await page.goto('/disputes?type=neighbour');
      const row = page.locator(`#disputes-table tr[data-id="${id}"]`);
      assert.equal(await row.getAttribute('data-status'), 'closed');
      await page.goto('/disputes?status=open');
      assert.equal(await page.locator(`#disputes-table tr[data-id="${id}"]`).count(), 0, 'a closed dispute is not open');
    });
  });

  it('a registration without a respondent comes back with the error at the respondent and what was typed', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      const form = await fillDispute(page, { type: 'property_management', title: '物业费争议', facts: '业主以服务差为由拒交物业费一年。', amount: '3600' });
      await outsider(form, 0, { name: '赵业主', phone: '13700001111' });
      consoleErrors.expectHttpError('/disputes/new', 400);
      await Promise.all([page.waitForLoadState('load'), page.locator('#dispute-submit').click()]);
      const err = page.locator('#party-1 .field-error');
      assert.ok(await err.isVisible(), 'the error sits in the respondent block');
      assert.match(await err.textContent(), /姓名/);
      assert.equal(await page.locator('#form-error').count(), 0, 'not as a general message');
      assert.equal(await page.locator('#dispute-form select[name="type_code"]').inputValue(), 'property_management');
      assert.equal(await page.locator('#dispute-form input[name="title"]').inputValue(), '物业费争议');
      assert.equal(await page.locator('#dispute-form textarea[name="facts"]').inputValue(), '业主以服务差为由拒交物业费一年。');
      assert.equal(await page.locator('#dispute-form input[name="amount"]').inputValue(), '3600');
      assert.equal(await page.locator('#dispute-form input[name="parties[0].name"]').inputValue(), '赵业主');
      assert.equal(await page.locator('#dispute-form input[name="parties[0].phone"]').inputValue(), '13700001111');
      await screenshot(page, 'dispute-new-error');
      // Naming the respondent is enough; the grid is then asked for, since neither party is in the register.
      await outsider(page.locator('#dispute-form'), 1, { name: '某物业公司' });
      await Promise.all([page.waitForLoadState('load'), page.locator('#dispute-submit').click()]);
      assert.ok(await page.locator('#grid-error').isVisible(), 'the grid is named');
      await page.locator('#dispute-form select[name="grid_code"]').selectOption(GRID1);
      const id = await submitDispute(page);
      assert.equal(await statusText(page), '已登记');
    });
  });

  it('a complex dispute goes to the street: the community reads it but cannot act, the mediator accepts it', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_community', DEMO_PASSWORD);
      const form = await fillDispute(page, {
        type: 'housing_homestead',
        title: '宅基地界址争议',
        facts: '两户因宅基地界址发生争执，一方扬言要动手，情绪激动。',
        difficulty: 'complex',
        grid: GRID1,
        risk: true,
      });
      await outsider(form, 0, { name: '钱大伯' });
      await outsider(form, 1, { name: '孙二叔' });
      const id = await submitDispute(page);
      assert.equal(await page.locator('#dispute-level').getAttribute('data-level'), 'street', '复杂 → the street mediates first');
      assert.ok(await page.locator('#dispute-risk').isVisible(), '民转刑 risk shown');
      assert.equal(await page.locator('#act-forms').count(), 0, 'no forms for the community');
      assert.match(await page.locator('#no-actions').textContent(), /镇\/街道/);
      // A form posted anyway (an old page, a crafted request) is refused with 403 next to the form.
      consoleErrors.expectHttpError(`/disputes/${id}/act`, 403);
      await Promise.all([
        page.waitForLoadState('load'),
        page.evaluate((id) => {
          const f = document.createElement('form');
          f.method = 'post';
          f.action = `/disputes/${id}/act`;
          for (const [k, v] of [['csrf', document.querySelector('#logout-form input[name="csrf"]').value], ['action', 'accept'], ['mediator', 'demo_community']]) {
            const i = document.createElement('input');
            i.type = 'hidden';
            i.name = k;
            i.value = v;
            f.appendChild(i);
          }
          document.body.appendChild(f);
          f.submit();
        }, id),
      ]);
      assert.match(await page.locator('#act-accept .error').textContent(), /权限|无权|forbidden/i);
      assert.equal(await page.locator('#act-accept input[name="mediator"]').inputValue(), 'demo_community', 'what was sent is kept');
      // No agreement yet, so no 协议书 to print.
      consoleErrors.expectHttpError(`/disputes/${id}/agreement`, 404);
      await page.goto(`/disputes/${id}/agreement`);
      assert.match(await page.locator('main').textContent(), /尚未达成调解协议/);
      await page.goto('/disputes');
      const row = page.locator(`#disputes-table tr[data-id="${id}"]`);
      assert.ok(await row.locator('.risk-tag').isVisible(), 'the list marks the risk');

      await switchUser(page, 'demo_mediator');
      await page.goto('/disputes?status=open');
      assert.equal(await page.locator(`#disputes-table tr[data-id="${id}"]`).count(), 1, 'the street mediator lists it');
      await screenshot(page, 'disputes-list');
      await act(page, id, 'accept');
      assert.equal((await page.locator('#dispute-mediator').textContent()).trim(), 'demo_mediator');
      await act(page, id, 'session', (f) => f.locator('textarea[name="note"]').fill('分别做双方工作，情绪稳定，约定下周现场勘界。'));
      await page.goto(`/disputes/${id}`);
      for (const a of ['session', 'agree', 'fail', 'refer', 'escalate', 'withdraw']) {
        assert.equal(await page.locator(`#act-${a}`).count(), 1, `the ${a} form is offered`);
      }
      // Refer without a target: 400 in the refer form, the note kept.
      consoleErrors.expectHttpError(`/disputes/${id}/act`, 400);
      await page.locator('#act-refer textarea[name="note"]').fill('建议诉调对接');
      await Promise.all([page.waitForLoadState('load'), page.locator('#act-refer button[type="submit"]').click()]);
      assert.match(await page.locator('#act-refer .error').textContent(), /移送去向/);
      assert.equal(await page.locator('#act-refer textarea[name="note"]').inputValue(), '建议诉调对接');
      await screenshot(page, 'dispute-detail');
    });
  });

  it('the leader reads the statistics with charts, not the disputes themselves', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_leader', DEMO_PASSWORD);
      assert.equal(await page.locator('#nav-disputes').count(), 0);
      await Promise.all([page.waitForURL('**/disputes/stats'), page.locator('#nav-dispute-stats').click()]);
      assert.ok(Number(await page.locator('#kpi-total').textContent()) >= 3);
      assert.equal((await page.locator('#kpi-success-rate').textContent()).trim(), '100.0%');
      assert.equal((await page.locator('#kpi-fulfilment-rate').textContent()).trim(), '100.0%');
      assert.ok(Number(await page.locator('#kpi-risk').textContent()) >= 1);
      assert.match(await page.locator('#kpi-mean-days').textContent(), /^\d+\.\d$/);
      const chartText = async (id) => {
        await page.locator(`#${id} svg text`).first().waitFor();
        return (await page.locator(`#${id} svg text`).allTextContents()).join('|');
      };
      assert.match(await chartText('chart-by-type'), /邻里纠纷/);
      assert.match(await chartText('chart-by-status'), /已结案/);
      const trend = await chartText('chart-trend');
      assert.match(trend, /\d{4}-\d{2}/, 'months along the axis');
      assert.match(trend, /登记.*化解结案|化解结案.*登记/, 'both lines named');
      assert.ok((await page.locator('#by-grid tbody tr').count()) >= 1);
      await screenshot(page, 'dispute-stats');
      // A leader reads figures, never parties.
      consoleErrors.expectHttpError('/disputes', 403);
      await page.goto('/disputes');
      assert.match(await page.locator('h1').textContent(), /无权/);
      // The same page in English: every label translated, the type names too.
      await page.goto('/disputes/stats?lang=en');
      assert.equal((await page.locator('h1').textContent()).trim(), 'Dispute statistics');
      assert.doesNotMatch(await page.locator('main').textContent(), /\?\?/, 'no untranslated key');
      assert.match(await chartText('chart-by-type'), /Neighbours/);
      await screenshot(page, 'dispute-stats-en');
    });
  });
});
