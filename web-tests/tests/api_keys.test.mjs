// API keys for client applications in the browser: an admin issues one from the menu (shown once), an Open311
// client uses it, the admin revokes it and the client is refused at once; other roles do not reach the page.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, loginAsAdmin, screenshot, DEMO_PASSWORD } from './helpers.mjs';

async function open311Post(base, key) {
  const body = new URLSearchParams({
    api_key: key,
    service_code: 'E0102',
    address_id: '33019900100101',
    description: '路边暴露垃圾',
  });
  const res = await fetch(`${base}/open311/v2/requests.xml`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe('api keys', () => {
  const env = useServerAndBrowser();

  it('issues a key shown once, which Open311 accepts until it is revoked', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      await Promise.all([page.waitForURL('**/admin/api-keys'), page.locator('nav.menu a[href="/admin/api-keys"]').click()]);
      await page.locator('#api-key-name').fill('随手拍客户端');
      await Promise.all([page.waitForLoadState('load'), page.locator('#api-key-form button[type="submit"]').click()]);
      const key = (await page.locator('#new-api-key').textContent()).trim();
      assert.ok(key.length >= 16, key);
      assert.match(await page.locator('#api-keys-table').textContent(), /随手拍客户端/);
      await screenshot(page, 'api-keys');

      const ok = await open311Post(env.server.url, key);
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, /<service_request_id>\d+<\/service_request_id>/);

      // Shown once: a reload lists the key's name, never the key.
      await page.goto('/admin/api-keys');
      assert.equal(await page.locator('#new-api-key').count(), 0);
      assert.ok(!(await page.content()).includes(key));

      const row = page.locator('#api-keys-table tr.api-key', { hasText: '随手拍客户端' });
      await Promise.all([page.waitForURL(/revoked=1/), row.locator('button.revoke-api-key').click()]);
      await page.locator('#api-key-revoked').waitFor();
      assert.match(await row.textContent(), /已吊销/);
      assert.equal(await row.locator('button.revoke-api-key').count(), 0);

      const refused = await open311Post(env.server.url, key);
      assert.equal(refused.status, 403, refused.text);
      assert.match(refused.text, /<errors><error><code>403<\/code>/);
    });
  });

  it('is for admins only', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await login(page, 'demo_district', DEMO_PASSWORD);
      assert.equal(await page.locator('nav.menu a[href="/admin/api-keys"]').count(), 0);
      consoleErrors.expectHttpError('/admin/api-keys', 403);
      const res = await page.goto('/admin/api-keys');
      assert.equal(res.status(), 403);
    });
  });
});
