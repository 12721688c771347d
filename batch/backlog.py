"""A generated backlog, for the batch tests and scripts/bench_batch.py: a folder of scans, zip
archives of scans, multi-page PDFs and TIFFs, a few duplicates and a few bad files, built from
`samples.generate` (synthetic documents with their truth).

    python -m batch.backlog DIR --pages 60      # prints what it wrote (JSON)

Layout (paths relative to DIR):

    scans/NNNN.jpg|png          one page each (about 70% of the pages)
    boxes/box_NN.zip            ten scans per archive (about 20%)
    multipage/doc_NN.pdf|.tif   2 to 4 pages each (about 10%)
    scans/dup_NNNN.*            byte copies of earlier scans (duplicates)
    bad/empty.jpg, bad/truncated.png, bad/locked.pdf, bad/notes.txt
"""
from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# ID cards, A4 copies of ID cards, medical pages
MIX = [
    ("id_front_clean", 3), ("id_back_clean", 1), ("id_front_photo", 1), ("id_front_copy", 2),
    ("id_both_a4_copy", 3),
    ("medical_certificate_clean", 2), ("medical_certificate_degraded", 1), ("lab_report_clean", 1),
]


def kind_for(i: int, mix=MIX) -> str:
    total = sum(w for _, w in mix)
    r = (i * 7919) % total  # a fixed, well-spread interleaving
    for k, w in mix:
        if r < w:
            return k
        r -= w
    return mix[-1][0]


def render(args: tuple[str, int, int]) -> tuple[bytes, str, dict]:
    """(kind, seed, index) -> (encoded bytes, extension, truth summary)."""
    from samples.generate import encode, generate

    kind, seed, index = args
    s = generate(kind, seed, index)
    data, ext = encode(s, "jpg" if s.ext != ".png" else "png", quality=88)
    return data, ext, truth_summary(s.truth)


def truth_summary(truth: dict) -> dict:
    """{type: {field: value}} of the generated truth (first document of each type)."""
    out: dict[str, dict] = {}
    for d in truth.get("documents", []):
        out.setdefault(d["type"], {k: f.get("value") for k, f in (d.get("fields") or {}).items()})
    return out


def pdf_of(images: list[bytes], dpi: int = 150) -> bytes:
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF(unit="pt")
    for data in images:
        w, h = Image.open(io.BytesIO(data)).size
        wp, hp = w * 72.0 / dpi, h * 72.0 / dpi
        pdf.add_page(format=(wp, hp))
        pdf.image(io.BytesIO(data), x=0, y=0, w=wp, h=hp)
    return bytes(pdf.output())


def tiff_of(images: list[bytes]) -> bytes:
    from PIL import Image

    frames = [Image.open(io.BytesIO(d)).convert("RGB") for d in images]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", dpi=(150, 150))
    return buf.getvalue()


def locked_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.text(20, 20, "confidential")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    return bytes(pdf.output())


@dataclass
class Backlog:
    root: str
    pages: int = 0  # pages of real documents (bad files and duplicates not counted)
    files: dict[str, dict] = field(default_factory=dict)  # key relative to root -> {pages, truth: [..], kind}
    duplicates: dict[str, str] = field(default_factory=dict)  # duplicate -> original (relative keys)
    bad: dict[str, str] = field(default_factory=dict)  # relative key -> expected error code

    def to_dict(self) -> dict:
        return {"root": self.root, "pages": self.pages, "inputs": len(self.files) + len(self.duplicates) + len(self.bad),
                "files": self.files, "duplicates": self.duplicates, "bad": self.bad}


def make_backlog(dest: str | os.PathLike, pages: int = 60, seed: int = 0, workers: int = 1, duplicates: int | None = None,
                 bad: bool = True, zip_share: float = 0.2, multipage_share: float = 0.1) -> Backlog:
    dest = Path(dest)
    for sub in ("scans", "boxes", "multipage", "bad"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    jobs = [(kind_for(i), seed, i) for i in range(pages)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rendered = list(pool.map(render, jobs, chunksize=4))
    else:
        rendered = [render(j) for j in jobs]
    bl = Backlog(str(dest), pages=pages)
    n_multi = int(round(pages * multipage_share))
    n_zip = int(round(pages * zip_share))
    i = 0
    # multi-page files: groups of 2..4 pages, alternately PDF and TIFF
    k = 0
    while i < n_multi:
        size = min(2 + k % 3, n_multi - i)
        if size < 2 and k:
            break
        group = rendered[i:i + size]
        if k % 2 == 0:
            name, data = f"multipage/doc_{k:02d}.pdf", pdf_of([g[0] for g in group])
        else:
            name, data = f"multipage/doc_{k:02d}.tif", tiff_of([g[0] for g in group])
        (dest / name).write_bytes(data)
        bl.files[name] = {"pages": len(group), "truth": [g[2] for g in group], "kind": [jobs[i + j][0] for j in range(len(group))]}
        i += len(group)
        k += 1
    # zip archives of ten scans
    z = 0
    while i < n_multi + n_zip and i < pages:
        name = f"boxes/box_{z:02d}.zip"
        with zipfile.ZipFile(dest / name, "w", compression=zipfile.ZIP_STORED) as zf:
            for j in range(10):
                if i >= n_multi + n_zip or i >= pages:
                    break
                data, ext, truth = rendered[i]
                member = f"scan_{i:04d}{ext}"
                zf.writestr(member, data)
                bl.files[f"{name}!{member}"] = {"pages": 1, "truth": [truth], "kind": [jobs[i][0]]}
                i += 1
        z += 1
    # single scans
    singles = []
    while i < pages:
        data, ext, truth = rendered[i]
        name = f"scans/{i:04d}{ext}"
        (dest / name).write_bytes(data)
        bl.files[name] = {"pages": 1, "truth": [truth], "kind": [jobs[i][0]]}
        singles.append(name)
        i += 1
    ndup = max(1, pages // 50) if duplicates is None else duplicates
    for d in range(min(ndup, len(singles))):
        orig = singles[(d * 13) % len(singles)]
        name = f"scans/dup_{d:04d}{Path(orig).suffix}"
        (dest / name).write_bytes((dest / orig).read_bytes())
        bl.duplicates[name] = orig
    if bad:
        (dest / "bad/empty.jpg").write_bytes(b"")
        png = rendered[-1][0]
        (dest / "bad/truncated.png").write_bytes(png[: max(64, len(png) // 3)] if rendered[-1][1] == ".png" else b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        (dest / "bad/locked.pdf").write_bytes(locked_pdf())
        (dest / "bad/notes.txt").write_text("scanned on 2019-03-04, box 3\n", encoding="utf-8")
        bl.bad = {"bad/empty.jpg": "empty_file", "bad/truncated.png": "corrupt_image", "bad/locked.pdf": "pdf_encrypted",
                  "bad/notes.txt": "unsupported_format"}
    (dest.parent / f"{dest.name}.backlog.json").write_text(json.dumps(bl.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return bl


if __name__ == "__main__":  # pragma: no cover
    import argparse

    ap = argparse.ArgumentParser(prog="python -m batch.backlog")
    ap.add_argument("dest")
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    b = make_backlog(a.dest, a.pages, a.seed, a.workers)
    print(json.dumps({k: v for k, v in b.to_dict().items() if k in ("root", "pages", "inputs")}), file=sys.stdout)
