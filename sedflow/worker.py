"""A small external-task worker: fetch tasks by topic, call a handler for each, report what it did.

Wiring a handler takes five lines::

    from sedflow import Engine, load_directory, open_store
    from sedflow.worker import run

    def send_sms(task):                       # a LockedTask: .variables, .case_id, .element_id, ...
        return {"sms_sent": sms.send(task.variables["phone"], "Välkommen!")}

    run(Engine(open_store("sedflow.db"), load_directory("processes")), {"send_sms": send_sms})

A handler returns the variables to complete the task with (or None for none). An exception fails the task
with its message, the retries counting down from ``retries`` (a first failure leaves ``retries - 1``) and
the next attempt after a backoff that doubles each time; with none left the task is fetched no more. A
handler that raises :class:`BpmnError` throws a BPMN error from the task instead, for an error boundary
event on it to catch. A report that loses its lock (the lease lapsed and another worker took the task) is
dropped: the task is the other worker's now.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from .errors import ExternalTaskLockError, RecordConflictError, SedflowError, UnknownExternalTaskError
from .runtime import Engine, LockedTask

logger = logging.getLogger("sedflow.worker")

#: What a handler is: the locked task in, the variables to complete it with out (None: none).
Handler = Callable[[LockedTask], Mapping[str, Any] | None]

#: How often a report is tried again when a step of the same case committed first (the lock still holds).
_CONFLICT_RETRIES = 5


class BpmnError(Exception):
    """Raised by a handler: the work ended in a business error the diagram catches (an error boundary event
    whose code is ``code``), not a technical failure to retry."""

    def __init__(self, code: str, message: str | None = None, data: Mapping[str, Any] | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = message
        self.data = dict(data or {})


def default_worker_id() -> str:
    """Who this process is to the store: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run(engine: Engine, handlers: Mapping[str, Handler], *, worker_id: str | None = None,
        lease: timedelta = timedelta(minutes=5), poll_interval: float = 1.0, max_tasks: int = 1, retries: int = 3,
        backoff: timedelta = timedelta(seconds=10), stop: Callable[[], bool] | None = None,
        once: bool = False) -> int:
    """Fetch tasks of the handlers' topics and handle each until ``stop()`` is true (or, ``once``, until a
    fetch finds nothing); sleep ``poll_interval`` seconds when none is there. Returns the tasks handled."""
    if not handlers:
        raise ValueError("run needs at least one topic handler")
    worker = worker_id or default_worker_id()
    handled = 0
    while stop is None or not stop():
        tasks = engine.fetch_and_lock(list(handlers), worker, max_tasks=max_tasks, lease=lease)
        for task in tasks:
            handle(engine, task, handlers[task.topic], worker, retries=retries, backoff=backoff)
            handled += 1
        if once and not tasks:
            break
        if not tasks:
            time.sleep(poll_interval)
    return handled


def handle(engine: Engine, task: LockedTask, handler: Handler, worker: str, *, retries: int = 3,
           backoff: timedelta = timedelta(seconds=10)) -> None:
    """Run ``handler`` on one locked task and report the outcome (complete, BPMN error or failure)."""
    try:
        variables = dict(handler(task) or {})
    except BpmnError as exc:
        thrown = exc
        _report(lambda: engine.bpmn_error(task.id, worker, thrown.code, message=thrown.message, data=thrown.data),
                task, lambda error: _fail(engine, task, worker, error, "", retries, backoff))
        return
    except Exception as exc:  # the handler's failure, whatever it is: the task is retried, then given up
        _fail(engine, task, worker, str(exc) or type(exc).__name__, traceback.format_exc(), retries, backoff)
        return
    _report(lambda: engine.complete_external_task(task.id, worker, variables), task,
            lambda error: _fail(engine, task, worker, error, "", retries, backoff))


def _fail(engine: Engine, task: LockedTask, worker: str, error: str, details: str, retries: int,
          backoff: timedelta) -> None:
    left = max((task.retries if task.retries is not None else retries) - 1, 0)
    wait = backoff * 2 ** max(retries - left - 1, 0)
    logger.warning("external task %s (%s) failed, %d retries left: %s", task.id, task.topic, left, error)
    _report(lambda: engine.fail_external_task(task.id, worker, error, retries=left, retry_in=wait,
                                              details=details or None), task, None)


def _report(report: Callable[[], object], task: LockedTask, refused: Callable[[str], None] | None) -> None:
    """Send a report; a lost lock drops it, a concurrent step of the case is waited out, and a report the
    case refuses (data, state) becomes a failure through ``refused``."""
    for _ in range(_CONFLICT_RETRIES):
        try:
            report()
            return
        except (ExternalTaskLockError, UnknownExternalTaskError) as exc:
            logger.warning("external task %s is no longer this worker's: %s", task.id, exc)
            return
        except RecordConflictError:
            continue
        except SedflowError as exc:
            if refused is None:
                logger.error("external task %s: the report was refused: %s", task.id, exc)
            else:
                refused(str(exc))
            return
    logger.warning("external task %s: the case kept changing; left for the lease to lapse", task.id)


__all__ = ["BpmnError", "Handler", "default_worker_id", "handle", "run"]
