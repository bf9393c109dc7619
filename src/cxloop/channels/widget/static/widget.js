/* cxloop widget: a feedback button and proactive survey prompts, isolated in a shadow DOM.
 * Embed: <script src="https://cx.example.com/widget.js" data-site-key="ws_..." async></script>
 * API:   cxloop.identify(id, attributes), cxloop.track(event), cxloop.open()
 * Preview (the survey builder): <script src=".../widget.js" data-preview="ID"> reads its settings, first prompt and
 * questions from the JSON block with that id and answers its own requests from it: it makes none.
 * Plain ES2017, no framework, no build step; docs/channels-widget.md describes the endpoints it calls. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || (window.cxloop && window.cxloop.loaded)) return;
  var siteKey = me.getAttribute("data-site-key");
  var base = me.src.replace(/\/widget\.js(\?.*)?$/, "");
  var queued = (window.cxloop && window.cxloop.q) || [];
  var config = null, customer = null, shown = false, busy = false, timers = [], started = Date.now();
  var host, root, panel, button;

  // ---- storage: localStorage when the browser allows it, memory otherwise
  var memory = {};
  function load(name) {
    try { return window.localStorage.getItem("cxloop." + name); } catch (e) { return memory[name] || null; }
  }
  function save(name, value) {
    try { window.localStorage.setItem("cxloop." + name, value); } catch (e) { memory[name] = value; }
  }
  function visitor() {
    var id = load("visitor");
    if (!id) {
      id = window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
      save("visitor", id);
    }
    return id;
  }
  function locale() { return document.documentElement.lang || navigator.language || null; }

  // ---- preview mode: the server's answers come from the page, and nothing is sent (no request at all)
  var preview = null;
  if (me.hasAttribute("data-preview")) {
    var block = document.getElementById(me.getAttribute("data-preview"));
    if (!block) return; // a preview without its block shows nothing, and still sends nothing
    preview = JSON.parse(block.textContent);
    preview.answers = {};
  }
  function previewNext(after) { // the server's next_question: the first later question whose condition holds
    var list = preview.questions, i = 0;
    while (i < list.length && list[i].question.id !== after) i++;
    for (i++; i < list.length; i++) {
      var cond = list[i].show_if;
      if (!cond || (cond.question in preview.answers && holds(cond, preview.answers[cond.question]))) {
        return list[i].question;
      }
    }
    return null;
  }
  function previewCall(path, body) {
    if (path.indexOf("/widget/v1/config?") === 0) return Promise.resolve(preview.config);
    if (path === "/widget/v1/decide") return Promise.resolve({ show: !!preview.prompt, prompt: preview.prompt });
    if (path === "/widget/v1/responses") {
      if (body.answer != null) preview.answers[body.question] = body.answer; // a skipped question stays unanswered
      return Promise.resolve({ response_id: null, response_token: null, next: previewNext(body.question) });
    }
    return Promise.reject(new Error("a preview sends nothing"));
  }

  // ---- requests: JSON sent as text/plain, a CORS "simple request" without a preflight
  function call(path, body) {
    if (preview) return previewCall(path, body);
    var init = body === undefined ? {} : {
      method: "POST",
      headers: body instanceof FormData ? {} : { "Content-Type": "text/plain" },
      body: body instanceof FormData ? body : JSON.stringify(body)
    };
    return fetch(base + path, init).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) { var error = new Error(data.detail || r.status); error.body = data; throw error; }
        return data;
      });
    });
  }

  // ---- the shadow DOM: nothing of the page styles reaches in, nothing of ours leaks out
  var css =
    ":host{all:initial;--brand:#1f4ed8;--on-brand:#fff}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}" +
    ".fb{position:fixed;right:16px;bottom:16px;padding:10px 16px;border:0;border-radius:20px;background:var(--brand);" +
    "color:var(--on-brand);cursor:pointer;box-shadow:0 2px 8px #0004;z-index:2147483646}" +
    ".panel{position:fixed;right:16px;bottom:64px;width:340px;max-width:calc(100vw - 32px);padding:16px;" +
    "background:#fff;color:#111;border-radius:10px;box-shadow:0 4px 24px #0005;z-index:2147483647}" +
    ".x{position:absolute;top:6px;right:8px;border:0;background:none;font-size:20px;cursor:pointer;color:#555}" +
    "p{margin:0 20px 10px 0;font-weight:600}.scale{display:flex;flex-wrap:wrap;gap:4px;margin-bottom:10px}" +
    ".scale button,.opt{min-width:28px;padding:6px;border:1px solid #bbb;border-radius:6px;background:#f7f7f7;" +
    "cursor:pointer;color:#111}.scale button[aria-pressed=true]{background:var(--brand);color:var(--on-brand)}" +
    ".opt{display:block;width:100%;margin:4px 0;text-align:left}" +
    "textarea{width:100%;min-height:70px;margin-bottom:8px;padding:6px;border:1px solid #bbb;border-radius:6px}" +
    "label{display:block;margin-bottom:4px}.row{display:flex;gap:8px;justify-content:flex-end;align-items:center}" +
    ".send{padding:7px 14px;border:0;border-radius:6px;background:var(--brand);color:var(--on-brand);cursor:pointer}" +
    ".skip{border:0;background:none;color:#555;cursor:pointer}.err{color:#b00020;margin-top:6px}" +
    "input[type=file]{margin-bottom:8px;max-width:100%}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = text;
    return node;
  }
  function mount() {
    host = el("cxloop-widget");
    host.style.cssText = "all:initial!important;position:fixed!important;z-index:2147483647!important";
    root = host.attachShadow({ mode: "open" });
    root.appendChild(el("style", {}, css));
    document.body.appendChild(host);
  }
  function close() {
    if (panel) panel.remove();
    panel = null;
  }
  function open(title) {
    close();
    panel = el("div", { class: "panel", role: "dialog", "aria-label": title || "Feedback" });
    var x = el("button", { class: "x", "aria-label": "Close" }, "\u00d7");
    x.onclick = close;
    panel.appendChild(x);
    root.appendChild(panel);
    return panel;
  }
  function failed(box, error) {
    var old = box.querySelector(".err");
    if (old) old.remove();
    var body = error.body || {}, first = (body.errors || [])[0];
    box.appendChild(el("div", { class: "err", role: "alert" }, first ? first.message : error.message));
  }
  function thanks() {
    var box = open("Thank you");
    box.appendChild(el("p", {}, "Thank you for your feedback!"));
    // Closes this panel only: a form or prompt opened meanwhile stays.
    setTimeout(function () { if (panel === box) close(); }, 2500);
  }

  // A row of score buttons; `pick(value)` runs on a click.
  function scale(q, pick) {
    var row = el("div", { class: "scale", role: "group", "aria-label": q.text });
    for (var v = q.min; v <= q.max; v++) {
      (function (value) {
        var b = el("button", { type: "button", "aria-pressed": "false", "data-value": value }, String(value));
        b.onclick = function () {
          row.querySelectorAll("button").forEach(function (o) { o.setAttribute("aria-pressed", "false"); });
          b.setAttribute("aria-pressed", "true");
          pick(value);
        };
        row.appendChild(b);
      })(v);
    }
    return row;
  }

  // ---- proactive prompts: one question per screen; the server says which comes next
  function ask(prompt, q, responseToken) {
    var box = open("Survey");
    box.appendChild(el("p", { id: "cxq" }, q.text));
    function answer(value) {
      if (busy) return;
      busy = true;
      call("/widget/v1/responses", {
        site_key: siteKey, token: prompt.token, response_token: responseToken, question: q.id, answer: value,
        url: location.href, locale: prompt.locale
      }).then(function (r) {
        busy = false;
        if (r.next) ask(prompt, r.next, r.response_token || responseToken); else thanks();
      }, function (e) { busy = false; failed(box, e); });
    }
    if (q.min != null) {
      box.appendChild(scale(q, answer));
    } else if (q.kind === "single_choice") {
      q.options.forEach(function (o) {
        var b = el("button", { type: "button", class: "opt" }, o.text);
        b.onclick = function () { answer(o.key); };
        box.appendChild(b);
      });
    } else {
      var picked = [], input;
      if (q.kind === "multiple_choice") {
        q.options.forEach(function (o) {
          var label = el("label"), box2 = el("input", { type: "checkbox", value: o.key });
          box2.onchange = function () {
            picked = picked.filter(function (k) { return k !== o.key; });
            if (box2.checked) picked.push(o.key);
          };
          label.appendChild(box2);
          label.appendChild(document.createTextNode(" " + o.text));
          box.appendChild(label);
        });
      } else {
        input = el("textarea", { "aria-labelledby": "cxq", name: "answer" });
        box.appendChild(input);
      }
      var row = el("div", { class: "row" });
      if (!q.required) {
        var skip = el("button", { type: "button", class: "skip" }, "Skip");
        skip.onclick = function () { answer(null); };
        row.appendChild(skip);
      }
      var send = el("button", { type: "button", class: "send" }, "Send");
      send.onclick = function () {
        var value = input ? input.value.trim() : picked;
        answer(value.length ? value : null);
      };
      row.appendChild(send);
      box.appendChild(row);
    }
  }

  function decide(event) {
    if (shown || !config) return;
    var last = Number(load("prompted") || 0);
    if (!customer && last && Date.now() - last < config.anonymous_cap_days * 864e5) return;
    call("/widget/v1/decide", {
      site_key: siteKey, customer: customer, visitor: visitor(), url: location.href, event: event || null,
      seconds_on_page: Math.floor((Date.now() - started) / 1000), locale: locale(),
      last_prompted_at: last ? new Date(last).toISOString() : null
    }).then(function (d) {
      if (!d.show || shown) return;
      shown = true;
      save("prompted", String(Date.now()));
      ask(d.prompt, d.prompt.question, null);
    }, function () {});
  }
  function schedule() {
    timers.forEach(clearTimeout);
    timers = [];
    started = Date.now();
    shown = false;
    (config ? config.delays : []).forEach(function (s) { timers.push(setTimeout(decide, s * 1000)); });
  }

  // ---- passive feedback: the button opens one form (rating, comment, image)
  function feedbackForm() {
    var form = config && config.feedback;
    if (!form) return;
    var box = open("Feedback"), score = null;
    var comments = form.comments || [];
    var label = el("label", { for: "cxc" });
    function relabel() {
      var q = comments.filter(function (c) { return holds(c.show_if, score); })[0];
      label.textContent = q ? q.text : "Comment";
    }
    if (form.score) {
      box.appendChild(el("p", { id: "cxs" }, form.score.text));
      box.appendChild(scale(form.score, function (v) { score = v; relabel(); }));
    }
    relabel();
    var text = el("textarea", { id: "cxc", name: "comment" });
    var file = el("input", { type: "file", accept: "image/*", "aria-label": "Attach an image" });
    var send = el("button", { type: "button", class: "send" }, "Send");
    var row = el("div", { class: "row" });
    row.appendChild(send);
    [label, text, file, row].forEach(function (n) { box.appendChild(n); });
    send.onclick = function () {
      if (busy) return;
      var payload = {
        site_key: siteKey, score: score, comment: text.value.trim() || null, customer: customer,
        url: location.href, locale: locale(), submission: visitor() + "-" + Date.now()
      };
      var body = payload;
      if (file.files && file.files[0]) {
        body = new FormData();
        body.append("payload", JSON.stringify(payload));
        body.append("image", file.files[0]);
      }
      busy = true;
      call("/widget/v1/feedback", body).then(function () { busy = false; thanks(); },
        function (e) { busy = false; failed(box, e); });
    };
  }
  function holds(cond, value) {
    if (!cond) return true;
    if (value == null) return false;
    var v = cond.value;
    if (Array.isArray(value)) { // a multiple-choice answer: any of its keys among the condition's (none for !=)
      var keys = cond.op === "in" ? v : [v];
      var any = value.some(function (key) { return keys.indexOf(key) >= 0; });
      return cond.op === "!=" ? !any : any;
    }
    switch (cond.op) {
      case "<": return value < v;
      case "<=": return value <= v;
      case ">": return value > v;
      case ">=": return value >= v;
      case "==": return value === v;
      case "!=": return value !== v;
      case "in": return v.indexOf(value) >= 0;
    }
    return false;
  }

  // ---- the public API
  var api = {
    loaded: true,
    identify: function (id, attributes) {
      customer = id == null ? null : String(id);
      if (customer == null) return Promise.resolve();
      save("customer", customer);
      var body = { site_key: siteKey, customer: customer, attributes: attributes || {} };
      var seen = JSON.stringify(body);
      if (load("identified") === seen) return Promise.resolve();
      return call("/widget/v1/identify", body).then(function () { save("identified", seen); });
    },
    track: function (event) { // an event tracked before the site's settings arrive waits for them
      if (!config) queued.push(["track", event]);
      else if (config.events.indexOf(event) >= 0) decide(event);
    },
    open: function () { feedbackForm(); },
    reset: function () { customer = null; save("customer", ""); save("identified", ""); }
  };
  window.cxloop = api;

  function start() {
    mount();
    customer = load("customer") || null;
    call("/widget/v1/config?site_key=" + encodeURIComponent(siteKey) + "&locale=" + encodeURIComponent(locale() || ""))
      .then(function (c) {
        config = c;
        if (c.brand && c.brand.colour) { // the organisation's colour on buttons and the chosen score
          root.host.style.setProperty("--brand", c.brand.colour);
          root.host.style.setProperty("--on-brand", c.brand.text_colour);
        }
        if (c.feedback) {
          button = el("button", { class: "fb", type: "button", "aria-haspopup": "dialog" }, me.getAttribute("data-label") || "Feedback");
          button.onclick = feedbackForm;
          root.appendChild(button);
        }
        queued.forEach(function (args) { api[args[0]].apply(api, args.slice(1)); });
        schedule();
        var push = history.pushState; // a single-page app's navigation starts a new page view
        history.pushState = function () {
          var result = push.apply(this, arguments);
          schedule();
          return result;
        };
        window.addEventListener("popstate", schedule);
        document.dispatchEvent(new CustomEvent("cxloop:ready"));
      }, function (e) { if (window.console) console.warn("cxloop widget:", e.message); });
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
