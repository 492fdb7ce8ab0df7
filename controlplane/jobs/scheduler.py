"""Run jobs: one at a time per cluster in FIFO order, stages as their dependencies finish, tasks on agents.

The scheduler is a loop that wakes on every task result and at least twice a second. Each pass
starts the next job of every idle cluster, starts stages whose dependencies succeeded, sends
their tasks to the agents, fails tasks whose agent went silent past the timeout and closes
stages and jobs whose tasks all ended. All state lives in the database, so a restarted server
continues where the previous process stopped.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from peewee import fn

from controlplane.db import database
from controlplane.jobs import effects
from controlplane.jobs.assignment import StageAssignment
from controlplane.models import (
    CANCELED,
    FAILED,
    FINISHED_STATES,
    PENDING,
    RUNNING,
    SUCCESSFUL,
    Host,
    Job,
    Stage,
    Task,
    utcnow,
)
from stackyard.v1 import agent_pb2

logger = logging.getLogger(__name__)

# Sending a task to an agent that is not connected is tried this many times, with backoff.
MAX_DELIVERY_ATTEMPTS = 3
DELIVERY_BACKOFF_SECONDS = (2, 4, 8)
# A retryable command that ran and failed runs at most this many times in all.
MAX_COMMAND_ATTEMPTS = 3
# The server fails a task this long after its timeout if the agent never reported it.
SERVER_TIMEOUT_GRACE = timedelta(seconds=30)
# A canceled task whose agent never confirms the kill is closed after this long.
CANCEL_GRACE = timedelta(seconds=10)


def record_task_result(task: Task, state: str, return_code: int, message: str, summary: dict) -> None:
    """Store an agent's result for ``task``; a retryable failure goes back to PENDING."""
    with database.atomic():
        task = Task.get_by_id(task.id)
        if task.state in FINISHED_STATES:
            return
        if state == "TIMEDOUT":
            state = FAILED
            message = message or f"timed out after {task.timeout_seconds} seconds"
        if state == FAILED and task.retryable and task.attempt < MAX_COMMAND_ATTEMPTS and not task.job.cancel_requested:
            logger.info("job %d task %d failed on attempt %d; retrying: %s", task.job_id, task.id, task.attempt, message)
            Task.update(state=PENDING, attempt=task.attempt + 1, message=message, next_attempt_at=utcnow()).where(Task.id == task.id).execute()
            return
        if state not in (SUCCESSFUL, FAILED, CANCELED):
            state = FAILED
        Task.update(state=state, return_code=return_code, message=message, summary=summary, ended_at=utcnow()).where(Task.id == task.id).execute()
        if state == SUCCESSFUL:
            effects.task_succeeded(task)


def queue_position(job: Job) -> int | None:
    """Return the place of a PENDING job in its cluster's queue: 1 is the next job to start.

    The job that is running is not counted, so the first job waiting behind it is 1.
    """
    if job.state != PENDING:
        return None
    ahead = Job.select().where((Job.cluster == job.cluster) & (Job.state == PENDING) & (Job.id < job.id)).count()
    return ahead + 1


