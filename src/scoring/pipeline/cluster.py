"""The Dask cluster the report notebooks run on.

`connect(workers, scheduler)` yields a `distributed.Client`:

- no scheduler (the default): a `LocalCluster` of `workers` worker processes on this machine, one
  thread each (a worker runs one notebook at a time and keeps its kernel warm, see
  scoring.pipeline.kernels). The workers are this process's children and are tied to this run
  like the workers of any writing command (scoring.pipeline.runs): each records itself and the
  kernels it starts in outputs/.runs, dies with this process (PR_SET_PDEATHSIG, and distributed's
  own watch of its parent), keeps its temporary files in a folder of the run; on any exception,
  an interrupt included, the cluster is closed and its processes ended at once.
- `scheduler` ("tcp://host:port"), or the environment variable `SCHEDULER_ENV` when `scheduler`
  is None: a running Dask scheduler of a real cluster. Its workers must see the project folder at
  the same path (params/, notebooks/ and the month's stage folder, read only: a shared or synced
  file system); they write nothing there — a report's files come back through Dask and this
  process writes them.

A task whose worker dies is not retried (`allowed-failures` 0): its report fails with the reason
"worker process died" and the others go on.

`process_pool(workers)` is the lighter pool of Dask's own process scheduler
(`dask.multiprocessing.get(..., pool=...)`), for work that needs no distributed cluster: ingesting
months on this machine. Its workers are forked from this process (nothing to import, nothing to
start: a `LocalCluster` costs about 4 CPU-s a worker) and tied to the run as the cluster's are.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from scoring.errors import CreditCountyError
from scoring.pipeline import runs
from scoring.safeio import owner_tag, scratch_prefix

SCHEDULER_ENV = "CREDIT_COUNTY_SCHEDULER"
CONNECT_TIMEOUT = 30  # seconds to reach a scheduler
CLOSE_TIMEOUT = 5  # seconds for the local cluster to close
DASK_SETTINGS = {
    "distributed.scheduler.allowed-failures": 0,  # a report whose worker died is failed, not re-run
    "distributed.worker.memory.target": False,  # reports are small: never spill, pause or restart a worker
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    # distributed's own log lines are never the user's message (a failed or lost report comes back as a
    # result and is told by this package); on SIGTERM a worker may still log a heartbeat's traceback
    "distributed.logging.distributed": "critical",
}


def scheduler_address(scheduler: str | None = None) -> str | None:
    """`scheduler`, else $CREDIT_COUNTY_SCHEDULER, else None (a local cluster); checked for a scheme."""
    address = (scheduler or os.environ.get(SCHEDULER_ENV) or "").strip() or None
    if address and "://" not in address:
        raise CreditCountyError(f"the scheduler address {address!r} has no protocol: expected e.g. "
                                f"tcp://host:8786 (--scheduler or ${SCHEDULER_ENV})")
    return address


def _local_worker_plugin(owner: int, tag: str, records: str, tmp: str) -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class LocalWorker(WorkerPlugin):
        """Ties each local worker process to this run (scoring.pipeline.runs.init_worker)."""

        name = "credit-county-local-worker"

        def setup(self, worker: Any) -> None:
            runs.init_worker(owner, tag, records, tmp)

    return LocalWorker()


@contextlib.contextmanager
def connect(workers: int = 2, scheduler: str | None = None) -> Iterator[Any]:
    """A distributed.Client: on `scheduler` (see `scheduler_address`) or on a new local cluster of
    `workers` processes, closed when the block ends (at once, its processes ended, on an exception)."""
    import dask
    from distributed import Client, LocalCluster

    address = scheduler_address(scheduler)
    with dask.config.set(DASK_SETTINGS):
        if address:
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except OSError as exc:
                raise CreditCountyError(f"could not reach the Dask scheduler at {address}: {exc}") from None
            with client:
                yield client
            return
        tmp = Path(tempfile.mkdtemp(prefix=scratch_prefix("credit-county", "workers")))
        records, tag = runs.run_folder() or tmp, owner_tag()
        cluster = client = None
        try:
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL,
                                   local_directory=str(tmp))
            client = Client(cluster, set_as_default=False)
            client.register_plugin(_local_worker_plugin(os.getpid(), tag, str(records), str(tmp)))
            yield client
        except BaseException:
            _close(client, cluster, timeout=1)
            runs.end_workers(records, tag)
            _forget(cluster)
            raise
        else:
            _close(client, cluster, timeout=CLOSE_TIMEOUT)
            runs.end_workers(records, tag)  # a worker that did not close in time
        finally:
            runs.remove_worker_records(records, tag)
            shutil.rmtree(tmp, ignore_errors=True)


def _init_pool_worker(owner: int, tag: str, records: str, tmp: str, forked: bool) -> None:
    """`runs.init_worker`; in a forked worker, what it inherited is then frozen out of the garbage
    collector's reach (`gc.freeze`, as for any forking server): each collection scans only the
    objects of the worker's own tasks, not the parent's modules (about 0.1 CPU-s a 2,844-unit month).
    A spawned worker makes the memory settings of the parent itself (`memory.configure`; a forked one
    inherits them)."""
    runs.init_worker(owner, tag, records, tmp)
    if forked:
        gc.freeze()
    else:
        from scoring import memory

        memory.configure()


@contextlib.contextmanager
def process_pool(workers: int = 2) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes for `dask.multiprocessing.get`: forked from this process when it
    runs one thread (what it has imported is there at once), else spawned (forking a process with
    threads can deadlock; a fork server would be their parent, not this process). Each worker dies
    with this process, records itself in the run's registry (`runs.init_worker`), and is ended when
    the block ends, at once on an exception."""
    tmp = Path(tempfile.mkdtemp(prefix=scratch_prefix("credit-county", "workers")))
    records, tag = runs.run_folder() or tmp, owner_tag()
    forked = threading.active_count() == 1
    context = multiprocessing.get_context("fork" if forked else "spawn")
    start = functools.partial(_init_pool_worker, os.getpid(), tag, str(records), str(tmp), forked)
    pool = ProcessPoolExecutor(max(1, workers), mp_context=context, initializer=start)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        runs.end_workers(records, tag)  # at once after an exception; else a worker that outlived the pool
        runs.remove_worker_records(records, tag)
        shutil.rmtree(tmp, ignore_errors=True)


def _forget(cluster: Any) -> None:
    """Keep distributed's exit hook from closing a cluster whose processes we ended (it would wait
    for them with its default timeouts, about 10 s)."""
    from distributed.deploy.spec import SpecCluster

    with contextlib.suppress(Exception):
        SpecCluster._instances.discard(cluster)


def _close(client: Any, cluster: Any, timeout: float) -> None:
    for closing in (client, cluster):
        if closing is not None:
            with contextlib.suppress(Exception):
                closing.close(timeout=timeout)
