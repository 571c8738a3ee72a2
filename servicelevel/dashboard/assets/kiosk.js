/* Kiosk (/live?kiosk=1): every tile on one screen, or rotating pages when they cannot all be
   legible at once.

   Why script and not CSS alone: a CSS grid cannot choose both its columns and its rows from the
   number of tiles and the screen's shape, nor split the tiles into pages. The type needs no
   script: it is sized in container units inside each tile (servicelevel.css).

   The rule: choose the columns x rows that give the largest value font, where the value's font
   is min(24 % of the tile height, 20 % of its width) as in the CSS. A layout is legible when
   that font is at least 4 % of the screen height. When no layout of all tiles is legible, the
   tiles are cut into the fewest pages of the largest legible grid (evenly filled), and the
   pages rotate every ?rotate=N seconds (default 20); "page 1/3" shows in the header.
   The Live page redraws its tiles every refresh tick; Dash patches them in place, and the
   observer below lays them out again before the browser paints, keeping the current page.
   It asks for one layout per animation frame rather than one per mutation record: React
   patches 40 tiles in many small batches, and a layout (which reads sizes, forcing a reflow)
   after each one starved a loaded machine's main thread for tens of seconds. A frame still
   comes before the paint, so the wall never shows an unlaid grid. */
(function () {
  var VALUE_OF_HEIGHT = 0.24, VALUE_OF_WIDTH = 0.20, MIN_VALUE_OF_SCREEN = 0.04;
  var DEFAULT_ROTATE_S = 20;
  // "turn" counts rotations and is never reset by a layout: a redraw caught half-way (fewer
  // tiles for a moment) must not send the screen back to page 1.
  var turn = 0, pages = 1, timer = null, timerSeconds = 0, pending = false;

  function rotateSeconds() {
    var asked = parseFloat(new URLSearchParams(window.location.search).get("rotate"));
    return isFinite(asked) && asked >= 1 ? asked : DEFAULT_ROTATE_S;
  }

  /* The value's font in a grid of cols x rows; container units count the tile's content box,
     so its padding and border (box.x, box.y) come off. */
  function valueFont(cols, rows, box) {
    var w = (box.width - box.gap * (cols - 1)) / cols - box.x;
    var h = (box.height - box.gap * (rows - 1)) / rows - box.y;
    return Math.min(VALUE_OF_HEIGHT * h, VALUE_OF_WIDTH * w);
  }

  /* The best {cols, rows, font} for n tiles, or null when none is legible. */
  function best(n, box, minFont) {
    var found = null;
    for (var cols = 1; cols <= n; cols++) {
      var font = valueFont(cols, Math.ceil(n / cols), box);
      if (font < minFont) { continue; }
      // a larger value font wins; on a tie, the grid with fewer empty cells
      var rows = Math.ceil(n / cols);
      if (!found || font > found.font + 0.5 ||
          (Math.abs(font - found.font) <= 0.5 && cols * rows < found.cols * found.rows)) {
        found = { cols: cols, rows: rows, font: font };
      }
    }
    return found;
  }

  /* How many tiles fit one legible page at most (at least one). */
  function capacity(n, box, minFont) {
    var most = 1;
    for (var cols = 1; cols <= n; cols++) {
      for (var rows = 1; rows * cols <= n + cols; rows++) {
        if (valueFont(cols, rows, box) >= minFont) {
          most = Math.max(most, Math.min(cols * rows, n));
        }
      }
    }
    return most;
  }

  function schedule(seconds) {
    var wanted = pages > 1 ? seconds : 0;
    if (wanted === timerSeconds) { return; }
    if (timer) { window.clearInterval(timer); timer = null; }
    timerSeconds = wanted;
    if (wanted) {
      timer = window.setInterval(function () { turn += 1; layout(); },
                                 wanted * 1000);
    }
  }

  function layout() {
    pending = false;
    var grid = document.getElementById("live-tiles");
    var kiosk = document.querySelector("#shell.sl-kiosk");
    if (!grid) { return; }  // between two renders of the page: keep the current page
    if (!kiosk) {
      pages = 1; schedule(0);
      if (grid.style.gridTemplateColumns) {  // back from kiosk to the plain page
        grid.style.gridTemplateColumns = ""; grid.style.gridTemplateRows = "";
      }
      return;
    }
    var tiles = Array.prototype.filter.call(grid.children, function (el) {
      return el.classList.contains("sl-tile");
    });
    var n = tiles.length;
    if (!n) { return; }  // drawing in progress, or no targets: keep the current page
    var t = window.getComputedStyle(tiles[0]);
    var px = function (name) { return parseFloat(t[name]) || 0; };
    var box = {
      width: grid.clientWidth, height: grid.clientHeight,
      gap: parseFloat(window.getComputedStyle(grid).rowGap) || 0,
      x: px("paddingLeft") + px("paddingRight") + px("borderLeftWidth") + px("borderRightWidth"),
      y: px("paddingTop") + px("paddingBottom") + px("borderTopWidth") + px("borderBottomWidth")
    };
    var minFont = MIN_VALUE_OF_SCREEN * window.innerHeight;
    var perPage = n, fit = best(n, box, minFont);
    if (!fit) {
      var cap = capacity(n, box, minFont);
      pages = Math.ceil(n / cap);
      perPage = Math.ceil(n / pages);
      fit = best(perPage, box, 0);
    } else {
      pages = 1;
    }
    var page = turn % pages;
    var columns = "repeat(" + fit.cols + ", minmax(0, 1fr))";
    var rows = "repeat(" + fit.rows + ", minmax(0, 1fr))";
    if (grid.style.gridTemplateColumns !== columns) { grid.style.gridTemplateColumns = columns; }
    if (grid.style.gridTemplateRows !== rows) { grid.style.gridTemplateRows = rows; }
    tiles.forEach(function (el, i) {
      var off = Math.floor(i / perPage) !== page;
      if (off !== el.hasAttribute("data-off-page")) { el.toggleAttribute("data-off-page", off); }
    });
    grid.dataset.page = String(page + 1);
    grid.dataset.pages = String(pages);
    var indicator = document.getElementById("live-kiosk-page");
    var text = pages > 1 ? "page " + (page + 1) + "/" + pages : "";
    if (indicator && indicator.textContent !== text) { indicator.textContent = text; }
    schedule(rotateSeconds());
  }

  function later() {
    if (!pending) { pending = true; window.requestAnimationFrame(layout); }
  }

  // Of the attributes only "class" is watched, and only the shell's (kiosk mode is switched on
  // there): the layout's own changes (style, data-*) must not wake it again.
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (r.target.id === "live-kiosk-page") { continue; }
      if (r.type === "attributes" && r.target.id !== "shell") { continue; }
      later();
      return;
    }
  }).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["class"]
  });
  window.addEventListener("resize", later);
})();