class Scheduler:
    def __init__(self, context, interval: float = 0.5) -> None:
        self.context = context
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        logger.info("scheduler started")
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                with database.connection_context():
                    self.tick()
            except Exception:  # noqa: BLE001 - the loop must survive one bad pass and log it
                logger.exception("scheduler pass failed")
        logger.info("scheduler stopped")

    def tick(self) -> None:
        self._start_next_jobs()
        for job in Job.select().where(Job.state == RUNNING).order_by(Job.id):
            self._advance(job)

    # Jobs

    def _start_next_jobs(self) -> None:
        busy = {job.cluster_id for job in Job.select(Job.cluster).where(Job.state == RUNNING)}
        for job in Job.select().where(Job.state == PENDING).order_by(Job.id):
            if job.cluster_id in busy:
                continue
            busy.add(job.cluster_id)
            Job.update(state=RUNNING, started_at=utcnow()).where(Job.id == job.id).execute()
            logger.info("job %d %r started on cluster %s", job.id, job.name, job.cluster.name)

    def _advance(self, job: Job) -> None:
        stages = list(Stage.select().where(Stage.job == job).order_by(Stage.position))
        tasks_by_stage: dict[int, list[Task]] = {stage.id: [] for stage in stages}
        for task in Task.select().where(Task.job == job):
            tasks_by_stage[task.stage_id].append(task)

        for stage in stages:
            if stage.state == RUNNING:
                self._advance_stage(job, stage, tasks_by_stage[stage.id])

        by_position = {stage.position: stage for stage in stages}
        failed = any(stage.state in (FAILED, CANCELED) for stage in stages)
        if not failed and not job.cancel_requested:
            for stage in stages:
                if stage.state == PENDING and all(by_position[p].state == SUCCESSFUL for p in stage.depends_on):
                    if self._pausing(job, stage, by_position):
                        continue
                    Stage.update(state=RUNNING, started_at=utcnow()).where(Stage.id == stage.id).execute()
                    stage.state = RUNNING
                    logger.info("job %d stage %d %r started", job.id, stage.position, stage.name)
                    self._advance_stage(job, stage, tasks_by_stage[stage.id])
        else:
            self._cancel_pending_stages(job, stages)

        if all(stage.state in FINISHED_STATES for stage in stages):
            self._finish_job(job, stages)

    def _pausing(self, job: Job, stage: Stage, by_position: dict[int, Stage]) -> bool:
        """Return True while a rolling restart waits ``pause_seconds`` (a job parameter) between
        the start of one batch and the stop of the next."""
        pause = job.params.get("pause_seconds") or 0
        if not pause or stage.command != "stop":
            return False
        # A start stage that ended in this pass has no ended_at in memory yet.
        ended = [by_position[p].ended_at or utcnow() for p in stage.depends_on if by_position[p].command == "start"]
        return bool(ended) and utcnow() < max(ended) + timedelta(seconds=pause)

    def _cancel_pending_stages(self, job: Job, stages: list[Stage]) -> None:
        for stage in stages:
            if stage.state == PENDING:
                Stage.update(state=CANCELED, ended_at=utcnow()).where(Stage.id == stage.id).execute()
                Task.update(state=CANCELED, message="canceled because an earlier stage failed or the job was canceled", ended_at=utcnow()).where(
                    (Task.stage == stage) & (Task.state == PENDING)
                ).execute()
                stage.state = CANCELED

    def _finish_job(self, job: Job, stages: list[Stage]) -> None:
        states = {stage.state for stage in stages}
        if job.cancel_requested:
            state = CANCELED
        elif states <= {SUCCESSFUL}:
            state = SUCCESSFUL
        else:
            state = FAILED
        message = job.message
        if state == FAILED and not message:
            failed_task = Task.select().where((Task.job == job) & (Task.state == FAILED)).order_by(Task.id).first()
            if failed_task is not None:
                message = f"stage {failed_task.stage.name!r} failed on host {failed_task.host.hostname}: {failed_task.message}"
        with database.atomic():
            Job.update(state=state, ended_at=utcnow(), message=message).where(Job.id == job.id).execute()
            effects.job_finished(Job.get_by_id(job.id))
        logger.info("job %d %r ended %s", job.id, job.name, state)

    # Stages and tasks

    def _advance_stage(self, job: Job, stage: Stage, tasks: list[Task]) -> None:
        now = utcnow()
        hostnames = {host.id: host.hostname for host in Host.select(Host.id, Host.hostname).where(Host.id.in_([task.host_id for task in tasks]))}
        template: StageAssignment | None = None
        ready: list[tuple[Task, str]] = []
        for task in tasks:
            if task.state == PENDING and not job.cancel_requested and (task.next_attempt_at is None or task.next_attempt_at <= now):
                if template is None:
                    template = self._stage_assignment(job, stage)
                    if template is None:
                        break
                ready.append((task, hostnames[task.host_id]))
            elif task.state == RUNNING:
                self._check_timeout(job, task, now)
        if ready and template is not None:
            self._dispatch(job, stage, ready, template)

        tasks = list(Task.select().where(Task.stage == stage))
        if tasks and not all(task.state in FINISHED_STATES for task in tasks):
            return
        if job.cancel_requested and any(task.state == CANCELED for task in tasks):
            state = CANCELED
        elif all(task.state == SUCCESSFUL for task in tasks):
            state = SUCCESSFUL
        else:
            state = FAILED
        Stage.update(state=state, ended_at=utcnow()).where(Stage.id == stage.id).execute()
        stage.state = state
        logger.info("job %d stage %d %r ended %s", job.id, stage.position, stage.name, state)

    def _stage_assignment(self, job: Job, stage: Stage) -> StageAssignment | None:
        """Build what every task of the stage sends; on failure, fail the stage's pending tasks with the reason."""
        try:
            return StageAssignment(self.context, job, stage)
        except Exception as error:  # noqa: BLE001 - a stage that cannot be built fails with the reason
            logger.exception("job %d stage %d %r: tasks could not be built", job.id, stage.position, stage.name)
            Task.update(state=FAILED, message=f"could not build the task: {error}", ended_at=utcnow()).where((Task.stage == stage) & (Task.state == PENDING)).execute()
            return None

    def _dispatch(self, job: Job, stage: Stage, ready: list[tuple[Task, str]], template: StageAssignment) -> None:
        """Send the ready tasks of a stage to their agents; all that can be sent turn RUNNING in one update."""
        sendable = []
        for task, hostname in ready:
            connection = self.context.agents.get(hostname)
            if connection is None:
                self._delivery_failed(job, task, f"the agent on host {hostname} is not connected")
            else:
                sendable.append((task, hostname, connection))
        if not sendable:
            return

        now = utcnow()
        Task.update(state=RUNNING, dispatched_at=now, started_at=fn.COALESCE(Task.started_at, now)).where(Task.id.in_([task.id for task, _, _ in sendable])).execute()
        for task, hostname, connection in sendable:
            if not connection.send(agent_pb2.ServerMessage(assignment=template.for_task(task, hostname))):
                Task.update(state=PENDING).where(Task.id == task.id).execute()
                self._delivery_failed(job, task, f"the stream to host {hostname} closed before the task was sent")
                continue
            logger.info("job %d task %d (%s) sent to host %s", job.id, task.id, stage.name, hostname)

    def _delivery_failed(self, job: Job, task: Task, reason: str) -> None:
        attempts = task.delivery_attempts + 1
        if attempts > MAX_DELIVERY_ATTEMPTS:
            logger.warning("job %d task %d failed: %s after %d attempts", job.id, task.id, reason, MAX_DELIVERY_ATTEMPTS)
            Task.update(state=FAILED, delivery_attempts=attempts, message=f"{reason} (tried {MAX_DELIVERY_ATTEMPTS} times)", ended_at=utcnow()).where(Task.id == task.id).execute()
            return
        delay = DELIVERY_BACKOFF_SECONDS[min(attempts, len(DELIVERY_BACKOFF_SECONDS)) - 1]
        logger.info("job %d task %d not delivered (%s); retry %d in %d s", job.id, task.id, reason, attempts, delay)
        Task.update(delivery_attempts=attempts, next_attempt_at=utcnow() + timedelta(seconds=delay)).where(Task.id == task.id).execute()

    def _check_timeout(self, job: Job, task: Task, now) -> None:
        if job.cancel_requested and job.canceled_at and now - job.canceled_at > CANCEL_GRACE:
            logger.warning("job %d task %d on host %s: the agent did not confirm the cancel", job.id, task.id, task.host.hostname)
            Task.update(state=CANCELED, message=f"canceled; the agent on host {task.host.hostname} did not confirm within {CANCEL_GRACE.seconds} seconds", ended_at=now).where(Task.id == task.id).execute()
            return
        if task.dispatched_at is None:
            return
        deadline = task.dispatched_at + timedelta(seconds=task.timeout_seconds) + SERVER_TIMEOUT_GRACE
        if now <= deadline:
            return
        logger.warning("job %d task %d on host %s: no result %d s past its timeout", job.id, task.id, task.host.hostname, SERVER_TIMEOUT_GRACE.seconds)
        Task.update(state=FAILED, message=f"timed out: no result from the agent on host {task.host.hostname} within {task.timeout_seconds} seconds", ended_at=now).where(Task.id == task.id).execute()
        connection = self.context.agents.get(task.host.hostname)
        if connection is not None:
            connection.send(agent_pb2.ServerMessage(cancel=agent_pb2.TaskCancel(task_id=task.id, reason="timed out on the server")))
