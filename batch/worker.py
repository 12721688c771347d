"""What a worker does, the same in a local process pool and in a Ray actor: hold one pipeline
(one OCR engine, loaded once), turn a Task (a path on shared storage, or bytes) into an Output
(the result line, serialised here, plus the few numbers the manifest keeps)."""
from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Task:
    key: str
    sha256: str
    path: str | None = None  # read by the worker (shared storage)
    data: bytes | None = None  # sent with the task (zip members, storage not shared)
    attempts: int = 0
    solo: bool = False  # submitted alone (after a worker crash): a crash now is its own


@dataclass
class Output:
    key: str
    sha256: str
    line: str
    status: str  # done | error
    pages: int = 0
    documents: int = 0
    review: int = 0
    types: dict[str, int] = field(default_factory=dict)
    review_types: dict[str, int] = field(default_factory=dict)
    error_codes: list[str] = field(default_factory=list)
    error_message: str = ""
    seconds: float = 0.0
    worker: str = ""
    rss_mb: float = 0.0
    fatal: str | None = None  # the worker cannot work at all (OCR engine unavailable): stop


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def summarize(res: dict[str, Any]) -> dict[str, Any]:
    """The manifest's numbers for one result dict (contract shape)."""
    docs = res.get("documents") or []
    types = Counter(d.get("type", "unknown") for d in docs)
    review = Counter(d.get("type", "unknown") for d in docs if d.get("needs_review"))
    errors = res.get("errors") or []
    return {
        "status": "error" if errors and not docs else "done",
        "pages": int(res.get("pages") or 0),
        "documents": len(docs),
        "review": sum(review.values()),
        "types": dict(types),
        "review_types": dict(review),
        "error_codes": [e.get("code", "") for e in errors],
        "error_message": "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)[:500],
    }


def error_result(source: str, sha256: str, code: str, message: str) -> dict[str, Any]:
    """A contract object for an input that could not be read at all."""
    return {"source": source, "sha256": sha256, "pages": 0, "documents": [], "errors": [{"code": code, "message": message, "page": None}]}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)  # KiB on Linux


class Worker:
    """One pipeline, built once. `options` is a plain dict so that it pickles anywhere."""

    def __init__(self, options: dict[str, Any]):
        from extract.pipeline import Pipeline, PipelineOptions
        from ocr import OcrOptions

        self.options = dict(options)
        opts = PipelineOptions(ocr=OcrOptions(kind=options.get("engine", "rapidocr"), threads=int(options.get("threads", 1))))
        opts.limits.dpi = int(options.get("dpi", 200))
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.fatal: str | None = None
        self.pipeline = Pipeline(opts)
        try:
            self.pipeline.engine  # load the model now, once, not on the first page
        except Exception as exc:  # EngineUnavailable and friends: every task would fail
            self.fatal = f"{type(exc).__name__}: {exc}"

    def process(self, task: Task) -> Output:
        t0 = time.perf_counter()
        if self.fatal:
            return Output(task.key, task.sha256, "", "error", fatal=self.fatal, worker=self.name)
        data = task.data
        if data is None:
            try:
                with open(task.path or "", "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                res = error_result(task.key, task.sha256, "file_unreadable", f"{exc.strerror or exc}")
                return self._output(task, res, t0)
        try:
            res = self.pipeline.extract_bytes(data, source=task.key).to_json_dict()
        except Exception as exc:  # noqa: BLE001 - the batch goes on; the error is recorded
            from ocr.base import EngineUnavailable

            if isinstance(exc, EngineUnavailable):
                return Output(task.key, task.sha256, "", "error", fatal=str(exc), worker=self.name)
            res = error_result(task.key, hashlib.sha256(data).hexdigest(), "internal_error", f"{type(exc).__name__}: {exc}")
        return self._output(task, res, t0)

    def _output(self, task: Task, res: dict[str, Any], t0: float) -> Output:
        s = summarize(res)
        return Output(
            key=task.key,
            sha256=res.get("sha256") or task.sha256,
            line=dumps(res),
            seconds=round(time.perf_counter() - t0, 3),
            worker=self.name,
            rss_mb=peak_rss_mb(),
            **s,
        )


# ---------------------------------------------------------------- local process pool
_WORKER: Worker | None = None


def _watch_parent(ppid: int) -> None:
    """A worker whose coordinator died (kill -9) exits instead of lingering."""
    while True:
        time.sleep(1.0)
        if os.getppid() != ppid:
            os._exit(0)


def pool_init(options: dict[str, Any], ppid: int) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()
    if options.get("quiet", True):
        import logging

        logging.getLogger().setLevel(logging.ERROR)
    _WORKER = Worker(options)


def fault_injection(task: Task) -> None:
    """For the tests: die like a segfault on the input whose key ends with $MATEX_BATCH_FAULT_CRASH_ON."""
    crash = os.environ.get("MATEX_BATCH_FAULT_CRASH_ON")
    if crash and task.key.endswith(crash):
        os._exit(70)


def pool_process(task: Task) -> Output:
    assert _WORKER is not None, "pool_init did not run"
    fault_injection(task)
    return _WORKER.process(task)


def pool_ping() -> str:
    return _WORKER.name if _WORKER else f"{socket.gethostname()}:{os.getpid()}"


if __name__ == "__main__":  # pragma: no cover - a manual smoke test: python -m batch.worker FILE
    w = Worker({})
    for p in sys.argv[1:]:
        print(w.process(Task(os.path.basename(p), "", path=p)).line)
