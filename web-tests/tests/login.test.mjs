// The login page, a wrong password, signing in and out.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, withPage, login, loginAsAdmin, screenshot, ADMIN_PASSWORD, DISTRICT_NAME } from './helpers.mjs';

describe('login', () => {
  const env = useServerAndBrowser();

  it('renders in Chinese by default, with a CSRF field', async () => {
    await withPage(env, async ({ page }) => {
      // Signed out, the home page sends people to the login page.
      await page.goto('/');
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      assert.equal((await page.locator('h1').textContent()).trim(), '社区网格化服务管理平台');
      assert.match(await page.title(), /登录/);
      assert.equal((await page.locator('#login-form button[type="submit"]').textContent()).trim(), '登录');
      const csrf = page.locator('#login-form input[type="hidden"][name="csrf"]');
      assert.equal(await csrf.count(), 1, 'the login form carries a CSRF token');
      assert.ok((await csrf.inputValue()).length >= 16, 'the CSRF token is not empty');
      assert.equal(await page.locator('[role="alert"]').count(), 0, 'no error before a try');
      await screenshot(page, 'login');
    });
  });

  it('shows an error for a wrong password and stays on /login', async () => {
    await withPage(env, async ({ page, consoleErrors }) => {
      await page.goto('/login');
      await page.locator('#login-form input[name="username"]').fill('admin');
      await page.locator('#login-form input[name="password"]').fill('not-the-password');
      // The form is answered 401, which Chromium reports on the console.
      consoleErrors.expectHttpError('/login', 401);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
        page.locator('#login-form button[type="submit"]').click(),
      ]);
      await page.waitForLoadState('load');
      assert.equal(response.status(), 401);
      assert.equal(new URL(page.url()).pathname, '/login');
      const alert = page.locator('[role="alert"]');
      await alert.waitFor();
      assert.equal((await alert.textContent()).trim(), '用户名或密码错误');
      assert.equal(await page.locator('#login-form input[name="username"]').inputValue(), 'admin', 'the username is kept');
      assert.equal(await page.locator('#login-form input[name="password"]').inputValue(), '', 'the password is not echoed');
      assert.equal(await page.locator('#login-form input[name="csrf"]').count(), 1, 'a fresh CSRF token comes with the form');
      await screenshot(page, 'login-error');
    });
  });

  it('sends the admin to the district map and back to the page asked for', async () => {
    await withPage(env, async ({ page }) => {
      await loginAsAdmin(page);
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal((await page.locator('#region-panel h1').textContent()).trim(), DISTRICT_NAME);
      assert.match(await page.locator('header .who').textContent(), /\S/, 'the header names who is signed in');
    });
    // A page asked for while signed out is shown after signing in.
    await withPage(env, async ({ page }) => {
      await page.goto('/regions');
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.locator('#login-form input[name="next"]').inputValue(), '/regions');
      await page.locator('#login-form input[name="username"]').fill('admin');
      await page.locator('#login-form input[name="password"]').fill(ADMIN_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname === '/regions'), page.locator('#login-form button[type="submit"]').click()]);
      assert.ok((await page.locator('#region-tree li').count()) > 0);
    });
  });

  it('signs out with the logout form; / then redirects to /login', async () => {
    await withPage(env, async ({ page, context }) => {
      await loginAsAdmin(page);
      assert.equal(new URL(page.url()).pathname, '/');
      await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.locator('#logout-form button[type="submit"]').click()]);
      assert.equal(await page.locator('#login-form').count(), 1);
      const session = (await context.cookies()).find((c) => c.name === 'wangge_session' && c.value !== '');
      assert.equal(session, undefined, 'the session cookie is gone');
      const res = await page.goto('/');
      assert.equal(new URL(page.url()).pathname, '/login', 'signed out, / goes to the login page');
      assert.equal(res.status(), 200);
      assert.equal(await page.locator('#logout-form').count(), 0);
    });
  });

  it('an old session cookie no longer works after logout', async () => {
    await withPage(env, async ({ page, context }) => {
      await loginAsAdmin(page);
      const old = (await context.cookies()).find((c) => c.name === 'wangge_session');
      assert.ok(old?.value, 'signed in, there is a session cookie');
      await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.locator('#logout-form button[type="submit"]').click()]);
      // Put the old cookie back: the server must have ended the session itself.
      await context.addCookies([old]);
      await page.goto('/');
      assert.equal(new URL(page.url()).pathname, '/login');
    });
  });

  it('a demo account signs in with the demo password', async () => {
    await withPage(env, async ({ page }) => {
      await login(page, 'demo_district', 'demo-pass-123');
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal((await page.locator('#region-panel h1').textContent()).trim(), DISTRICT_NAME);
    });
  });
});
