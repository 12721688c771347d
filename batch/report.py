"""The batch summary, from the manifest: summary.json (numbers) and summary.html (a page with
inline SVG charts: no JavaScript, no CDN, opens from a file share or an e-mail attachment).

Charts: documents per type (split into ready / needs review), bad inputs by error code, and
pages per minute over processing time (each run of a resumed batch after the previous one).
"""
from __future__ import annotations

import html
import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

from batch.store import MANIFEST, connect

LIST_LIMIT = 500


def _loads(s: str | None, default):
    if not s:
        return default
    try:
        return json.loads(s)
    except ValueError:
        return default


def _nice_bucket(span_s: float, pages: int) -> int:
    """At most ~40 points, and about 3 pages or more per point (else the line is all spikes)."""
    want = max(span_s / 40.0, 3.0 * span_s / max(1, pages))
    for b in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400):
        if b >= want:
            return b
    return 86400


def collect(out_dir: str | Path) -> dict[str, Any]:
    out = Path(out_dir)
    con = connect(out / MANIFEST, readonly=True)
    try:
        rows = con.execute(
            "SELECT key, status, duplicate_of, pages, documents, review, types, review_types, error_codes, error_message, "
            "seconds, worker, rss_mb, run_id, finished_at FROM inputs ORDER BY seq"
        ).fetchall()
        runs = [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY id")]
    finally:
        con.close()
    status = Counter()
    types, review_types = Counter(), Counter()
    bad_codes, page_codes = Counter(), Counter()
    errors, duplicates = [], []
    pages = documents = review = 0
    worker_rss: dict[str, float] = {}
    ocr_seconds = 0.0
    per_run: dict[int, list[tuple[float, int]]] = {}
    for r in rows:
        st = r["status"]
        status[st] += 1
        if st == "pending":
            continue
        if st == "duplicate":
            if len(duplicates) < LIST_LIMIT:
                duplicates.append({"key": r["key"], "duplicate_of": r["duplicate_of"]})
            continue
        pages += r["pages"] or 0
        documents += r["documents"] or 0
        review += r["review"] or 0
        types.update(_loads(r["types"], {}))
        review_types.update(_loads(r["review_types"], {}))
        codes = _loads(r["error_codes"], [])
        if st == "error":
            bad_codes.update(set(codes) or {"unknown"})
        else:
            page_codes.update(codes)
        if codes and len(errors) < LIST_LIMIT:
            errors.append({"key": r["key"], "status": st, "codes": codes, "message": r["error_message"] or ""})
        if r["worker"]:
            worker_rss[r["worker"]] = max(worker_rss.get(r["worker"], 0.0), r["rss_mb"] or 0.0)
        ocr_seconds += r["seconds"] or 0.0
        if r["finished_at"] and r["seconds"] is not None:  # went through a worker
            per_run.setdefault(r["run_id"] or 0, []).append((r["finished_at"], r["pages"] or 0))

    # pages per minute over processing time: runs laid end to end
    run_start = {r["id"]: r["started_at"] for r in runs}
    spans = []
    for rid, pts in sorted(per_run.items()):
        t0 = run_start.get(rid) or min(t for t, _ in pts)
        t1 = max(t for t, _ in pts)
        spans.append((rid, t0, t1, pts))
    total_span = sum(max(1.0, t1 - t0) for _, t0, t1, _ in spans)
    bucket = _nice_bucket(total_span, sum(p for _, _, _, pts in spans for _, p in pts))
    series: list[tuple[float, float]] = []
    separators: list[tuple[float, int]] = []
    offset = 0.0
    for rid, t0, t1, pts in spans:
        span = max(1.0, t1 - t0)
        n = max(1, math.ceil(span / bucket))
        if n > 1 and span - (n - 1) * bucket < bucket / 2:
            n -= 1  # a short last bucket joins the one before (a rate over a few seconds is noise)
        acc = [0] * n
        for t, p in pts:
            acc[min(n - 1, max(0, int((t - t0) // bucket)))] += p
        if series:
            separators.append((offset, rid))
        for i, p in enumerate(acc):
            last = i == n - 1
            width = span - i * bucket if last else bucket
            series.append((offset + (span if last else (i + 1) * bucket), p / max(1.0, width) * 60.0))
        offset += max(1.0, t1 - t0)
    processing_s = offset
    finished = status["done"] + status["error"] + status["duplicate"]
    return {
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "out_dir": str(out),
        "inputs": finished,
        "pending": status["pending"],
        "done": status["done"],
        "bad_inputs": status["error"],
        "duplicates": status["duplicate"],
        "pages": pages,
        "documents": documents,
        "needs_review": review,
        "review_rate": round(review / documents, 4) if documents else 0.0,
        "documents_per_type": dict(types.most_common()),
        "review_per_type": dict(review_types),
        "bad_inputs_by_code": dict(bad_codes.most_common()),
        "page_errors_by_code": dict(page_codes.most_common()),
        "processing_seconds": round(processing_s, 1),
        "pages_per_minute": round(pages / processing_s * 60.0, 1) if processing_s > 0 else 0.0,
        "ocr_seconds": round(ocr_seconds, 1),
        "worker_peak_rss_mb": worker_rss,
        "timeline": {"bucket_s": bucket, "points": [[round(x, 1), round(y, 1)] for x, y in series],
                     "runs_start_at": [[round(x, 1), rid] for x, rid in separators]},
        "errors": errors,
        "duplicate_list": duplicates,
        "runs": runs,
    }


# ---------------------------------------------------------------- SVG
E = html.escape
OK, REVIEW, BAD, LINE, GRID, TEXT = "#4c78a8", "#f58518", "#e45756", "#54a24b", "#dddddd", "#333333"


def _bars(rows: list[tuple[str, list[tuple[float, str, str]]]], width: int = 720, unit: str = "") -> str:
    """Horizontal stacked bars: rows of (label, [(value, colour, title), ...])."""
    if not rows:
        return '<p class="none">none</p>'
    label_w, bar_h, gap = 190, 22, 8
    vmax = max(sum(v for v, _, _ in segs) for _, segs in rows) or 1
    plot_w = width - label_w - 70
    h = len(rows) * (bar_h + gap) + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" viewBox="0 0 {width} {h}" role="img">']
    for i, (label, segs) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        out.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" font-size="13" fill="{TEXT}">{E(label)}</text>')
        x = float(label_w)
        for v, colour, title in segs:
            w = plot_w * v / vmax
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"><title>{E(title)}</title></rect>')
            x += w
        total = sum(v for v, _, _ in segs)
        out.append(f'<text x="{x + 6:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="13" fill="{TEXT}">{total:g}{E(unit)}</text>')
    out.append("</svg>")
    return "".join(out)


def _line(points: list[list[float]], marks: list[list[float]], width: int = 720, height: int = 260) -> str:
    if not points:
        return '<p class="none">no pages processed yet</p>'
    ml, mr, mt, mb = 56, 16, 12, 36
    pw, ph = width - ml - mr, height - mt - mb
    xmax = max(p[0] for p in points) or 1.0
    ymax = max(p[1] for p in points) or 1.0
    step = 10 ** math.floor(math.log10(ymax)) if ymax > 0 else 1
    for m in (1, 2, 5, 10):
        if ymax / (step * m) <= 5:
            step *= m
            break
    ytop = math.ceil(ymax / step) * step

    def X(x):
        return ml + pw * x / xmax

    def Y(y):
        return mt + ph * (1 - y / ytop)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    y = 0.0
    while y <= ytop + 1e-9:
        out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{Y(y):.1f}" y2="{Y(y):.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{ml - 6}" y="{Y(y) + 4:.1f}" text-anchor="end" font-size="11" fill="{TEXT}">{y:g}</text>')
        y += step
    unit, div = ("min", 60.0) if xmax >= 180 else ("s", 1.0)
    if xmax >= 3 * 3600:
        unit, div = "h", 3600.0
    for i in range(6):
        x = xmax * i / 5
        out.append(f'<text x="{X(x):.1f}" y="{height - mb + 16}" text-anchor="middle" font-size="11" fill="{TEXT}">{x / div:.1f}{unit}</text>')
    for x, rid in marks:
        out.append(f'<line x1="{X(x):.1f}" x2="{X(x):.1f}" y1="{mt}" y2="{mt + ph}" stroke="#999" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{X(x) + 3:.1f}" y="{mt + 11}" font-size="11" fill="#777">run {int(rid)}</text>')
    pts = [(0.0, points[0][1])] + [(p[0], p[1]) for p in points]
    path = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in pts)
    area = f"{X(0):.1f},{Y(0):.1f} {path} {X(pts[-1][0]):.1f},{Y(0):.1f}"
    out.append(f'<polygon points="{area}" fill="{LINE}" fill-opacity="0.15"/>')
    out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    out.append(f'<text x="{ml + pw / 2:.1f}" y="{height - 4}" text-anchor="middle" font-size="11" fill="{TEXT}">processing time</text>')
    out.append("</svg>")
    return "".join(out)


def _fmt_time(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else ""


CSS = """
body{font-family:-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.kpi{display:flex;flex-wrap:wrap;gap:10px}.kpi div{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}
.kpi b{display:block;font-size:20px}.kpi span{font-size:12px;color:#666}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
.none{color:#777}code{font-size:12px}
"""


def render_html(s: dict[str, Any]) -> str:
    kpis = [
        ("inputs", s["inputs"], "inputs finished"),
        ("pages", s["pages"], "pages"),
        ("documents", s["documents"], "documents"),
        ("needs-review", s["needs_review"], "need review"),
        ("review-rate", f"{100 * s['review_rate']:.1f}%", "review rate"),
        ("bad-inputs", s["bad_inputs"], "bad inputs"),
        ("duplicates", s["duplicates"], "duplicates"),
        ("pending", s["pending"], "not finished"),
        ("pages-per-minute", s["pages_per_minute"], "pages / minute"),
    ]
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Batch summary: {E(s['out_dir'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Batch summary</h1><p><code>{E(s['out_dir'])}</code> &middot; generated {E(s['generated_at'])}</p>",
        '<div class="kpi">',
        *(f'<div><b id="n-{k}">{E(str(v))}</b><span>{E(t)}</span></div>' for k, v, t in kpis),
        "</div>",
    ]
    types = s["documents_per_type"]
    rtypes = s["review_per_type"]
    rows = []
    for t, n in types.items():
        r = rtypes.get(t, 0)
        rows.append((t, [(n - r, OK, f"{t}: {n - r} ready"), (r, REVIEW, f"{t}: {r} need review")]))
    parts += [
        "<h2>Documents per type</h2>",
        f'<p class="legend"><span style="background:{OK}"></span>ready<span style="background:{REVIEW}"></span>needs review</p>',
        _bars(rows),
        "<table><tr><th>type</th><th>documents</th><th>need review</th><th>review rate</th></tr>",
        *(
            f'<tr><td>{E(t)}</td><td class="n" id="type-{E(t)}">{n}</td><td class="n">{rtypes.get(t, 0)}</td>'
            f'<td class="n">{100 * rtypes.get(t, 0) / n:.1f}%</td></tr>'
            for t, n in types.items()
        ),
        "</table>",
        "<h2>Pages per minute over time</h2>",
        _line(s["timeline"]["points"], s["timeline"]["runs_start_at"]),
        f"<p>{s['pages']} pages in {s['processing_seconds']:.0f}s of processing "
        f"({s['pages_per_minute']} pages/min; buckets of {s['timeline']['bucket_s']}s)</p>",
        "<h2>Bad inputs and errors</h2>",
        _bars([(c, [(n, BAD, f"{c}: {n}")]) for c, n in s["bad_inputs_by_code"].items()]),
    ]
    if s["page_errors_by_code"]:
        parts += ["<p>Errors on some pages of otherwise readable inputs:</p>",
                  _bars([(c, [(n, REVIEW, f"{c}: {n}")]) for c, n in s["page_errors_by_code"].items()])]
    if s["errors"]:
        parts += ["<table><tr><th>input</th><th>status</th><th>codes</th><th>message</th></tr>",
                  *(f"<tr><td>{E(e['key'])}</td><td>{E(e['status'])}</td><td>{E(', '.join(e['codes']))}</td>"
                    f"<td>{E(e['message'])}</td></tr>" for e in s["errors"]),
                  "</table>"]
        if len(s["errors"]) >= LIST_LIMIT:
            parts.append(f"<p>(first {LIST_LIMIT}; all are in manifest.sqlite and csv/errors.csv)</p>")
    parts.append("<h2>Duplicates</h2>")
    if s["duplicate_list"]:
        parts += ["<table><tr><th>input</th><th>duplicate of</th></tr>",
                  *(f"<tr><td>{E(d['key'])}</td><td>{E(d['duplicate_of'] or '')}</td></tr>" for d in s["duplicate_list"]),
                  "</table>"]
    else:
        parts.append('<p class="none">none</p>')
    parts += ["<h2>Runs</h2><table><tr><th>run</th><th>started</th><th>ended</th><th>status</th><th>executor</th>"
              "<th>workers</th><th>processed</th><th>skipped</th><th>duplicates</th><th>bad</th><th>pages</th></tr>"]
    for r in s["runs"]:
        st = r["status"] if r["ended_at"] else "stopped (killed?)"
        parts.append(
            f"<tr><td>{r['id']}</td><td>{_fmt_time(r['started_at'])}</td><td>{_fmt_time(r['ended_at'])}</td><td>{E(str(st))}</td>"
            f"<td>{E(str(r['executor']))}</td><td class='n'>{r['workers']}</td><td class='n'>{r['processed'] or 0}</td>"
            f"<td class='n'>{r['skipped'] or 0}</td><td class='n'>{r['duplicates'] or 0}</td><td class='n'>{r['errors'] or 0}</td>"
            f"<td class='n'>{r['pages'] or 0}</td></tr>"
        )
    parts.append("</table>")
    if s["worker_peak_rss_mb"]:
        parts += ["<h2>Workers</h2><table><tr><th>worker</th><th>peak RSS (MB)</th></tr>",
                  *(f"<tr><td>{E(w)}</td><td class='n'>{v:.0f}</td></tr>" for w, v in sorted(s["worker_peak_rss_mb"].items())),
                  "</table>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_summary(out_dir: str | Path) -> dict[str, Any]:
    out = Path(out_dir)
    s = collect(out)
    for name, text in (("summary.json", json.dumps(s, ensure_ascii=False, indent=1)), ("summary.html", render_html(s))):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out / name)
    return s
