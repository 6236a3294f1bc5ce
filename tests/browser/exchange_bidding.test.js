// Journey: live online bidding. The demo's two enterprises, qualified for
// the rehearsal listing U20041-YL, bid against each other on the live page,
// both declare for the timed round during the quote stop, bid in the round
// and watch its countdown restart; at the deadline the page shows the
// result, and the loser finds its deposit listed for refund.
//
// The rehearsal's timings are configured short ([demo] in the config) so
// that the quote stop, the timed round and the result come within two
// minutes of the server starting.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startYiwang } from "./harness.js";

const DRILL = "U20041-YL";
// Seconds from the demo's loading: the listing ends at END_S, quotes stop
// STOP_S before that, and each bid in the timed round gives COUNTDOWN_S.
const END_S = 70;
const STOP_S = 35;
const COUNTDOWN_S = 12;

let yw;
before(async () => {
  yw = await startYiwang({
    env: {
      YIWANG_DEMO__DRILL_END_S: String(END_S),
      YIWANG_DEMO__DRILL_QUOTE_STOP_S: String(STOP_S),
      YIWANG_DEMO__DRILL_COUNTDOWN_S: String(COUNTDOWN_S),
    },
  });
});
after(async () => {
  await yw?.stop();
});

async function logIn(page, username) {
  await page.goto(yw.url + "/login");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill("Yiwang2026");
  await page.getByRole("button", { name: "登录" }).click();
  await page.waitForURL(yw.url + "/");
  return (await page.locator("header").innerText()).trim();
}

const phase = (page) => page.locator("#panel .live-phase").innerText();
const deadline = (page) => page.locator("#panel [data-deadline]").getAttribute("data-deadline");

// Submits the bid form with the price it shows and waits for the answer.
async function bid(page) {
  const price = await page.locator('#bidder input[name="price"]').inputValue();
  await page.getByRole("button", { name: "提交报价" }).click();
  const confirmed = `报价 ${Number(price).toLocaleString("en-US", { minimumFractionDigits: 2 })} 已确认`;
  try {
    await page.locator('#bidder [data-code="ok"]', { hasText: confirmed }).waitFor({ timeout: 10_000 });
  } catch (e) {
    throw new Error(`no "${confirmed}"; the controls say: ${await page.locator("#bidder").innerText()}`);
  }
  return price;
}

test("two enterprises bid live, declare, bid in the timed round and see the result", { timeout: 240_000 }, async () => {
  const [ca, cb] = [await yw.browser.newContext(), await yw.browser.newContext()];
  const [a, b] = [await ca.newPage(), await cb.newPage()];
  const headerA = await logIn(a, "bidder1");
  await logIn(b, "bidder2");

  // Both open the live page from the listing's page.
  for (const p of [a, b]) {
    await p.goto(`${yw.url}/exchange/listings/${DRILL}`);
    await p.getByRole("link", { name: "进入网上竞价大厅" }).click();
    await p.locator("#bidder .bidder-desk").waitFor();
  }
  assert.match(await phase(a), /挂牌报价中/);
  assert.match(await a.locator("#panel").innerText(), /距挂牌报价截止/);
  const numberOf = async (p) => (await p.locator("#bidder h2").innerText()).match(/竞买号 (\d+)/)[1];
  const [noA, noB] = [await numberOf(a), await numberOf(b)];
  assert.notEqual(noA, noB);

  // --- Listing period: A bids the lowest valid bid, B one increment more. ---
  const first = await bid(a);
  assert.match(await a.locator("#bidder").innerText(), /您当前为最高报价者/);
  // B's controls follow the update pushed to it: the next lowest bid.
  await b.waitForFunction(
    (p) => Number(document.querySelector('#bidder input[name="price"]').value) > p,
    Number(first),
  );
  const lowest = Number(await b.locator('#bidder input[name="price"]').inputValue());
  await b.getByRole("button", { name: "增加一个加价幅度" }).click();
  const raised = Number(await b.locator('#bidder input[name="price"]').inputValue());
  assert.ok(raised > lowest, "the + button adds an increment");
  await bid(b);
  // The public history shows bidder numbers, never names.
  const history = a.locator("#panel table.bids tbody tr");
  await history.nth(1).waitFor();
  assert.equal(await history.count(), 2);
  assert.equal(await history.first().locator("td").first().innerText(), noB);
  assert.ok(!(await a.locator("#panel").innerText()).includes(headerA.split(/\s/)[0]));

  // --- Quote stop: no more listing bids; both declare for the timed round. --
  for (const p of [a, b]) {
    await p.getByRole("button", { name: "申请参加限时竞价" }).waitFor({ timeout: (END_S + 10) * 1000 });
    assert.match(await p.locator("#bidder").innerText(), /当前不在可报价时段/);
    await p.getByRole("button", { name: "申请参加限时竞价" }).click();
    await p.locator("#bidder", { hasText: "已申请参加限时竞价" }).waitFor();
  }
  assert.match(await a.locator("#panel").innerText(), /可申请参加限时竞价/);

  // --- Listing end: the timed round starts; each bid restarts the countdown.
  await a.locator("#panel .live-phase", { hasText: "限时竞价中" }).waitFor({ timeout: 60_000 });
  assert.match(await a.locator("#panel").innerText(), /限时竞价倒计时/);
  const roundStart = Date.parse(await deadline(a));
  // A, outbid in the listing period, bids first.
  await a.locator("#bidder .bid-form").waitFor();
  await bid(a);
  await a.waitForFunction((d) => Date.parse(document.querySelector("#panel [data-deadline]").getAttribute("data-deadline")) > d, roundStart);
  const afterA = Date.parse(await deadline(a));
  await b.locator("#bidder .bid-form").waitFor();
  await b.waitForFunction(
    (d) => Date.parse(document.querySelector("#panel [data-deadline]").getAttribute("data-deadline")) >= d,
    afterA,
  );
  const winning = await bid(b);
  await a.waitForFunction((d) => Date.parse(document.querySelector("#panel [data-deadline]").getAttribute("data-deadline")) > d, afterA);
  const afterB = Date.parse(await deadline(a));
  assert.ok(afterB > afterA && afterA > roundStart, "each accepted bid restarts the countdown");

  // --- The deadline passes: the result, by bidder number. -----------------
  const result = a.locator("#panel .live-result");
  await result.waitFor({ timeout: (COUNTDOWN_S + 20) * 1000 });
  const text = await result.innerText();
  assert.match(text, /成交/);
  assert.ok(text.includes(`竞买号 ${noB}`), text);
  assert.ok(text.includes(Number(winning).toLocaleString("en-US", { minimumFractionDigits: 2 })), text);
  assert.match(await phase(a), /交易已结束/);
  assert.match(await b.locator("#panel .live-result").innerText(), /成交/);
  assert.equal(await a.locator("#bidder .bid-form").count(), 0, "no bid form after the result");

  // --- The loser's deposit is listed for refund. ---------------------------
  await a.goto(`${yw.url}/exchange/my`);
  const row = a.locator("tr", { hasText: DRILL });
  await row.getByRole("link").first().click();
  assert.match(await a.locator("main").innerText(), /保证金待退还，应于.+前退还/);
});
