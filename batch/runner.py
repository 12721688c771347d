"""The coordinator: stream the inputs, skip what is finished, recognise duplicates, keep a bounded
number of tasks in flight on the executor, commit each result (manifest, then results.jsonl),
retry inputs whose worker crashed, and write the CSVs and the summary at the end.

Memory stays bounded whatever the backlog: inputs are listed lazily (a folder walk, one zip's
central directory at a time), a plain file is hashed in chunks and sent as a path, only zip
members travel as bytes, and at most `capacity` tasks (2 per worker by default) are in flight.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from batch.executors import Completion, InlineExecutor, LocalExecutor, RayExecutor
from batch.sources import Item, count_items, iter_items, plan_roots
from batch.store import FINISHED, Store
from batch.worker import Task, dumps, error_result, peak_rss_mb

log = logging.getLogger("matex.batch")


class BatchFatal(RuntimeError):
    """The batch cannot go on (the OCR engine is unavailable, every worker keeps dying)."""


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass
class BatchOptions:
    executor: str = "local"  # local | ray
    workers: int | None = None  # worker processes / Ray actors; None: the number of cores (CPUs of the cluster for ray); 0: in-process
    address: str | None = None  # Ray: None or "local" = a local instance; "auto", "ray://host:10001", "host:6379"
    engine: str = "rapidocr"
    threads: int | None = None  # OCR threads per worker; None: cores // workers (1 on Ray)
    dpi: int = 200
    max_inflight: int | None = None  # None: 2 per worker
    shared_storage: bool = True  # Ray: send paths (the actors see the same files); False: send bytes
    progress: bool | None = None  # None: when stderr is a terminal
    max_attempts: int = 2  # crashes of a worker on one input (alone) before it is recorded as failed
    task_timeout: float | None = 900.0  # seconds one input may take before its worker is killed
    reports: bool = True  # CSVs and summary at the end
    mask_ids: bool = False  # mask ID / card / certificate numbers in the CSVs
    redact: bool = False  # results.jsonl and CSVs hold redacted results (matex.privacy.redact_result); fixed per DIR
    ray_num_cpus: int | None = None  # CPUs of a local Ray instance that this batch starts
    argv: list[str] | None = None  # recorded in the manifest's runs table
    on_result: Callable[[str, str], None] | None = None  # (key, status), after each commit (tests, benches)

    def worker_options(self, workers: int) -> dict[str, Any]:
        threads = self.threads or (1 if self.executor == "ray" else max(1, cpu_count() // max(1, workers)))
        return {"engine": self.engine, "threads": threads, "dpi": self.dpi, "quiet": True}


@dataclass
class BatchSummary:
    out_dir: str
    run_id: int
    status: str  # finished | interrupted
    executor: str
    workers: int
    processed: int = 0  # inputs sent through OCR this run
    skipped: int = 0  # already finished by an earlier run
    duplicates: int = 0
    errors: int = 0  # inputs recorded with status error this run
    pages: int = 0
    documents: int = 0
    seconds: float = 0.0
    pages_per_minute: float = 0.0
    first_result_s: float | None = None  # from the start of run_batch to the first result from a worker
    reconciled: dict[str, int] = field(default_factory=dict)
    worker_restarts: int = 0
    worker_peak_rss_mb: float | None = None
    coordinator_peak_rss_mb: float | None = None
    totals: dict[str, Any] = field(default_factory=dict)  # the whole batch so far (summary.json)

    def line(self) -> str:
        return (
            f"{self.status}: {self.processed} processed, {self.skipped} skipped (done before), {self.duplicates} duplicate(s), "
            f"{self.errors} bad input(s), {self.pages} page(s) in {self.seconds:.1f}s ({self.pages_per_minute:.1f} pages/min)"
        )


def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_executor(opts: BatchOptions):
    if opts.executor == "ray":
        workers = opts.workers or None
        ex = RayExecutor(
            opts.worker_options(1), address=opts.address, actors=workers, shared_storage=opts.shared_storage,
            max_inflight=opts.max_inflight, task_timeout=opts.task_timeout, num_cpus=opts.ray_num_cpus,
        )
        return ex
    if opts.executor != "local":
        raise ValueError(f"unknown executor {opts.executor!r} (local, ray)")
    workers = cpu_count() if opts.workers is None else int(opts.workers)
    if workers == 0:
        return InlineExecutor(opts.worker_options(1))
    return LocalExecutor(opts.worker_options(workers), workers, max_inflight=opts.max_inflight, task_timeout=opts.task_timeout)


class _Progress:
    def __init__(self, enabled: bool | None, initial: int):
        self.bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=None, initial=initial, unit="file", file=sys.stderr, dynamic_ncols=True, smoothing=0.05,
                            desc="batch")
        self.total: int | None = None

    def set_total(self, n: int) -> None:
        if self.bar is not None and self.bar.total != n:
            self.bar.total = n
            self.bar.refresh()

    def update(self, n: int = 1, **post) -> None:
        if self.bar is not None:
            if post:
                self.bar.set_postfix(post, refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Coordinator:
    def __init__(self, store: Store, executor, opts: BatchOptions, run_id: int, progress: _Progress):
        self.store = store
        self.ex = executor
        self.opts = opts
        self.run_id = run_id
        self.progress = progress
        self.inflight_sha: dict[str, str] = {}  # sha256 -> key of the input in flight
        self.waiting: dict[str, list[Item]] = {}  # sha256 -> later inputs with it (duplicates to be)
        self.meta: dict[str, tuple[str, str | None, int]] = {}  # key in flight -> (path, member, size)
        self.suspects: deque[Task] = deque()  # tasks in flight when a worker died: retried one at a time
        self.counts = {"processed": 0, "skipped": 0, "duplicates": 0, "errors": 0, "pages": 0, "documents": 0}
        self.failures_in_a_row = 0
        self.t0 = time.monotonic()
        self.first_result_s: float | None = None
        self.peak_rss = 0.0
        self.stop = False  # set by Ctrl-C / SIGTERM: stop between two steps, never inside a commit

    # ------------------------------------------------------------ items
    def handle(self, item: Item) -> None:
        st = self.store.status(item.key)
        if st in FINISHED:
            self.counts["skipped"] += 1
            return
        if item.error:
            code, msg = item.error
            sha = ""
            if item.member is None:
                try:
                    sha = _file_sha256(item.path)
                except OSError:
                    pass
            self._record_error(item, sha, code, msg)
            return
        data: bytes | None = None
        try:
            if item.member is not None:
                data = item.read()
                sha = hashlib.sha256(data).hexdigest()
                size = len(data)
            else:
                sha = _file_sha256(item.path)
                size = os.path.getsize(item.path)
        except Exception as exc:  # noqa: BLE001 - unreadable file, corrupt zip member (bad CRC)
            code = "file_unreadable" if item.member is None else "corrupt_archive_member"
            self._record_error(item, "", code, f"{type(exc).__name__}: {exc}")
            return
        item.size = size
        if size == 0:  # zero-byte scans are each their own bad input, never duplicates of each other
            self._record_error(item, sha, "empty_file", "the file is empty (0 bytes)")
            return
        first = self.store.first_with_sha(sha)
        if first is not None:
            self._record_duplicate(item, sha, first)
            return
        if sha in self.inflight_sha:
            self.waiting.setdefault(sha, []).append(Item(item.key, item.path, item.member, item.size))
            return
        self.store.mark_pending(item.key, item.path, item.member, size, sha, self.run_id)
        send_bytes = item.member is not None or (self.ex.kind == "ray" and not self.opts.shared_storage)
        if send_bytes and data is None:
            data = item.read()
        task = Task(item.key, sha, path=None if send_bytes else item.path, data=data if send_bytes else None,
                    attempts=self.store.attempts(item.key))
        self.inflight_sha[sha] = item.key
        self.meta[item.key] = (item.path, item.member, size)
        self.ex.submit(task)

    def _finish(self, key: str, path: str, member: str | None, size: int, sha: str, status: str, line: str,
                stats: dict[str, Any], duplicate_of: str | None = None) -> None:
        if self.opts.redact and status != "duplicate":  # a duplicate's line is its (redacted) first's
            from matex.privacy import redact, redact_result

            line = dumps(redact_result(json.loads(line)))
            if stats.get("error_message"):
                stats = {**stats, "error_message": redact(str(stats["error_message"]))}
        self.store.finish(key, path=path, member=member, size=size, sha256=sha, status=status, line=line, stats=stats,
                          run_id=self.run_id, duplicate_of=duplicate_of)
        if status == "duplicate":
            self.counts["duplicates"] += 1
        elif status == "error":
            self.counts["errors"] += 1
        if self.opts.on_result is not None:
            self.opts.on_result(key, status)
        minutes = max(1e-9, (time.monotonic() - self.t0) / 60.0)
        self.progress.update(
            1, pages_min=f"{self.counts['pages'] / minutes:.0f}", dup=self.counts["duplicates"], bad=self.counts["errors"]
        )

    def _record_error(self, item: Item, sha: str, code: str, message: str) -> None:
        from batch.worker import summarize

        res = error_result(item.key, sha, code, message)
        self._finish(item.key, item.path, item.member, item.size, sha, "error", dumps(res), summarize(res))

    def _record_duplicate(self, item: Item, sha: str, first: str) -> None:
        obj = json.loads(self.store.line_of(first))
        obj["source"] = item.key
        obj["duplicate_of"] = first
        self._finish(item.key, item.path, item.member, item.size, sha, "duplicate", dumps(obj), {}, duplicate_of=first)

    def _release(self, sha: str, first: str) -> None:
        self.inflight_sha.pop(sha, None)
        for dup in self.waiting.pop(sha, []):
            self._record_duplicate(dup, sha, first)

    # ------------------------------------------------------------ completions
    def complete(self, c: Completion) -> None:
        task = c.task
        path, member, size = self.meta.get(task.key, ("", None, 0))
        out = c.output
        if out is not None:
            if out.fatal:
                raise BatchFatal(f"the OCR engine cannot work in worker {out.worker}: {out.fatal}")
            self.failures_in_a_row = 0
            if self.first_result_s is None:  # the first result from a worker (OCR running)
                self.first_result_s = round(time.monotonic() - self.t0, 2)
            self.peak_rss = max(self.peak_rss, out.rss_mb or 0.0)
            stats = asdict(out)
            self.counts["processed"] += 1
            self.counts["pages"] += out.pages
            self.counts["documents"] += out.documents
            self._finish(task.key, path, member, size, out.sha256 or task.sha256, out.status, out.line, stats)
            self.meta.pop(task.key, None)
            self._release(task.sha256, task.key)
            return
        self.failures_in_a_row += 1
        attempts = self.store.add_attempt(task.key) if c.exact else self.store.attempts(task.key)
        log.warning("%s: %s (attempt %d of %d)", task.key, c.failure, attempts, self.opts.max_attempts)
        if attempts >= self.opts.max_attempts:
            res = error_result(task.key, task.sha256, "worker_crashed",
                               f"the worker failed {attempts} time(s) on this input: {c.failure}")
            from batch.worker import summarize

            self.counts["processed"] += 1
            self._finish(task.key, path, member, size, task.sha256, "error", dumps(res), summarize(res))
            self.meta.pop(task.key, None)
            self._release(task.sha256, task.key)
            return
        if self.failures_in_a_row > max(8, 4 * getattr(self.ex, "workers", 1)):
            raise BatchFatal(f"workers keep failing ({self.failures_in_a_row} failures in a row, the last: {c.failure})")
        task.solo = True
        task.attempts = attempts
        self.suspects.append(task)

    # ------------------------------------------------------------ loop
    def run(self, items, total_box: list) -> str:
        exhausted = False
        while True:
            if self.stop:
                return "interrupted"
            while not self.stop:
                if self.suspects:  # after a crash: one at a time, so that the next crash is attributable
                    if self.ex.inflight() == 0:
                        self.ex.submit(self.suspects.popleft())
                    break
                if exhausted or self.ex.inflight() >= self.ex.capacity:
                    break
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                self.handle(item)
            if total_box:
                self.progress.set_total(total_box[0])
            if exhausted and not self.suspects and self.ex.inflight() == 0:
                break
            for c in self.ex.poll(0.5):
                self.complete(c)
            self.store.checkpoint()
        if self.waiting:  # cannot happen: every original in flight has completed
            for sha, dups in list(self.waiting.items()):
                first = self.store.first_with_sha(sha)
                if first:
                    self._release(sha, first)
        return "finished"


class _StopSignals:
    """Ctrl-C and SIGTERM ask the coordinator to stop at the next step (results already
    committed stay; the inputs in flight are done again by the next run). A second Ctrl-C
    raises KeyboardInterrupt at once."""

    def __init__(self, coord: "Coordinator"):
        self.coord = coord
        self.saved: dict[int, Any] = {}

    def _handler(self, signum, frame):
        if self.coord.stop and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.coord.stop = True
        print("\nstopping: committing finished results; run again to resume (Ctrl-C again to abort)", file=sys.stderr)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, h in self.saved.items():
            signal.signal(sig, h)
        return False


def _check_redaction(store: Store, redact: bool) -> None:
    """A DIR is redacted or not from its first run on: a resume may not mix the two."""
    from batch.sources import InputError

    was = store.meta("redact")
    if was is None:
        if store.finished_count() and redact:
            raise InputError(f"{store.dir} already holds unredacted results: --redact cannot apply to them "
                             f"(use --export-redacted DEST for a redacted copy, or another --out)")
        store.con.execute("INSERT OR IGNORE INTO meta (k, v) VALUES ('redact', ?)", ("1" if redact else "0",))
        return
    if (was == "1") != redact:
        raise InputError(f"{store.dir} was started {'with' if was == '1' else 'without'} --redact: "
                         f"resume it the same way")


def run_batch(inputs: list[str], out_dir: str | os.PathLike, options: BatchOptions | None = None) -> BatchSummary:
    """Run (or resume) the batch of `inputs` into `out_dir`. Ctrl-C stops it cleanly: the
    summary says `interrupted` and a rerun goes on where it stopped."""
    opts = options or BatchOptions()
    t_start = time.monotonic()
    roots = plan_roots(list(inputs))
    out = Path(out_dir).resolve()
    store = Store(out)
    status = "failed"
    ex = None
    progress = None
    coord = None
    run_id = 0
    rss = None
    try:
        _check_redaction(store, opts.redact)
        reconciled = store.reconcile()
        ex = make_executor(opts)
        if isinstance(ex, RayExecutor):
            for name, fatal in ex.check_actors():
                if fatal:
                    raise BatchFatal(f"the OCR engine cannot work in actor {name}: {fatal}")
        run_id = store.begin_run(ex.kind, ex.workers, opts.argv or list(inputs), reconciled)
        progress = _Progress(opts.progress, store.finished_count())
        total_box: list[int] = []
        if progress.bar is not None:
            threading.Thread(target=lambda: total_box.append(count_items(roots, [str(out)])), daemon=True).start()
        coord = Coordinator(store, ex, opts, run_id, progress)
        coord.t0 = t_start
        items = iter_items(roots, exclude=[str(out)])
        try:
            with _StopSignals(coord):
                status = coord.run(items, total_box)
        except KeyboardInterrupt:
            status = "interrupted"
    finally:
        if progress is not None:
            progress.close()
        if ex is not None:
            rss = ex.peak_rss_mb() if isinstance(ex, RayExecutor) and status == "finished" else None
            ex.close(cancel=status != "finished")
        counts = coord.counts if coord else {}
        try:
            if run_id:
                store.checkpoint(force=True)
                store.end_run(run_id, status, counts)
        finally:
            totals: dict[str, Any] = {}
            try:
                if opts.reports and run_id:
                    from batch.export import write_csvs
                    from batch.report import write_summary

                    write_csvs(out, mask_ids=opts.mask_ids or opts.redact, redact=opts.redact)
                    totals = write_summary(out)
            finally:
                store.close()
    elapsed = time.monotonic() - t_start
    c = coord.counts
    peak = coord.peak_rss
    if rss:
        peak = max([peak, *rss])
    return BatchSummary(
        out_dir=str(out), run_id=run_id, status=status, executor=ex.describe(), workers=ex.workers,
        processed=c["processed"], skipped=c["skipped"], duplicates=c["duplicates"], errors=c["errors"],
        pages=c["pages"], documents=c["documents"], seconds=round(elapsed, 2),
        pages_per_minute=round(c["pages"] / max(elapsed, 1e-9) * 60.0, 1), first_result_s=coord.first_result_s,
        reconciled=reconciled, worker_restarts=getattr(ex, "restarts", 0), worker_peak_rss_mb=peak or None,
        coordinator_peak_rss_mb=peak_rss_mb(), totals=totals,
    )
