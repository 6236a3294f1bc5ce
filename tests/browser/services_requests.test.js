// Journey of the enterprise services (政企通): the demo enterprise, on a
// phone-sized window, submits a tax request (税费政策与办理), which the
// rules route to two departments, the tax bureau and the industry bureau.
// Each department's handler finds it on their list and answers; the
// enterprise reads both answers and rates the request, which then shows as
// rated. The request's page is checked after each step.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startYiwang } from "./harness.js";

const PASSWORD = "Yiwang2026";
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
};

let yw;
before(async () => {
  yw = await startYiwang();
});
after(async () => {
  await yw?.stop();
});

async function logIn(page, username) {
  await page.goto(yw.url + "/login");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(PASSWORD);
  await page.getByRole("button", { name: "登录" }).click();
  await page.waitForURL(yw.url + "/");
}

test("an enterprise request goes to two departments, both answer, the enterprise rates it", { timeout: 180_000 }, async () => {
  const contexts = [];
  const as = async (username, options = {}) => {
    const ctx = await yw.browser.newContext(options);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await logIn(page, username);
    return page;
  };
  const title = `浏览器测试 研发费用加计扣除 ${Date.now()}`;
  const ent = await as("qiye", PHONE);
  await ent.goto(yw.url + "/services/requests/new");
  await ent.getByLabel(/税费政策与办理/).check();
  await ent.getByLabel("标题").fill(title);
  await ent.getByLabel("诉求内容").fill("新上生产线，想确认研发费用加计扣除的口径。");
  // The contact is filled in from the enterprise's registration.
  assert.equal(await ent.getByLabel("联系人", { exact: true }).inputValue(), "陈晓燕");
  await ent.getByRole("button", { name: "提交诉求" }).click();
  await ent.waitForURL(/\/services\/requests\/[0-9a-f-]+\?ok=submit$/);
  const path = new URL(ent.url()).pathname;
  let text = await ent.locator("main").innerText();
  assert.match(text, /诉求已提交，已分派到责任部门/);
  assert.match(text, /市税务局/);
  assert.match(text, /市工业和信息化局/);
  assert.match(text, /办理中/);

  const answers = [
    ["handler-tax", "符合条件的研发费用可按规定加计扣除，汇算清缴时申报。"],
    ["handler-industry", "我局将安排服务专员上门辅导技改项目申报。"],
  ];
  for (const [username, reply] of answers) {
    const page = await as(username);
    await page.goto(yw.url + "/services/requests?q=" + encodeURIComponent(title));
    await page.getByRole("link", { name: /^QY/ }).first().click();
    await page.waitForURL("**" + path);
    await page.getByLabel("答复内容").fill(reply);
    await page.getByRole("button", { name: "提交答复" }).click();
    await page.waitForURL("**" + path + "?ok=reply");
    assert.match(await page.locator("main").innerText(), new RegExp(reply));
  }

  await ent.goto(yw.url + path);
  text = await ent.locator("main").innerText();
  for (const [, reply] of answers) assert.match(text, new RegExp(reply));
  assert.match(text, /已答复待评价/);
  await ent.getByLabel(/5 星/).check();
  await ent.getByLabel(/评价意见/).fill("两个部门答复都很及时");
  await ent.getByRole("button", { name: "提交评价" }).click();
  await ent.waitForURL("**" + path + "?ok=rate");
  text = await ent.locator("main").innerText();
  assert.match(text, /已评价办结/);
  assert.match(text, /5 星：两个部门答复都很及时/);

  for (const c of contexts) await c.close();
});
