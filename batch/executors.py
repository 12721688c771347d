"""Where the OCR runs. Three executors behind one small interface:

- `LocalExecutor`: a process pool (spawn context) whose initializer builds the pipeline once
  per worker process; a crashed worker breaks the pool, which is rebuilt, and the tasks that were
  in flight come back as failures for the coordinator to retry;
- `RayExecutor`: an `ActorPool` of N actors on a Ray cluster (or a local Ray instance), each
  holding its own pipeline; tasks carry paths (shared storage) or bytes;
- `InlineExecutor`: in this process, one task at a time (`--workers 0`: debugging, profiling).

    submit(task)            never blocks; the coordinator keeps at most `capacity` in flight
    poll(timeout)           -> [Completion(task, output | None, failure | None, exact)]
    inflight()              tasks submitted and not yet returned by poll
    close(cancel)           stop the workers (cancel: do not wait for the running tasks)

`exact` says the failure certainly belongs to that task (it ran alone, or its own actor died,
or it ran past the task timeout); a pool broken by one of several tasks gives inexact failures.
"""
from __future__ import annotations

import logging
import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from batch.worker import Output, Task, Worker, fault_injection, pool_init, pool_process

log = logging.getLogger("matex.batch")


@dataclass
class Completion:
    task: Task
    output: Output | None
    failure: str | None = None
    exact: bool = True


class InlineExecutor:
    kind = "inline"

    def __init__(self, options: dict[str, Any]):
        self.options = options
        self._worker: Worker | None = None
        self._queue: deque[Task] = deque()
        self.workers = 1
        self.capacity = 1

    def describe(self) -> str:
        return "in-process (1 worker)"

    def submit(self, task: Task) -> None:
        self._queue.append(task)

    def inflight(self) -> int:
        return len(self._queue)

    def poll(self, timeout: float) -> list[Completion]:
        if not self._queue:
            return []
        if self._worker is None:
            self._worker = Worker(self.options)
        task = self._queue.popleft()
        return [Completion(task, self._worker.process(task))]

    def close(self, cancel: bool = False) -> None:
        self._queue.clear()


class LocalExecutor:
    kind = "local"

    def __init__(self, options: dict[str, Any], workers: int, max_inflight: int | None = None,
                 task_timeout: float | None = None, max_tasks_per_child: int | None = None):
        import multiprocessing as mp

        self.options = options
        self.workers = max(1, int(workers))
        self.capacity = max(1, int(max_inflight or 2 * self.workers))
        self.task_timeout = task_timeout
        self.max_tasks_per_child = max_tasks_per_child
        self._ctx = mp.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future, tuple[Task, float]] = {}
        self.restarts = 0

    def describe(self) -> str:
        return f"local process pool, {self.workers} worker(s)"

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._ctx,
                initializer=pool_init,
                initargs=(self.options, os.getpid()),
                max_tasks_per_child=self.max_tasks_per_child,
            )
        return self._pool

    def submit(self, task: Task) -> None:
        fut = self._ensure().submit(pool_process, task)
        self._futures[fut] = (task, time.monotonic())

    def inflight(self) -> int:
        return len(self._futures)

    def poll(self, timeout: float) -> list[Completion]:
        if not self._futures:
            return []
        done, _ = wait(list(self._futures), timeout=timeout, return_when=FIRST_COMPLETED)
        out: list[Completion] = []
        broken = False
        for f in done:
            task, _t = self._futures.pop(f)
            try:
                out.append(Completion(task, f.result()))
            except BrokenProcessPool as exc:
                broken = True
                out.append(Completion(task, None, f"worker process died: {exc}", exact=False))
            except Exception as exc:  # noqa: BLE001 - pickling problems and the like: that task's own
                out.append(Completion(task, None, f"{type(exc).__name__}: {exc}", exact=True))
        timed_out: set[str] = set()
        if not broken and self.task_timeout:
            now = time.monotonic()
            # a queued task waits for at most one task per worker; past the limit the one
            # running longest is stuck: kill the pool (the only way to stop one worker's task)
            late = [t for t, t0 in self._futures.values() if now - t0 > self.task_timeout]
            if late:
                timed_out = {t.key for t in late}
                log.warning("task(s) over %ss: %s; restarting the workers", self.task_timeout, ", ".join(sorted(timed_out)))
                self._kill_processes()
                broken = True
        if broken:
            rest = list(self._futures.items())
            wait([f for f, _ in rest], timeout=60)
            for f, (task, _t) in rest:
                self._futures.pop(f, None)
                if f.done() and f.exception() is None:
                    out.append(Completion(task, f.result()))
                elif task.key in timed_out:
                    out.append(Completion(task, None, f"over the task timeout of {self.task_timeout}s", exact=True))
                else:
                    out.append(Completion(task, None, "worker process died", exact=False))
            failed = [c for c in out if c.output is None and not c.exact]
            if len(failed) == 1:  # it was alone in the pool: the crash is its own
                failed[0].exact = True
            self._reset()
        return out

    def _kill_processes(self) -> None:
        procs = getattr(self._pool, "_processes", None) or {}
        for p in list(procs.values()):
            try:
                p.kill()
            except Exception:  # noqa: BLE001
                pass

    def _reset(self) -> None:
        if self._pool is not None:
            self._kill_processes()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self.restarts += 1

    def close(self, cancel: bool = False) -> None:
        if self._pool is None:
            return
        if cancel:
            self._kill_processes()
            self._pool.shutdown(wait=False, cancel_futures=True)
        else:
            self._pool.shutdown(wait=True)
        self._pool = None
        self._futures.clear()


