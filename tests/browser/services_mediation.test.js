// Journey of online labour mediation (不见面维权): the demo worker, on a
// phone-sized window, applies for mediation of unpaid wages. The demo
// mediator finds the case, accepts it, writes to the parties and schedules
// a meeting in person; the worker sees the case being mediated, the
// message and the meeting on its page. The mediator records the agreement
// and the worker reads the outcome and the amount agreed.
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

// `YYYY-MM-DDT09:30` three days ahead, in Beijing time.
function meetingTime() {
  const d = new Date(Date.now() + 3 * 86_400_000 + 8 * 3_600_000);
  return d.toISOString().slice(0, 10) + "T09:30";
}

test("a worker applies, a mediator accepts, talks, meets and records the agreement", { timeout: 180_000 }, async () => {
  const contexts = [];
  const as = async (username, options = {}) => {
    const ctx = await yw.browser.newContext(options);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await logIn(page, username);
    return page;
  };

  const worker = await as("zhigong", PHONE);
  await worker.goto(yw.url + "/services/mediation/new");
  // The worker's name and phone come from its account.
  assert.equal(await worker.getByLabel("姓名").inputValue(), "王建军");
  assert.equal(await worker.getByLabel("联系电话").inputValue(), "13962771234");
  await worker.getByLabel("单位名称").fill("海安李堡精工机械有限公司");
  await worker.getByLabel("争议类型").selectOption({ label: "欠薪" });
  await worker.getByLabel("事实和理由").fill("浏览器测试：十一月工资 5200 元至今未发。");
  await worker.getByLabel("请求事项").fill("支付十一月工资。");
  await worker.getByLabel(/请求金额/).fill("5200");
  await worker.getByRole("button", { name: "提交申请" }).click();
  await worker.waitForURL(/\/services\/mediation\/[0-9a-f-]+\?ok=submitted$/);
  const path = new URL(worker.url()).pathname;
  let text = await worker.locator("main").innerText();
  assert.match(text, /调解申请已提交/);
  assert.match(text, /待受理/);
  const number = text.match(/TJ\d{8}-\d{4}/)[0];

  const mediator = await as("tiaojie");
  await mediator.goto(yw.url + "/services/mediation?q=" + number);
  await mediator.getByRole("link", { name: number }).click();
  await mediator.waitForURL("**" + path);
  await mediator.getByRole("button", { name: "受理并开始调解" }).click();
  await mediator.waitForURL("**" + path + "?ok=accepted");
  assert.match(await mediator.locator("main").innerText(), /调解中/);
  const message = "请上传十一月考勤记录和工资条，我们将联系公司核实。";
  await mediator.getByLabel("内容", { exact: true }).fill(message);
  await mediator.getByRole("button", { name: "发送" }).click();
  await mediator.waitForURL("**" + path + "?ok=message");
  await mediator.getByLabel("时间").fill(meetingTime());
  await mediator.getByLabel("现场调解").check();
  await mediator.getByLabel("地点或参会方式").fill("李堡镇职工服务中心二楼调解室");
  await mediator.getByRole("button", { name: "安排" }).click();
  await mediator.waitForURL("**" + path + "?ok=meeting");

  await worker.goto(yw.url + path);
  text = await worker.locator("main").innerText();
  assert.match(text, /调解中/);
  assert.match(text, /期限内/);
  assert.ok(text.includes(message), text);
  assert.match(text, /现场调解，李堡镇职工服务中心二楼调解室/);
  assert.match(text, /13962771234/);

  await mediator.getByRole("combobox", { name: /^调解结果/ }).selectOption({ label: "调解成功" });
  await mediator.getByLabel("调解协议或结果说明").fill("公司于十日内一次性支付十一月工资 5200 元。");
  await mediator.getByLabel(/协议金额/).fill("5200");
  await mediator.getByRole("button", { name: "记录并结案" }).click();
  await mediator.waitForURL("**" + path + "?ok=outcome");

  await worker.goto(yw.url + path);
  text = await worker.locator("main").innerText();
  assert.match(text, /已结案：调解成功/);
  assert.match(text, /协议金额 5,200\.00 元/);
  assert.match(text, /公司于十日内一次性支付十一月工资 5200 元/);
  await worker.getByRole("link", { name: "打印调解协议书" }).click();
  assert.match(await worker.locator("main").innerText(), /劳动争议调解协议书/);

  for (const c of contexts) await c.close();
});
