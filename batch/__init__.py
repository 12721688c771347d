"""Backlog digitization: resumable, exactly-once batches over folders, zip archives and
multi-page files, on one machine (a process pool) or on a Ray cluster (an ActorPool).

    from batch import BatchOptions, run_batch
    summary = run_batch(["scans/", "box3.zip"], "out/", BatchOptions(workers=2))

Layout of the output folder (see batch/README.md):

    manifest.sqlite   every input: key, sha256, status, duplicate_of, pages, errors (the truth)
    results.jsonl     one contract object (shared/contract/extraction-result.md) per input
    csv/<type>.csv    one row per document of that type, for loading into other systems
    summary.html      counts and charts (inline SVG, no JavaScript, no CDN); summary.json
"""
from __future__ import annotations

from batch.runner import BatchOptions, BatchSummary, run_batch  # noqa: F401
from batch.store import verify  # noqa: F401

__all__ = ["BatchOptions", "BatchSummary", "run_batch", "verify"]
