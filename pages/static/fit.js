// Nothing on a metric tile is cut off: a number or label wider than its tile (a six-digit count in a five-tile row,
// a narrow screen, a phone) gets a font size that fits, measured afresh whenever the page changes (a shorter text
// gets its full size back); at the smallest readable size it wraps instead. Streamlit truncates each of them in a
// markdown container with an ellipsis. One script for the wall screen (pages/wallkit.py adds it to the clock's)
// and every page of the other apps (pages/app.py puts it on the page once per run); nothing is fetched.
// No less-than sign directly before a letter or a slash anywhere in this file: Streamlit's HTML sanitizer drops a
// script whose text looks like markup.
(function () {
  var BOXES = '[data-testid="stMetric"] [data-testid="stMarkdownContainer"]';
  var MIN_PX = 13;
  function fit() {
    var boxes = document.querySelectorAll(BOXES);
    for (var i = 0; i != boxes.length; i++) {
      var box = boxes[i], text = box.querySelector("p") || box;
      text.style.removeProperty("font-size");
      box.style.removeProperty("white-space");
      text.style.removeProperty("white-space");
      var avail = box.clientWidth, need = box.scrollWidth;
      if (avail > 0 && need > avail) {
        var size = parseFloat(getComputedStyle(text).fontSize) * avail / need * 0.95;
        text.style.setProperty("font-size", Math.max(size, MIN_PX).toFixed(1) + "px", "important");
        // still too wide at the smallest readable size (a long label on a phone): it wraps
        if (box.scrollWidth > box.clientWidth) {
          box.style.setProperty("white-space", "normal", "important");
          text.style.setProperty("white-space", "normal", "important");
        }
      }
    }
  }
  // at most once a frame, whatever asked: a change of the page, a resize, the sidebar opening, the once-a-second check
  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; fit(); });
  }
  if (window.__ovFit) {
    window.__ovFit.observer.disconnect();
    window.removeEventListener("resize", window.__ovFit.schedule);
    clearInterval(window.__ovFit.timer);
  }
  var observer = new MutationObserver(schedule);
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  window.addEventListener("resize", schedule);
  window.__ovFit = { observer: observer, schedule: schedule, timer: setInterval(schedule, 1000), fit: fit };
  fit();
})();
