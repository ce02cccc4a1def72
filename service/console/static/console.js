// Dispatcher console: live queue (server-sent events), selection, keyboard, decisions.
// Plain JavaScript, no library, no build step. Every HTML fragment comes from the server,
// rendered by Jinja2 with autoescaping; this file only places it.
(function () {
  "use strict";

  const layout = document.querySelector(".layout");
  if (!layout) return;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const queue = document.getElementById("queue");
  const detail = document.getElementById("detail");
  const live = document.getElementById("live");
  const announcer = document.getElementById("announcer");
  const help = document.getElementById("help");
  const canDecide = layout.dataset.canDecide === "true";
  const MAX_ROWS = 300;
  const FETCH_HEADERS = { "X-Requested-With": "fetch", "X-CSRF-Token": csrf };

  let selectedId = new URLSearchParams(location.search).get("call");
  let cursor = layout.dataset.cursor;
  let detailTicket = 0;
  let detailTimer = null;
  let source = null;
  let signingOut = false;

  // ---- small helpers ----------------------------------------------------------------
  function rows() {
    return Array.from(queue.querySelectorAll("tr.row"));
  }

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 30);
  }

  function words(name) {
    return String(name || "").replace(/_/g, " ");
  }

  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      el.title = when.toISOString().replace("T", " ").slice(0, 19) + " UTC";
      el.textContent = el.dataset.format === "stamp"
        ? when.toLocaleString([], { hour12: false })
        : when.toLocaleTimeString([], { hour12: false });
    });
  }

  function signedOut() {
    if (source) source.close();
    // The dispatcher's own sign-out is already navigating to the signed-out page; the stream
    // noticing the ended session must not replace that navigation.
    if (!signingOut) window.location.assign("/console/login");
  }

  function setLive(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  // ---- selection and the detail pane -----------------------------------------------
  function select(row, options) {
    const opts = options || {};
    rows().forEach(function (r) {
      if (r === row) r.setAttribute("aria-current", "true");
      else r.removeAttribute("aria-current");
    });
    if (!row) return;
    selectedId = row.dataset.id;
    if (opts.focus !== false) row.focus();
    row.scrollIntoView({ block: "nearest" });
    history.replaceState(null, "", "/console?call=" + encodeURIComponent(selectedId));
    if (opts.load !== false) scheduleDetail(selectedId);
  }

  function scheduleDetail(id) {
    window.clearTimeout(detailTimer);
    detailTimer = window.setTimeout(function () { loadDetail(id); }, 60);
  }

  async function loadDetail(id) {
    const ticket = ++detailTicket;
    detail.setAttribute("aria-busy", "true");
    try {
      const res = await fetch("/console/calls/" + encodeURIComponent(id), {
        headers: FETCH_HEADERS, credentials: "same-origin",
      });
      if (res.status === 401) return signedOut();
      const html = await res.text();
      if (ticket !== detailTicket) return; // a newer selection won
      detail.innerHTML = res.ok ? html : '<p class="placeholder">This call could not be loaded.</p>';
      localizeTimes(detail);
    } catch (err) {
      if (ticket === detailTicket) {
        detail.innerHTML = '<p class="placeholder">Connection lost; press r to retry.</p>';
      }
    } finally {
      if (ticket === detailTicket) detail.removeAttribute("aria-busy");
    }
  }

  function detailShows(id) {
    const article = detail.querySelector("article.call");
    return article && article.dataset.id === id;
  }

  function editing() {
    const form = detail.querySelector(".override-form");
    if (!form) return false;
    const reason = form.querySelector("#ov-reason");
    return form.contains(document.activeElement) || (reason && reason.value.trim() !== "");
  }

  function move(delta) {
    const list = rows();
    if (!list.length) return;
    const index = list.findIndex(function (r) { return r.dataset.id === selectedId; });
    const next = index < 0 ? 0 : Math.min(list.length - 1, Math.max(0, index + delta));
    select(list[next]);
  }

  function nextNeedingReview() {
    const list = rows();
    const start = list.findIndex(function (r) { return r.dataset.id === selectedId; });
    for (let step = 1; step <= list.length; step++) {
      const row = list[(start + step + list.length) % list.length];
      if (row.dataset.review === "true" && row.dataset.state === "pending") return select(row);
    }
    announce("No pending call needs review.");
  }

  // ---- rows from the server ----------------------------------------------------------
  function upsertRow(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const row = template.content.firstElementChild;
    const old = document.getElementById(row.id);
    if (old) {
      if (old.hasAttribute("aria-current")) row.setAttribute("aria-current", "true");
      if (old.classList.contains("fresh")) row.classList.add("fresh");
      const hadFocus = document.activeElement === old;
      old.replaceWith(row);
      if (hadFocus) row.focus();
    } else {
      const created = row.dataset.created;
      const after = rows().find(function (r) { return r.dataset.created <= created; });
      queue.insertBefore(row, after || null);
      row.classList.add("fresh");
      trimRows();
    }
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
    localizeTimes(row);
    return { row: row, isNew: !old };
  }

  function trimRows() {
    const list = rows();
    for (let i = list.length - 1; i >= MAX_ROWS; i--) {
      if (list[i].dataset.id !== selectedId) list[i].remove();
    }
  }

  // ---- live stream -------------------------------------------------------------------
  function onCall(event) {
    const data = JSON.parse(event.data);
    const result = upsertRow(data.row_html);
    if (result.isNew) {
      announce("New call " + data.call_id + ": " + words(data.response_mode) +
        (data.needs_review ? ", needs review" : ""));
    }
    if (!selectedId) select(result.row, { focus: false });
  }

  function onDecision(event) {
    const data = JSON.parse(event.data);
    upsertRow(data.row_html);
    if (data.recommendation_id !== selectedId) return;
    if (editing()) {
      showError("The decision on this call changed in another console; press r to reload it.");
    } else {
      loadDetail(selectedId);
    }
  }

  function connect() {
    setLive("connecting", "Connecting…");
    source = new EventSource("/console/events?cursor=" + encodeURIComponent(cursor));
    source.addEventListener("open", function () { setLive("live", "Live"); });
    source.addEventListener("call", remember(onCall));
    source.addEventListener("decision", remember(onDecision));
    source.addEventListener("signed_out", signedOut);
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) {
        setLive("reconnecting", "Reconnecting…");
        return;
      }
      setLive("reconnecting", "Reconnecting…");
      checkSessionThenReconnect();
    });
  }

  function remember(handler) {
    return function (event) {
      if (event.lastEventId) cursor = event.lastEventId;
      handler(event);
    };
  }

  async function checkSessionThenReconnect() {
    try {
      const res = await fetch("/console/session", { headers: FETCH_HEADERS, credentials: "same-origin" });
      if (res.status === 401) return signedOut();
    } catch (err) {
      // the server is unreachable: keep trying
    }
    window.setTimeout(connect, 3000);
  }

  // ---- decisions ---------------------------------------------------------------------
  function showError(text) {
    const box = detail.querySelector("#decision-error");
    if (box) box.textContent = text;
  }

  async function submitDecision(form) {
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      // form.action would be the hidden input named "action", not the attribute
      const res = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: FETCH_HEADERS,
        credentials: "same-origin",
      });
      if (res.status === 401) return signedOut();
      const payload = await res.json().catch(function () { return {}; });
      if (!res.ok) {
        showError((payload.error && payload.error.message) || "Not saved (" + res.status + ").");
        return;
      }
      const result = upsertRow(payload.row_html);
      detail.innerHTML = payload.detail_html;
      localizeTimes(detail);
      announce("Call " + result.row.dataset.call + " " + payload.decision_state + ".");
      result.row.focus();
    } catch (err) {
      showError("Not saved: the connection was lost. Try again.");
    } finally {
      if (button && button.isConnected) button.disabled = false;
    }
  }

  function accept() {
    const form = detail.querySelector(".accept-form");
    if (!canDecide || !form) return announce("Nothing to accept here.");
    if (!detailShows(selectedId)) return announce("Still loading the call; try again.");
    const row = document.getElementById("row-" + selectedId);
    if (row && row.dataset.state === "accepted") return announce("Already accepted.");
    submitDecision(form);
  }

  function focusOverride() {
    const field = detail.querySelector("#ov-mode");
    if (!canDecide || !field) return announce("Nothing to override here.");
    field.focus();
  }

  // ---- keyboard ----------------------------------------------------------------------
  function focusSelected() {
    const row = selectedId && document.getElementById("row-" + selectedId);
    if (row) row.focus();
  }

  const KEYS = {
    j: function () { move(1); },
    ArrowDown: function () { move(1); },
    k: function () { move(-1); },
    ArrowUp: function () { move(-1); },
    n: nextNeedingReview,
    a: accept,
    o: focusOverride,
    r: function () { if (selectedId) loadDetail(selectedId); },
    "?": function () { help.showModal(); },
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (help.open) return; // the dialog handles Esc itself
    const typing = event.target.closest("input, select, textarea, [contenteditable]");
    if (event.key === "Escape") {
      if (typing) {
        event.target.blur();
        focusSelected();
        event.preventDefault();
      }
      return;
    }
    if (typing || !KEYS[event.key]) return;
    event.preventDefault();
    KEYS[event.key]();
  });

  // ---- mouse and forms ---------------------------------------------------------------
  queue.addEventListener("click", function (event) {
    const row = event.target.closest("tr.row");
    if (!row) return;
    event.preventDefault();
    select(row);
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.classList && form.classList.contains("signout")) {
      signingOut = true;
      if (source) source.close();
      return;
    }
    if (!form.classList || !form.classList.contains("decision-form")) return;
    event.preventDefault();
    submitDecision(form);
  });

  // ---- start -------------------------------------------------------------------------
  localizeTimes(document);
  const initial = selectedId && document.getElementById("row-" + selectedId);
  if (initial) {
    select(initial, { load: false });
  } else if (rows().length) {
    select(rows()[0]);
  }
  connect();
})();
