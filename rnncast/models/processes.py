"""Worker processes for ``n_jobs``: independent training runs at once, one per core.

A forecaster's members train one at a time on one core: at the default sizes (16 to
32 units, batches of 64) a batch is too small to split across threads (see
``RecurrentLayer._batch_parts``). Members of different lookbacks and cells are
independent, each with its own random stream, so they can train in separate
processes and come back bit for bit as they would have been trained one after
another.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor

from rnncast.nn import kernels


def resolve_jobs(n_jobs) -> int:
    """The worker processes ``n_jobs`` asks for: None is 1, -1 one per usable core."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or not (
            n_jobs >= 1 or n_jobs == -1):
        raise ValueError(f"n_jobs must be a positive integer, or -1 for one process per "
                         f"core, got {n_jobs!r}.")
    return kernels.usable_cores() if n_jobs == -1 else n_jobs


def can_start_processes() -> bool:
    """A daemonic process (such as a worker of another pool) may not have children:
    there the runs go one after another instead."""
    return not multiprocessing.current_process().daemon


class StopFlag:
    """A flag the parent sets and its workers read at every batch, with no lock.

    Not a ``multiprocessing.Event``: its ``is_set`` and ``set`` both take a lock shared
    by the processes. When a worker dies, the executor ends the others with SIGTERM; one
    ended while it read the event left the lock taken, and the parent's ``set`` then
    waited for ever: a test run hung so, and a loop made to catch it hung 3 times in 10.
    One byte of shared memory, written by the parent alone, needs no lock."""

    def __init__(self, context):
        self._value = context.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def is_set(self) -> bool:
        return bool(self._value.value)


def worker_pool(processes: int):
    """A ``ProcessPoolExecutor`` of ``processes`` workers and the ``StopFlag`` that asks
    them to stop. Ctrl-C reaches the parent alone (the workers ignore it); it sets the
    flag, and each worker's run then ends at its next batch as Ctrl-C ends a run in
    one process (``stop_requested``). On Linux the workers are forked, so they start
    at once with what this process has imported; elsewhere they are spawned, and a
    script that fits with ``n_jobs`` > 1 must guard its top level with
    ``if __name__ == "__main__":``, as any script that starts processes there must.

    An executor rather than a ``multiprocessing.Pool``: when a worker dies (killed for
    memory, a crash), a Pool starts another and the lost task's result never comes, so
    the caller waits for ever; the executor fails the task with ``BrokenProcessPool``."""
    context = multiprocessing.get_context(
        "fork" if sys.platform.startswith("linux") else "spawn")
    stop = StopFlag(context)
    return ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                               initargs=(stop,)), stop


_stop = None  # in a worker process: its pool's StopFlag
_parent = None  # in a worker process: the process id of the parent that started it


def _start_worker(stop):
    global _stop, _parent
    # the terminal's Ctrl-C reaches every process of its group: the parent decides
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop, _parent = stop, os.getppid()


def stop_requested() -> bool:
    """In a worker: whether the parent was interrupted (always False in the parent).
    A worker whose parent is gone (killed with SIGKILL, say) exits here, at its next
    batch: no one is left to take its members, and it would train on, a core busy,
    for as many epochs as it was given."""
    if _stop is None:
        return False
    if os.getppid() != _parent:
        os._exit(1)
    return _stop.is_set()
