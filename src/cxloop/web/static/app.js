/* cxloop web app: small progressive enhancements. Everything works without it; the CSP allows only this server's
   scripts, so nothing here is inline. */
(function () {
  "use strict";

  // Deferred scripts run while readyState is "interactive", before DOMContentLoaded: wait for it, so the vendored
  // scripts deferred after this one (ECharts) have run too.
  function ready(fn) {
    if (document.readyState === "complete") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  function navigation() {
    var toggle = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("nav");
    if (!toggle || !nav) return;
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function customRange() {
    document.querySelectorAll("select[data-range]").forEach(function (select) {
      var form = select.form;
      function update() {
        var custom = select.value === "custom";
        form.toggleAttribute("data-range-preset", !custom);
        form.querySelectorAll(".custom-range input").forEach(function (input) { input.disabled = !custom; });
      }
      select.addEventListener("change", update);
      update();
    });
  }

  function npsBars(root) {
    (root || document).querySelectorAll(".npsbar .seg[data-width]").forEach(function (seg) {
      var width = parseFloat(seg.getAttribute("data-width")) || 0;
      seg.style.width = width + "%";
      if (seg.offsetWidth < 32) seg.textContent = "";  // the bar's label (aria-label) still says it
    });
  }

  function localTimes(root) {
    // The signed-in user's time zone (their own, or the organisation's), the one the server wrote times in too;
    // never the browser's, so a page reads the same on every machine.
    var zone = document.body.getAttribute("data-timezone") || "UTC";
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var exact = { dateStyle: "medium", timeStyle: "short", timeZone: zone };
      try { el.title = when.toLocaleString([], exact) + " (" + zone + ")"; } catch (e) { return; }
      // data-local: the exact time itself is shown, in the user's zone rather than UTC
      if (el.hasAttribute("data-local")) el.textContent = when.toLocaleString([], exact);
    });
  }

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function trendChart(el) {
    // the figures ride in the element's data-trend attribute: a <script> beside it would be dropped when HTMX swaps a
    // stored result in (scripts are not allowed in swapped content)
    var data = JSON.parse(el.getAttribute("data-trend") || "null");
    if (!data || !window.echarts) return;
    var periods = data.points.map(function (p) { return p.period; });
    var low = data.points.map(function (p) { return p.low; });
    var band = data.points.map(function (p) { return p.low === null ? null : p.high - p.low; });
    var values = data.points.map(function (p) {
      return { value: p.value, symbol: p.small ? "emptyCircle" : "circle", symbolSize: p.small ? 7 : 6, n: p.n };
    });
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { color: css("--fg"), fontFamily: css("--font") },
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var i = items[0].dataIndex, p = data.points[i];
          var interval = p.low === null ? "no interval" : p.low.toFixed(1) + " to " + p.high.toFixed(1);
          var small = p.small ? " (too few to read)" : "";
          return p.period + "<br>" + data.metric + " " + (p.value === null ? "–" : p.value.toFixed(1)) +
            "<br>95 % interval " + interval + "<br>n = " + p.n + small;
        }
      },
      xAxis: { type: "category", data: periods, axisLabel: { color: css("--muted") } },
      yAxis: { type: "value", scale: true, axisLabel: { color: css("--muted") }, splitLine: { lineStyle: { color: css("--border") } } },
      series: [
        { name: "low", type: "line", data: low, stack: "ci", stackStrategy: "all", symbol: "none", lineStyle: { opacity: 0 }, silent: true },
        { name: "95 % interval", type: "line", data: band, stack: "ci", stackStrategy: "all", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: css("--chart-band") }, silent: true },
        { name: data.metric, type: "line", data: values, lineStyle: { color: css("--chart-line"), width: 2 },
          itemStyle: { color: css("--chart-line") } }
      ]
    });
    el.classList.add("ready");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // A sparkline: a small line of counts with no axes (the numbers are in the element's aria-label)
  function spark(el) {
    if (!window.echarts) return;
    var values = JSON.parse(el.getAttribute("data-values") || "[]");
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 4 },
      xAxis: { type: "category", show: false, data: values.map(function (_, i) { return i; }) },
      yAxis: { type: "value", show: false, min: 0 },
      series: [{ type: "line", data: values, symbol: "none", lineStyle: { width: 1.5, color: css("--link") },
                 areaStyle: { color: css("--link"), opacity: 0.12 } }]
    });
    el.classList.add("ready");
  }

  // Live updates: count the responses stored since the page was drawn, in a quiet pill ("3 new responses · show")
  function liveUpdates() {
    var pill = document.querySelector("[data-live]");
    if (!pill || !window.EventSource) return;
    var count = 0;
    var source = new EventSource(pill.getAttribute("data-live"));
    source.addEventListener("response.received", function () {
      count += 1;
      pill.querySelector("[data-live-count]").textContent = count + (count === 1 ? " new response" : " new responses");
      pill.hidden = false;
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // The survey builder's preview: the form is posted into the preview frame (the button's formtarget) again a
  // moment after each edit, for the channel last chosen; without this script the buttons do it on click.
  function livePreview() {
    var form = document.querySelector("form[data-preview]");
    if (!form || !form.requestSubmit) return;
    var buttons = form.querySelectorAll("[data-preview-channel]");
    var current = buttons[0], timer = null;
    function show() {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", b === current ? "true" : "false"); });
      form.requestSubmit(current);
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        current = button;
        buttons.forEach(function (b) { b.setAttribute("aria-pressed", b === current ? "true" : "false"); });
      });
    });
    function later() { clearTimeout(timer); timer = setTimeout(show, 600); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    if (current) show();
  }

  // Sortable tables (web/tables.py): a header becomes a button; a click sorts the rows by that column, numbers as
  // numbers (their data-sort value), text in the reader's language order, empty cells last; aria-sort says how.
  function sortableTables(root) {
    (root || document).querySelectorAll("table[data-sortable]:not([data-sort-ready])").forEach(function (table) {
      table.setAttribute("data-sort-ready", "");
      var headers = table.querySelectorAll("thead th");
      headers.forEach(function (th, index) {
        if (th.hasAttribute("data-nosort")) return;  // a select-all box, a column of buttons
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort";
        while (th.firstChild) button.appendChild(th.firstChild);
        th.appendChild(button);
        button.addEventListener("click", function () {
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          sortRows(table, index, th.hasAttribute("data-numeric"), ascending);
        });
      });
    });
  }

  function sortRows(table, index, numeric, ascending) {
    var body = table.tBodies[0];
    function key(row) {
      var cell = row.cells[index];
      if (!cell) return null;
      if (!numeric) return cell.textContent.trim();
      var value = cell.getAttribute("data-sort");
      return value ? parseFloat(value) : null;
    }
    var rows = Array.prototype.slice.call(body.rows).map(function (row) { return { row: row, key: key(row) }; });
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) return a.key === b.key ? 0 : a.key === null ? 1 : -1;
      var order = numeric ? a.key - b.key : a.key.localeCompare(b.key, undefined, { numeric: true, sensitivity: "base" });
      return ascending ? order : -order;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
  }

  // The case inbox: select cases for the bulk bar, and keyboard shortcuts (j/k move, x select, a acknowledge,
  // e resolve, o assign, Enter open, ? help). Keys typed into a field are left alone, as are keys with a modifier.
  function inboxKeys() {
    var table = document.querySelector("table[data-table=inbox]");
    var bulk = document.getElementById("bulk");
    if (!table || !bulk) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var boxes = rows.map(function (row) { return row.querySelector("input[name=case_id]"); });
    var all = table.querySelector("[data-select-all]");
    var count = document.getElementById("bulk-count");
    var help = document.getElementById("inbox-keys");
    var helpButton = bulk.querySelector("[data-keys-help]");
    var every = document.getElementById("bulk-every");
    var current = -1;
    function counted() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      count.textContent = n ? n + (n === 1 ? " case selected" : " cases selected") : "No case selected: tick cases below, or press ? for shortcuts.";
      all.checked = n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
      // "every case of the filter": the server asks to confirm, naming the number, before changing any
      if (every && every.checked) count.textContent = "All " + every.value + " cases of this filter selected: you confirm on the next page.";
      return n;
    }
    function move(i) {
      var shown = Array.prototype.slice.call(table.tBodies[0].rows);  // in the order a sort left them
      if (current >= 0) i = shown.indexOf(rows[current]) + (i - current);
      rows = shown;
      boxes = rows.map(function (row) { return row.querySelector("input[name=case_id]"); });
      current = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (row, j) { row.classList.toggle("current", j === current); });
      rows[current].querySelector("th a").focus();
    }
    function pickCurrent() {
      if (counted() === 0 && current >= 0) { boxes[current].checked = true; counted(); }
      return counted() > 0;
    }
    all.hidden = false;
    helpButton.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      counted();
    });
    boxes.forEach(function (b) { b.addEventListener("change", counted); });
    if (every) every.addEventListener("change", counted);
    // o puts the focus in the owner list (a select: its label is read out, arrows pick); Enter there assigns, as
    // Enter in the resolution resolves (a select does not submit its form by itself)
    var owner = document.getElementById("bulk-owner");
    // screen readers announce the key of each control a shortcut reaches (only with this script, which adds them)
    bulk.querySelectorAll("[data-key]").forEach(function (b) { b.setAttribute("aria-keyshortcuts", b.dataset.key); });
    owner.setAttribute("aria-keyshortcuts", "o");
    owner.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      bulk.querySelector("[data-key=o]").click();
    });
    helpButton.addEventListener("click", function () { help.showModal(); });
    help.querySelector("[data-close-dialog]").addEventListener("click", function () { help.close(); });
    counted();
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName) ||
        (target.tagName === "INPUT" && !/^(checkbox|radio|button|submit)$/.test(target.type));
      if (typing || event.ctrlKey || event.metaKey || event.altKey || help.open) return;
      var key = event.key;
      if (key === "j" || key === "k") move(current < 0 ? 0 : current + (key === "j" ? 1 : -1));
      else if (key === "x" && current >= 0) { boxes[current].checked = !boxes[current].checked; counted(); }
      else if (key === "a") { if (pickCurrent()) bulk.querySelector("[data-key=a]").click(); }
      else if (key === "e") { if (pickCurrent()) document.getElementById("bulk-resolution").focus(); }
      else if (key === "o") { if (pickCurrent()) owner.focus(); }
      else if (key === "?") help.showModal();
      else return;
      event.preventDefault();
    });
  }

  // Dashboards: drag a card by its handle to move it; the new order is saved at once (POST with the CSRF token).
  // The Up and Down buttons stay for keyboards and for pages without this script.
  function arrangeCards() {
    var list = document.querySelector("ol[data-arrange]");
    var status = document.getElementById("arrange-status");
    if (!list || !status || !window.fetch || list.children.length < 2) return;
    var dragged = null, before = "";
    function cards() { return Array.prototype.slice.call(list.children); }
    function order() { return cards().map(function (li) { return li.getAttribute("data-card"); }).join(","); }
    function buttons() {
      var all = cards();
      all.forEach(function (li, i) {
        var up = li.querySelector("button[value=up]"), down = li.querySelector("button[value=down]");
        if (up) up.disabled = i === 0;
        if (down) down.disabled = i === all.length - 1;
      });
    }
    function save() {
      var body = new URLSearchParams({ csrf_token: list.getAttribute("data-csrf"), order: order() });
      fetch(list.getAttribute("data-arrange"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (answer) {
          if (answer.status !== 204) throw new Error(answer.status);
          buttons();
          status.textContent = "The new order is saved.";
        })
        .catch(function () {
          status.textContent = "The new order could not be saved: the dashboard reloads as it is stored.";
          setTimeout(function () { window.location.reload(); }, 1500);
        });
    }
    cards().forEach(function (li) {
      var actions = li.querySelector(".card-actions");
      if (!actions) return;
      var handle = document.createElement("span");
      handle.className = "drag-handle";
      handle.textContent = "⠿ Drag";
      handle.title = "Drag to move this card";
      handle.setAttribute("aria-hidden", "true");  // keyboards use the Up and Down buttons
      actions.insertBefore(handle, actions.firstChild);
      handle.addEventListener("pointerdown", function () { li.draggable = true; });
      li.addEventListener("dragstart", function (event) {
        dragged = li;
        before = order();
        li.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", li.getAttribute("data-card"));
      });
      li.addEventListener("dragend", function () {
        li.draggable = false;
        li.classList.remove("dragging");
        dragged = null;
        if (order() !== before) save();
      });
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var over = event.target.closest ? event.target.closest("ol[data-arrange] > li") : null;
      if (!over || over === dragged) return;
      var all = cards();
      // Moving down, the card goes after the one it is over; moving up, before it (works in rows and columns).
      list.insertBefore(dragged, all.indexOf(dragged) < all.indexOf(over) ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (event) { if (dragged) event.preventDefault(); });
  }

  function charts() {
    document.querySelectorAll("[data-chart=trend]").forEach(trendChart);
    document.querySelectorAll("[data-chart=spark]").forEach(spark);
  }

  ready(function () {
    navigation();
    customRange();
    npsBars();
    localTimes();
    charts();
    sortableTables();
    liveUpdates();
    livePreview();
    inboxKeys();
    arrangeCards();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      // a stored analysis swapped in when it was ready (web/stored_analysis.py): its trend charts and sparklines
      var root = event.target.isConnected ? event.target : document;
      root.querySelectorAll("[data-chart=trend]:not(.ready)").forEach(trendChart);
      root.querySelectorAll("[data-chart=spark]:not(.ready)").forEach(spark);
      sortableTables(event.target);
      npsBars(event.target);
      localTimes(event.target);
    });
  });
})();
