// matex reviewer workbench: keyboard shortcuts, box highlighting, corrections / approve / reject.
(function () {
  "use strict";
  const $ = (s, el) => (el || document).querySelector(s);
  const $$ = (s, el) => Array.from((el || document).querySelectorAll(s));
  const editing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA");

  // ---------------------------------------------------------------- queue page
  const queue = $("#queue");
  if (queue) {
    const rows = $$("tr.qrow", queue);
    let sel = 0;
    const show = () => rows.forEach((r, i) => r.classList.toggle("sel", i === sel));
    if (rows.length) show();
    document.addEventListener("keydown", (e) => {
      if (editing(document.activeElement) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "j" || e.key === "ArrowDown") { sel = Math.min(rows.length - 1, sel + 1); show(); e.preventDefault(); }
      else if (e.key === "k" || e.key === "ArrowUp") { sel = Math.max(0, sel - 1); show(); e.preventDefault(); }
      else if (e.key === "Enter" && rows[sel]) { window.location = $("a.open", rows[sel]).href; }
    });
    return;
  }

  // ---------------------------------------------------------------- item page
  const item = $("#item");
  if (!item) return;
  const id = item.dataset.id;
  const inputs = $$("input.fv");
  let cur = -1;

  function flash(msg, ok) {
    const f = $("#flash");
    f.textContent = msg;
    f.className = ok ? "ok" : "err";
  }
  function highlight(key) {
    $$(".overlay g.box").forEach((g) => g.classList.toggle("focus", g.dataset.key === key));
    $$("tr.frow").forEach((r) => r.classList.toggle("focus", r.dataset.key === key));
  }
  function focusField(i) {
    if (!inputs.length) return;
    cur = (i + inputs.length) % inputs.length;
    const el = inputs[cur];
    el.focus();
    el.select();
    highlight(el.dataset.key);
    const g = $(`.overlay g.box[data-key="${CSS.escape(el.dataset.key)}"]`);
    if (g && g.scrollIntoView) g.scrollIntoView({ block: "nearest" });
  }
  inputs.forEach((el, i) => {
    el.addEventListener("focus", () => { cur = i; highlight(el.dataset.key); });
    el.addEventListener("input", () => el.classList.toggle("changed", el.value !== el.dataset.value));
  });
  $$(".overlay g.box").forEach((g) => g.addEventListener("click", () => {
    const i = inputs.findIndex((el) => el.dataset.key === g.dataset.key);
    if (i >= 0) focusField(i);
  }));
  $$("tr.frow").forEach((r) => r.addEventListener("mouseenter", () => highlight(r.dataset.key)));

  function changes() {
    const out = [];
    inputs.forEach((el) => {
      if (el.value !== el.dataset.value) out.push({ document: +el.dataset.doc, field: el.dataset.field, value: el.value });
    });
    $$("input.newname").forEach((n) => {
      const v = $(`input.newvalue[data-doc="${n.dataset.doc}"]`);
      if (n.value.trim() && v && v.value.trim()) out.push({ document: +n.dataset.doc, field: n.value.trim(), value: v.value });
    });
    return out;
  }
  let busy = false;
  async function send(action) {
    if (busy) return;
    const ch = changes();
    if (action === "corrections" && !ch.length) { flash("Nothing changed.", false); return; }
    const note = $("#note").value.trim() || null;
    const body = { changes: ch, base_version: +item.dataset.version, note: note };
    if (action === "reject") body.reason = note;
    busy = true;
    flash("Saving…", true);
    try {
      const r = await fetch(`/v1/extractions/${id}/${action}`, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Matex-CSRF": "1" },
        body: JSON.stringify(body),
      });
      const j = await r.json().catch(() => ({}));
      if (!r.ok) { flash((j.error && j.error.message) || `HTTP ${r.status}`, false); busy = false; return; }
      if (action === "corrections") {
        flash(`Saved as version ${j.version}.`, true);
        window.location.reload();
      } else {
        flash(`${action === "approve" ? "Approved" : "Rejected"} (version ${j.version}).`, true);
        window.location = "/review/next";
      }
    } catch (err) {
      flash(String(err), false);
      busy = false;
    }
  }
  $("#save").addEventListener("click", () => send("corrections"));
  $("#approve").addEventListener("click", () => send("approve"));
  $("#reject").addEventListener("click", () => send("reject"));

  document.addEventListener("keydown", (e) => {
    const a = document.activeElement;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); send("approve"); return; }
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) { e.preventDefault(); send("corrections"); return; }
    if (editing(a)) {
      if (a.classList.contains("fv") && e.key === "Enter") { e.preventDefault(); focusField(cur + 1); }
      else if (e.key === "Escape") { a.blur(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case "j": case "ArrowDown": e.preventDefault(); focusField(cur + 1); break;
      case "k": case "ArrowUp": e.preventDefault(); focusField(cur - 1); break;
      case "e": case "Enter": e.preventDefault(); focusField(Math.max(cur, 0)); break;
      case "s": e.preventDefault(); send("corrections"); break;
      case "a": e.preventDefault(); send("approve"); break;
      case "r": e.preventDefault(); send("reject"); break;
      case "n": e.preventDefault(); window.location = `/review/next?skip=${id}`; break;
    }
  });
})();
