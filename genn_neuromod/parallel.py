"""Run independent jobs (sweep points, experiment runs) in this process or on Dask."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any


def map_jobs(fn: Callable[[Any], Any], jobs: Sequence[Any], workers: int | None = None,
             scheduler: str | None = None, local: bool = False) -> Iterator[Any]:
    """Yield ``fn(job)`` for every job, as the jobs finish.

    ``local`` runs them one after the other in this process. Otherwise they go to the Dask scheduler at
    ``scheduler``, or to a LocalCluster of ``workers`` single-threaded processes (default: one per core,
    at most one per job) that is closed afterwards.
    """
    if local:
        for job in jobs:
            yield fn(job)
        return
    if not jobs:
        return
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        n = workers or max(1, min(len(jobs), os.cpu_count() or 1))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        for fut in as_completed(client.map(fn, list(jobs), pure=False)):
            result = fut.result()
            # released before the caller resumes: a finished job still held here is one the scheduler reruns
            # when its worker is lost (seen after the worker processes were paused past their heartbeat)
            fut.release()
            yield result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
