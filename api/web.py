"""The reviewer workbench: server-rendered HTML pages plus a little vanilla JS (api/static/).

    GET  /review/login, POST /review/login     paste an API key; it is kept in an HttpOnly cookie
    POST /review/logout
    GET  /review                                the queue, riskiest first
    GET  /review/next                           the riskiest pending item (or the queue)
    GET  /review/{id}                           one extraction: page images with the field boxes
                                                coloured by confidence, the fields to edit,
                                                approve / reject, the version history

The pages call the JSON API (corrections, approve, reject) with the cookie and the CSRF header.
"""
from __future__ import annotations

import datetime as _dt
import html
import json
from importlib import resources
from typing import Any, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import images, jobs
from api.review import is_failing

STATIC = {"review.js": "application/javascript", "review.css": "text/css"}


def esc(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def conf_class(c: float | None) -> str:
    if c is None:
        return "lo"
    return "hi" if c >= 0.9 else ("mid" if c >= 0.7 else "lo")


def _f2(x) -> str:
    return "" if x is None else f"{float(x):.2f}"


def _ts(t: float | None) -> str:
    if t is None:
        return ""
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _layout(title: str, body: str, who: str = "") -> str:
    user = (f'<span class="who">{esc(who)}</span><form method="post" action="/review/logout" class="inline">'
            f'<button type="submit" class="link">log out</button></form>') if who else ""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · matex review</title><link rel="stylesheet" href="/review/static/review.css"></head>
<body><header class="top"><a href="/review" class="brand">matex review</a><span class="grow"></span>{user}</header>
<main>{body}</main><script src="/review/static/review.js"></script></body></html>"""


def _page(status: int, title: str, body: str, who: str = "") -> HTMLResponse:
    return HTMLResponse(_layout(title, body, who), status_code=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                                            "style-src 'self'; script-src 'self'"})


def register_web(app: FastAPI, st, authenticate: Callable) -> None:
    from api.app import COOKIE, ApiError

    def principal_or_redirect(request: Request):
        try:
            p = authenticate(request)
        except ApiError as exc:
            if exc.status == 401:
                return None, RedirectResponse(f"/review/login?next={quote(request.url.path)}", status_code=303)
            return None, _page(exc.status, "error", f'<p class="error">{esc(exc.message)}</p>')
        if not p.can("review"):
            return None, _page(403, "forbidden", f'<p class="error">a {esc(p.role)} key cannot use the review '
                                                 f'workbench</p>', p.actor)
        return p, None

    @app.get("/review/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in STATIC:
            raise ApiError(404, "not_found", "no such file")
        data = resources.files("api").joinpath("static", name).read_bytes()
        return Response(data, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    @app.get("/review/login", include_in_schema=False)
    def login_form(next: str = "/review", error: str = ""):
        nxt = next if next.startswith("/review") else "/review"
        err = f'<p class="error" id="login-error">{esc(error)}</p>' if error else ""
        return _page(200, "log in", f"""
<section class="login"><h1>Reviewer log-in</h1>{err}
<form method="post" action="/review/login" id="login-form">
<input type="hidden" name="next" value="{esc(nxt)}">
<label>API key <input type="password" name="key" id="key" autocomplete="off" autofocus required></label>
<button type="submit" id="login-submit">Log in</button></form></section>""")

    @app.post("/review/login", include_in_schema=False)
    async def login(request: Request):
        try:
            form = await request.form()
        except Exception:
            raise ApiError(400, "bad_request", "expected a form") from None
        key = str(form.get("key") or "").strip()
        nxt = str(form.get("next") or "/review")
        nxt = nxt if nxt.startswith("/review") and not nxt.startswith("//") else "/review"
        p = st.keys.lookup(key) if key else None
        if p is None:
            return RedirectResponse(f"/review/login?next={quote(nxt)}&error={quote('unknown API key')}", status_code=303)
        if not p.can("review"):
            return RedirectResponse(f"/review/login?next={quote(nxt)}&error={quote('this key cannot review')}",
                                    status_code=303)
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(COOKIE, key, httponly=True, samesite="strict", secure=st.settings.cookie_secure,
                        max_age=12 * 3600, path="/")
        return resp

    @app.post("/review/logout", include_in_schema=False)
    def logout():
        resp = RedirectResponse("/review/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/review", include_in_schema=False)
    def queue_page(request: Request):
        p, early = principal_or_redirect(request)
        if early:
            return early
        items = jobs.review_queue(st.db, None if p.all_tenants else p.tenant, limit=200)
        rows = []
        for i, it in enumerate(items):
            mc = it["min_conf"]
            rows.append(
                f'<tr data-id="{esc(it["id"])}" class="qrow"><td>{i + 1}</td>'
                f'<td><a href="/review/{esc(it["id"])}" class="open">{esc(it["source"])}</a></td>'
                f'<td>{esc((it["doc_types"] or "").replace(",", ", "))}</td>'
                f'<td><span class="badge {conf_class(mc)}">{_f2(mc)}</span></td>'
                f'<td class="{"bad" if it["failing_checks"] else ""}">{it["failing_checks"] or 0}</td>'
                f'<td>{_f2(it["risk"])}</td>'
                + (f'<td>{esc(it["tenant"])}</td>' if p.all_tenants else "")
                + f'<td>{esc(_ts(it["created_at"]))}</td></tr>')
        table = ("<p class='empty' id='queue-empty'>Nothing to review.</p>" if not rows else
                 f"""<table class="queue" id="queue"><thead><tr><th>#</th><th>file</th><th>documents</th>
<th>lowest confidence</th><th>failing checks</th><th>risk</th>{"<th>tenant</th>" if p.all_tenants else ""}
<th>uploaded</th></tr></thead><tbody>{"".join(rows)}</tbody></table>""")
        body = f"""<h1>Review queue <small>{len(items)} pending, riskiest first</small></h1>{table}
<p class="help">Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> open.</p>"""
        return _page(200, "queue", body, p.actor)

    @app.get("/review/next", include_in_schema=False)
    def next_item(request: Request, skip: str = ""):
        p, early = principal_or_redirect(request)
        if early:
            return early
        items = [i for i in jobs.review_queue(st.db, None if p.all_tenants else p.tenant, limit=2) if i["id"] != skip]
        return RedirectResponse(f"/review/{items[0]['id']}" if items else "/review", status_code=303)

    @app.get("/review/{eid}", include_in_schema=False)
    def item_page(request: Request, eid: str):
        p, early = principal_or_redirect(request)
        if early:
            return early
        ext = jobs.get_extraction(st.db, eid, None if p.all_tenants else p.tenant) if len(eid) <= 64 else None
        if ext is None:
            return _page(404, "not found", f'<p class="error">no extraction {esc(eid)}</p>', p.actor)
        if ext["status"] not in ("done", "failed"):
            return _page(200, "processing", f'<p>{esc(ext["source"])} is still {esc(ext["status"])}; '
                                             f'reload in a moment.</p>', p.actor)
        result = json.loads(ext["result"] or "{}")
        jobs.log_view(st.db, p.actor, ext["tenant"], eid, "review page")
        return _page(200, ext["source"], _item_body(st, ext, result), p.actor)


def _item_body(st, ext: dict, result: dict) -> str:
    eid = ext["id"]
    docs = result.get("documents") or []
    pages_with_docs = sorted({int(d.get("page") or 1) for d in docs}) or ([1] if result.get("pages") else [])
    data = None
    try:
        data = st.blobs.get(ext["sha256"])
    except OSError:
        pass
    # page images with boxes
    page_html = []
    for pg in pages_with_docs[:20]:
        try:
            w, h = images.page_size(data, ext["sha256"], pg, st.settings.cache_dir, st.settings.max_pixels)
        except Exception:
            continue
        rects = []
        for di, d in enumerate(docs):
            if int(d.get("page") or 1) != pg:
                continue
            if d.get("region"):
                x0, y0, x1, y1 = d["region"]
                rects.append(f'<rect class="region" x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}"/>')
            for name, f in (d.get("fields") or {}).items():
                b = f.get("bbox")
                if not b or int(f.get("page") or pg) != pg:
                    continue
                x0, y0, x1, y1 = b
                c = f.get("confidence")
                rects.append(
                    f'<g class="box {conf_class(c)}" data-key="{di}:{esc(name)}"><rect x="{x0}" y="{y0}" '
                    f'width="{max(1, x1 - x0)}" height="{max(1, y1 - y0)}"/><text x="{x0}" y="{max(12, y0 - 4)}" '
                    f'font-size="{max(14, h / 40):.0f}">{esc(name)} {_f2(c)}</text></g>')
        page_html.append(
            f'<figure class="page" data-page="{pg}"><div class="stage"><img id="page-{pg}" alt="page {pg}" '
            f'src="/v1/extractions/{esc(eid)}/pages/{pg}" width="{w}" height="{h}">'
            f'<svg class="overlay" viewBox="0 0 {w} {h}" preserveAspectRatio="none">{"".join(rects)}</svg></div>'
            f'<figcaption>page {pg} of {result.get("pages", 0)}</figcaption></figure>')
    # fields
    forms = []
    for di, d in enumerate(docs):
        rows = []
        for name, f in (d.get("fields") or {}).items():
            c = f.get("confidence")
            v = f.get("value")
            checks = " ".join(f'<span class="check {"fail" if is_failing(ch) else "ok"}">{esc(ch)}</span>'
                              for ch in f.get("checks") or [])
            if isinstance(v, (list, dict)):
                inp = (f'<textarea readonly class="complex" data-key="{di}:{esc(name)}">'
                       f'{esc(json.dumps(v, ensure_ascii=False, indent=1))}</textarea>')
            else:
                inp = (f'<input class="fv" type="text" name="{esc(name)}" data-doc="{di}" data-field="{esc(name)}" '
                       f'data-key="{di}:{esc(name)}" data-value="{esc(v)}" value="{esc(v)}" autocomplete="off">')
            crop = (f'<img class="crop" loading="lazy" alt="" src="/v1/extractions/{esc(eid)}/documents/{di}/fields/'
                    f'{quote(name)}/crop">' if f.get("bbox") else "")
            mark = ' <span class="corrected" title="corrected by a reviewer">✎</span>' if f.get("corrected") else ""
            rows.append(f'<tr class="frow" data-key="{di}:{esc(name)}"><th>{esc(name)}{mark}</th><td>{inp}'
                        f'<div class="checks">{checks}</div></td><td><span class="badge {conf_class(c)}">'
                        f'{_f2(c)}</span></td><td>{crop}</td></tr>')
        reasons = "".join(f"<li>{esc(r)}</li>" for r in d.get("review_reasons") or [])
        cc = d.get("crosscheck") or {}
        forms.append(
            f'<section class="doc" data-doc="{di}"><h2>{esc(d.get("type"))} <small>page {esc(d.get("page"))}, '
            f'type confidence {float(d.get("confidence") or 0):.2f}, cross-check {esc(cc.get("status", "skipped"))}'
            f'{", needs review" if d.get("needs_review") else ""}</small></h2>'
            + (f'<ul class="reasons">{reasons}</ul>' if reasons else "")
            + f'<table class="fields"><tbody>{"".join(rows)}</tbody></table>'
            + f'<p class="add"><input class="newname" placeholder="add field: name" data-doc="{di}">'
              f'<input class="newvalue" placeholder="value" data-doc="{di}"></p></section>')
    errs = "".join(f'<li><code>{esc(e.get("code"))}</code> {esc(e.get("message"))}</li>' for e in result.get("errors") or [])
    versions = jobs.list_versions(st.db, eid)
    vrows = "".join(
        f'<li data-version="{v["version"]}">v{v["version"]} <b>{esc(v["kind"])}</b> by {esc(v["actor"])} at '
        f'{esc(_ts(v["created_at"]))}{": " + esc(v["note"]) if v["note"] else ""}'
        + "".join(f'<div class="chg">{esc(c["field"])}: {esc(c["old"])} → {esc(c["new"])}</div>'
                  for c in json.loads(v["changes"] or "[]")) + "</li>" for v in versions)
    review = result.get("review") or {}
    state = f'{esc(ext["review_status"])}' + (f' by {esc(review.get("by"))}' if review.get("by") else "")
    return f"""
<div class="item" id="item" data-id="{esc(eid)}" data-version="{ext["version"]}">
<div class="bar"><h1>{esc(ext["source"])}</h1><span class="meta">version <b id="version">{ext["version"]}</b>
· review <b id="review-status">{state}</b> · {esc(ext["status"])}</span><span class="grow"></span>
<input id="note" placeholder="note / reject reason" autocomplete="off">
<button id="save" title="s / Ctrl+S">Save <kbd>s</kbd></button>
<button id="approve" class="ok" title="a / Ctrl+Enter">Approve <kbd>a</kbd></button>
<button id="reject" class="bad" title="r">Reject <kbd>r</kbd></button>
<a href="/review/next?skip={esc(eid)}" id="next">Next <kbd>n</kbd></a></div>
<p id="flash" role="status"></p>
<div class="cols"><div class="pages">{"".join(page_html) or "<p>no page image</p>"}
<p class="legend"><span class="badge hi">≥ 0.90</span> <span class="badge mid">≥ 0.70</span>
<span class="badge lo">&lt; 0.70</span></p></div>
<div class="side">{"".join(forms) or "<p>No documents were found.</p>"}
{f'<section class="errors"><h2>Errors</h2><ul>{errs}</ul></section>' if errs else ""}
<section class="history"><h2>Versions</h2><ol id="versions">{vrows}</ol></section>
<p class="help">Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous field, <kbd>e</kbd> edit, <kbd>Enter</kbd> next field
(while editing), <kbd>Esc</kbd> stop editing, <kbd>s</kbd> save, <kbd>a</kbd> approve, <kbd>r</kbd> reject,
<kbd>n</kbd> next document, <kbd>Ctrl+Enter</kbd> approve, <kbd>Ctrl+S</kbd> save.</p></div></div></div>"""
