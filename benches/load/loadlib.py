"""Shared by the Python load clients: run one worker process per job and add up what they
report, timing the whole run."""

import multiprocessing
import time


def run(worker, jobs):
    """Runs `worker(*job, result_queue)` in a process per job; each puts one tuple of counts.
    Returns (the counts summed element-wise, elapsed seconds)."""
    result = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(*job, result)) for job in jobs]
    t0 = time.time()
    for proc in procs:
        proc.start()
    totals = [result.get(timeout=600) for _ in procs]
    elapsed = time.time() - t0
    for proc in procs:
        proc.join()
    return tuple(map(sum, zip(*totals))), elapsed
