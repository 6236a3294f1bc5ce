// Journey: a newcomer opens the home page, registers an enterprise (first
// with a wrong credit code, then a valid one), logs out and logs in again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startYiwang, creditCode } from "./harness.js";

let yw;
before(async () => {
  yw = await startYiwang();
});
after(async () => {
  await yw?.stop();
});

test("register an enterprise, see a bad credit code refused, log out and in", async () => {
  const page = await yw.browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(yw.url + "/");
  assert.match(await page.title(), /首页/);
  assert.ok(await page.getByRole("link", { name: "土地交易" }).isVisible());

  await page.getByRole("link", { name: "企业注册" }).first().click();
  await page.waitForURL("**/register");
  const good = creditCode("91320600MA1W9Q2T6");
  const bad = good.slice(0, 17) + (good[17] === "0" ? "1" : "0");
  await page.fill('input[name="name"]', "南通浏览器测试有限公司");
  await page.fill('input[name="credit_code"]', bad);
  await page.fill('input[name="legal_rep"]', "王强");
  await page.fill('input[name="contact_name"]', "陈静");
  await page.fill('input[name="contact_phone"]', "13812345678");
  await page.fill('input[name="username"]', "browser1");
  await page.fill('input[name="password"]', "Browser2026");
  await page.fill('input[name="password2"]', "Browser2026");
  await page.getByRole("button", { name: "注册" }).click();
  await page.waitForLoadState();
  const error = page.locator('li[data-field="credit_code"]');
  assert.match(await error.innerText(), /统一社会信用代码有误/);
  // Nothing typed was lost but the passwords.
  assert.equal(await page.inputValue('input[name="name"]'), "南通浏览器测试有限公司");
  assert.equal(await page.inputValue('input[name="password"]'), "");

  await page.fill('input[name="credit_code"]', good);
  await page.fill('input[name="password"]', "Browser2026");
  await page.fill('input[name="password2"]', "Browser2026");
  await page.getByRole("button", { name: "注册" }).click();
  await page.waitForURL("**/account?ok=registered");
  assert.match(await page.locator("main").innerText(), /注册成功/);
  assert.match(await page.locator("main").innerText(), new RegExp(good));

  await page.getByRole("button", { name: "退出" }).click();
  await page.waitForURL(yw.url + "/");
  assert.ok(await page.locator("header").getByRole("link", { name: "登录" }).isVisible());

  await page.locator("header").getByRole("link", { name: "登录" }).click();
  await page.fill('input[name="username"]', "browser1");
  await page.fill('input[name="password"]', "Browser2026");
  await page.getByRole("button", { name: "登录" }).click();
  await page.waitForURL(yw.url + "/");
  assert.match(await page.locator("header").innerText(), /南通浏览器测试有限公司/);
  await page.close();
});
