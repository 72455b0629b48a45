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
  // Reads and writes in separate passes: reading a width right after changing a style makes the browser lay out
  // the page again, once per tile (a page of thirty tiles was laid out ~400 times while it drew); in passes it is
  // laid out twice per check, whatever the number of tiles.
  function fit() {
    var boxes = document.querySelectorAll(BOXES), n = boxes.length, texts = [], i;
    for (i = 0; i != n; i++) {  // write: each tile at its full size, unwrapped (a shorter text gets its size back)
      texts.push(boxes[i].querySelector("p") || boxes[i]);
      texts[i].style.removeProperty("font-size");
      boxes[i].style.removeProperty("white-space");
      texts[i].style.removeProperty("white-space");
    }
    var over = [], sizes = [];
    for (i = 0; i != n; i++) {  // read: which are too wide, and by how much
      var avail = boxes[i].clientWidth, need = boxes[i].scrollWidth;
      if (avail > 0 && need > avail) {
        over.push(i);
        sizes.push(parseFloat(getComputedStyle(texts[i]).fontSize) * avail / need * 0.95);
      }
    }
    for (i = 0; i != over.length; i++)  // write: a font size that fits
      texts[over[i]].style.setProperty("font-size", Math.max(sizes[i], MIN_PX).toFixed(1) + "px", "important");
    var wrap = [];
    for (i = 0; i != over.length; i++)  // read: still too wide at the smallest readable size (a long label on a phone)
      if (boxes[over[i]].scrollWidth > boxes[over[i]].clientWidth) wrap.push(over[i]);
    for (i = 0; i != wrap.length; i++) {  // write: it wraps
      boxes[wrap[i]].style.setProperty("white-space", "normal", "important");
      texts[wrap[i]].style.setProperty("white-space", "normal", "important");
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
