"""Cancel and retry of jobs, as the REST API offers them."""

from __future__ import annotations

import logging

from controlplane.db import database
from controlplane.errors import ConflictError
from controlplane.models import CANCELED, FAILED, FINISHED_STATES, PENDING, RUNNING, SUCCESSFUL, Job, Stage, Task, utcnow
from stackyard.v1 import agent_pb2

logger = logging.getLogger(__name__)


def cancel_job(context, job: Job, username: str) -> Job:
    """Cancel ``job``: pending work is dropped and agents kill running tasks with their process trees."""
    with database.atomic():
        job = Job.get_by_id(job.id)
        if job.state in FINISHED_STATES:
            raise ConflictError(f"job {job.id} already ended {job.state}; only a PENDING or RUNNING job can be canceled")
        now = utcnow()
        Job.update(cancel_requested=True, canceled_at=now, message=f"canceled by {username}").where(Job.id == job.id).execute()
        Task.update(state=CANCELED, message=f"canceled by {username}", ended_at=now).where((Task.job == job) & (Task.state == PENDING)).execute()
        Stage.update(state=CANCELED, ended_at=now).where((Stage.job == job) & (Stage.state == PENDING)).execute()
        if job.state == PENDING:
            Job.update(state=CANCELED, ended_at=now).where(Job.id == job.id).execute()
        running = list(Task.select().where((Task.job == job) & (Task.state == RUNNING)))

    for task in running:
        connection = context.agents.get(task.host.hostname)
        if connection is not None:
            connection.send(agent_pb2.ServerMessage(cancel=agent_pb2.TaskCancel(task_id=task.id, reason=f"job canceled by {username}")))
    logger.info("job %d cancel requested by %s; cancel sent for %d running tasks", job.id, username, len(running))
    return Job.get_by_id(job.id)


def retry_job(job: Job, username: str) -> Job:
    """Run a FAILED or CANCELED job again from its first stage that did not succeed."""
    with database.atomic():
        job = Job.get_by_id(job.id)
        if job.state not in (FAILED, CANCELED):
            raise ConflictError(f"job {job.id} is {job.state}; only a FAILED or CANCELED job can be retried")
        later = Job.select().where((Job.cluster == job.cluster) & (Job.id > job.id)).order_by(Job.id).first()
        if later is not None:
            # A retry replays the plan made for the cluster as it was; a later job may have
            # changed the services or configuration that plan assumed.
            raise ConflictError(f"job {job.id} cannot be retried because job {later.id} was created on cluster {job.cluster.name!r} after it; request the change again instead")
        unfinished = Stage.select(Stage.id).where((Stage.job == job) & (Stage.state != SUCCESSFUL))
        Stage.update(state=PENDING, started_at=None, ended_at=None).where(Stage.id.in_(unfinished)).execute()
        Task.update(
            state=PENDING,
            attempt=1,
            delivery_attempts=0,
            next_attempt_at=None,
            dispatched_at=None,
            return_code=None,
            message="",
            summary={},
            log_lines=0,
            started_at=None,
            ended_at=None,
        ).where(Task.stage.in_(unfinished)).execute()
        Job.update(state=PENDING, cancel_requested=False, canceled_at=None, message=f"retried by {username}", ended_at=None).where(Job.id == job.id).execute()
    logger.info("job %d retried by %s", job.id, username)
    return Job.get_by_id(job.id)
