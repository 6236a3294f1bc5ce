// The live bidding page: countdowns on the server's clock, +/- increment
// buttons, and a confirmation before a bid far above the minimum. When a
// countdown runs out the panel and the bidder's controls are fetched again
// (a deadline such as the quote stop changes what may be done without any
// new event to push).
(function () {
  var offset = 0; // server time minus this browser's time, in ms
  var passed = {}; // deadlines already refreshed for
  // Slack after a deadline before refreshing, so that the server's ticker
  // has committed what falls due.
  var AFTER_DEADLINE_MS = 1200;
  function refreshAfter(deadline) {
    if (passed[deadline] || typeof htmx === "undefined") { return; }
    passed[deadline] = true;
    setTimeout(function () {
      ["panel", "bidder"].forEach(function (id) {
        var el = document.getElementById(id);
        if (el) { htmx.trigger(el, "deadline"); }
      });
    }, AFTER_DEADLINE_MS);
  }
  function syncClock() {
    var p = document.querySelector("[data-server-now]");
    if (p) { offset = Date.parse(p.getAttribute("data-server-now")) - Date.now(); }
  }
  function left(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
    if (d > 0) { return d + "天" + h + "小时" + m + "分"; }
    if (h > 0) { return h + "小时" + m + "分" + (s % 60) + "秒"; }
    return m + "分" + (s % 60) + "秒";
  }
  function tick() {
    var now = Date.now() + offset;
    var clock = document.querySelector(".server-clock");
    if (clock) { clock.textContent = new Date(now).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }); }
    document.querySelectorAll(".live [data-deadline]").forEach(function (el) {
      var out = el.querySelector(".countdown-left");
      var at = Date.parse(el.getAttribute("data-deadline"));
      if (out && !isNaN(at)) { out.textContent = at <= now ? "已到时间" : left(at - now); }
      if (!isNaN(at) && at <= now) { refreshAfter(el.getAttribute("data-deadline")); }
    });
  }
  function fen(text) {
    var m = /^(\d+)(?:\.(\d{1,2}))?$/.exec((text || "").trim());
    if (!m) { return null; }
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }
  function yuan(f) { return Math.floor(f / 100) + "." + ("0" + (f % 100)).slice(-2); }
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button.step");
    if (!b) { return; }
    var desk = b.closest(".bidder-desk");
    var input = desk.querySelector('input[name="price"]');
    var step = fen(desk.getAttribute("data-increment"));
    var min = fen(input.getAttribute("data-min"));
    var cur = fen(input.value);
    if (cur === null || step === null) { return; }
    var next = cur + step * parseInt(b.getAttribute("data-step"), 10);
    input.value = yuan(Math.max(min, next));
  });
  document.addEventListener("htmx:confirm", function (e) {
    var form = e.target.closest && e.target.closest("form.bid-form");
    if (!form) { return; }
    var desk = form.closest(".bidder-desk");
    var price = fen(form.querySelector('input[name="price"]').value);
    var limit = fen(desk.getAttribute("data-confirm-above"));
    if (price !== null && limit !== null && price > limit) {
      e.preventDefault();
      if (window.confirm("您的报价超过最低有效报价五个加价幅度以上，确认提交吗？")) { e.detail.issueRequest(true); }
    }
  });
  // A refresh of the bidder's controls (after an update or a deadline)
  // keeps the answer to the bidder's last action on screen: the update
  // that the action itself caused may arrive just after the answer.
  var lastAnswer = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target.id !== "bidder") { return; }
    var verb = e.detail.requestConfig && e.detail.requestConfig.verb;
    var shown = e.detail.target.querySelector("[data-code]");
    lastAnswer = verb === "get" && shown ? shown.cloneNode(true) : null;
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    syncClock();
    var target = e.detail.target;
    if (target.id !== "bidder" || !lastAnswer || target.querySelector("[data-code]")) { return; }
    var heading = target.querySelector(".bidder-desk h2");
    if (heading) { heading.after(lastAnswer); }
    lastAnswer = null;
  });
  syncClock();
  tick();
  setInterval(tick, 500);
})();
