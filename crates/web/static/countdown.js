// Countdowns on listing pages: each element with data-deadline (RFC 3339)
// shows the time left in its .countdown-left child. The server renders the
// same text, so the page reads correctly without this script.
(function () {
  function left(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
    if (d > 0) { return d + "天" + h + "小时" + m + "分"; }
    if (h > 0) { return h + "小时" + m + "分" + (s % 60) + "秒"; }
    return m + "分" + (s % 60) + "秒";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-deadline"));
      var out = el.querySelector(".countdown-left");
      if (isNaN(at) || !out) { return; }
      if (at <= now) {
        out.textContent = "已到时间，请刷新页面查看最新状态";
        el.classList.add("countdown-done");
      } else {
        out.textContent = left(at - now);
      }
    });
  }
  if (document.querySelector("[data-deadline]")) {
    tick();
    setInterval(tick, 1000);
  }
})();
