"""``parallel.map_jobs``: the jobs of a sweep on a local Dask cluster."""

import operator
import time

from genn_neuromod.parallel import map_jobs


def test_a_finished_job_is_released_before_the_caller_resumes():
    """Every result comes back, and a finished job's result is not left on its worker while the caller works
    on it: a result still held there is one the scheduler computes again when that worker is lost."""
    jobs = map_jobs(operator.neg, [1, 2, 3], workers=2)
    first = next(jobs)
    client, key = jobs.gi_frame.f_locals["client"], jobs.gi_frame.f_locals["fut"].key
    deadline = time.monotonic() + 10.0
    while key in client.who_has() and time.monotonic() < deadline:  # the release reaches the scheduler soon
        time.sleep(0.05)
    assert key not in client.who_has()
    assert sorted([first, *jobs]) == [-3, -2, -1]