class OcrActor:
    """A Ray actor holding one pipeline (one OCR engine), built once."""

    def __init__(self, options: dict[str, Any]):
        if options.get("quiet", True):
            logging.getLogger().setLevel(logging.ERROR)
        self.worker = Worker(options)

    def ping(self) -> tuple[str, str | None]:
        return self.worker.name, self.worker.fatal

    def process(self, task: Task) -> Output:
        fault_injection(task)
        return self.worker.process(task)

    def peak_rss_mb(self) -> float:
        from batch.worker import peak_rss_mb

        return peak_rss_mb()


class RayExecutor:
    kind = "ray"

    def __init__(self, options: dict[str, Any], address: str | None = None, actors: int | None = None,
                 shared_storage: bool = True, actor_cpus: float = 1.0, max_inflight: int | None = None,
                 task_timeout: float | None = None, num_cpus: int | None = None):
        import ray
        from ray.util.actor_pool import ActorPool

        self.ray = ray
        self.options = options
        self.shared_storage = shared_storage
        self.task_timeout = task_timeout
        self._owns_ray = False
        local = address in (None, "", "local")
        if not ray.is_initialized():
            kw: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
            if local:
                kw.update(include_dashboard=False)
                if num_cpus:
                    kw["num_cpus"] = int(num_cpus)
            ray.init(address=None if local else address, **kw)
            self._owns_ray = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = max(1, int(actors or max(1, int(cpus // max(actor_cpus, 0.001)))))
        self.capacity = max(1, int(max_inflight or 2 * self.workers))
        self._actor_cls = ray.remote(num_cpus=actor_cpus)(OcrActor)
        self.actors = [self._actor_cls.remote(options) for _ in range(self.workers)]
        self.pool = ActorPool(list(self.actors))
        self._by_key: dict[str, tuple[Any, Task, float]] = {}  # key -> (ObjectRef, task, submitted)
        self.restarts = 0
        self.address = "local" if local else address

    def describe(self) -> str:
        where = "local Ray instance" if self.address == "local" else f"Ray cluster at {self.address}"
        how = "paths" if self.shared_storage else "bytes"
        return f"{where}, ActorPool of {self.workers} actor(s), inputs sent as {how}"

    def check_actors(self) -> list[tuple[str, str | None]]:
        """Wait until every actor has loaded its engine; (name, fatal) of each."""
        return self.ray.get([a.ping.remote() for a in self.actors])

    def _call(self, actor, task: Task):
        ref = actor.process.remote(task)
        self._by_key[task.key] = (ref, task, time.monotonic())
        return ref

    def submit(self, task: Task) -> None:
        if task.data is None and not self.shared_storage:
            with open(task.path or "", "rb") as fh:
                task.data = fh.read()
            task.path = None
        self._pending = getattr(self, "_pending", 0) + 1
        self.pool.submit(self._call, task)

    def inflight(self) -> int:
        return getattr(self, "_pending", 0)

    def _pop_ref(self, ref) -> Task | None:
        for key, (r, task, _t) in list(self._by_key.items()):
            if r == ref:
                del self._by_key[key]
                return task
        return None

    def poll(self, timeout: float) -> list[Completion]:
        ray = self.ray
        out: list[Completion] = []
        wait_for = timeout
        while self.pool.has_next():
            live = set(getattr(self.pool, "_future_to_actor", {}) or {})
            try:
                res: Output = self.pool.get_next_unordered(timeout=wait_for)
            except TimeoutError:
                break
            except ray.exceptions.RayError as exc:
                now_live = set(getattr(self.pool, "_future_to_actor", {}) or {})
                gone = [r for r in live - now_live]
                task = self._pop_ref(gone[0]) if gone else None
                self._pending -= 1
                self._replace_dead_actors()
                if task is not None:
                    out.append(Completion(task, None, f"Ray actor failed: {type(exc).__name__}: {str(exc)[:300]}", exact=True))
                wait_for = 0
                continue
            entry = self._by_key.pop(res.key, None)
            self._pending -= 1
            task = entry[1] if entry else Task(res.key, res.sha256)
            out.append(Completion(task, res))
            wait_for = 0
        if self.task_timeout:
            self._kill_late()
        return out

    def _kill_late(self) -> None:
        now = time.monotonic()
        f2a = getattr(self.pool, "_future_to_actor", {}) or {}
        for key, (ref, task, t0) in list(self._by_key.items()):
            if now - t0 > self.task_timeout and ref in f2a:
                log.warning("%s: over %ss, killing its actor", key, self.task_timeout)
                self.ray.kill(f2a[ref][1], no_restart=True)

    def _replace_dead_actors(self) -> None:
        busy = {id(a) for _, a in (getattr(self.pool, "_future_to_actor", {}) or {}).values()}
        idle = {id(a) for a in getattr(self.pool, "_idle_actors", [])}
        alive = [a for a in self.actors if id(a) in busy or id(a) in idle]
        lost = len(self.actors) - len(alive)
        for _ in range(lost):
            a = self._actor_cls.remote(self.options)
            alive.append(a)
            self.pool.push(a)
            self.restarts += 1
        self.actors = alive

    def peak_rss_mb(self) -> list[float]:
        try:
            return self.ray.get([a.peak_rss_mb.remote() for a in self.actors], timeout=30)
        except Exception:  # noqa: BLE001
            return []

    def close(self, cancel: bool = False) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001
                pass
        self.actors = []
        if self._owns_ray:
            self.ray.shutdown()
            self._owns_ray = False
