/* Keep a tile's "How it is counted" open across the wallboard's auto-refresh.
   The refresh redraws the tiles, which would close any <details> the supervisor opened; we
   remember the open ones by tile key and open them again after each redraw. No server round
   trip, nothing stored beyond the page. */
(function () {
  var open = new Set();
  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (!el || !el.matches || !el.matches("details[data-key]")) { return; }
    if (el.open) { open.add(el.dataset.key); } else { open.delete(el.dataset.key); }
  }, true);
  new MutationObserver(function () {
    if (!open.size) { return; }
    document.querySelectorAll("details[data-key]").forEach(function (el) {
      if (open.has(el.dataset.key) && !el.open) { el.open = true; }
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
