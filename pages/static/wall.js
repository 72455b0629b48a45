// The wall screen's clock and client-side watchdog: pages/wallkit.py reads it once and pages/wall.py puts it on the
// page with fit.js (tiles that fit; nothing is fetched), after the clock element whose data-limit-ms says how long the live part may go
// without a refresh before the screen says it has stopped. No less-than sign directly before a letter or a slash
// anywhere in this file: Streamlit's HTML sanitizer drops a script whose text looks like markup.
(function () {
  var clock = document.querySelector(".wall-clock");
  var LIMIT_MS = Number(clock && clock.getAttribute("data-limit-ms")) || 30000;
  var days = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var d = new Date();
    var t = document.getElementById("wall-clock-time");
    if (t) t.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    var s = document.getElementById("wall-clock-date");
    if (s) s.textContent = d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 " + days[d.getDay()];
    // watchdog: the live fragment stamps .wall-beat on every refresh; if it stops, say so on the screen
    var b = document.querySelector(".wall-beat");
    var v = b ? b.getAttribute("data-beat") : null;
    if (v !== window.__wallBeat) { window.__wallBeat = v; window.__wallBeatAt = Date.now();
      var f = document.getElementById("wall-frozen-at"); if (f) f.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
    var frozen = window.__wallBeatAt && (Date.now() - window.__wallBeatAt > LIMIT_MS);
    document.body.classList.toggle("wall-frozen", !!frozen);
  }
  // a screen smaller than the wall's 1920 x 1080 (a 1440 x 900 or 1366 x 768 monitor) shows the same screen scaled
  // down, every row still on it; a phone (700 px wide or less) keeps its own layout
  function scaleToScreen() {
    var z = innerWidth > 700 ? Math.min(1, innerWidth / 1920, innerHeight / 1080) : 1;
    z = Math.floor(z * 1000) / 1000;
    var html = document.documentElement;
    if (String(z) !== html.style.zoom && !(z === 1 && !html.style.zoom)) html.style.zoom = z === 1 ? "" : String(z);
  }
  scaleToScreen();
  if (!window.__wallFit) { window.__wallFit = true; window.addEventListener("resize", scaleToScreen); }
  if (window.__wallClock) clearInterval(window.__wallClock);
  tick();
  window.__wallClock = setInterval(tick, 1000);
})();
