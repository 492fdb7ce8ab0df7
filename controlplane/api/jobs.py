"""Jobs: list, get with stages and tasks, cancel, retry and task logs (whole or followed live)."""

from __future__ import annotations

import json
import time

from flask import Response, g, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from controlplane.api.jobs_view import job_view
from controlplane.api.schemas import JobQuerySchema, JobSchema, LogQuerySchema
from controlplane.auth.policy import requires
from controlplane.context import server_context
from controlplane.db import database
from controlplane.errors import NotFoundError
from controlplane.jobs.control import cancel_job, retry_job
from controlplane.models import FINISHED_STATES, Cluster, Job, Task

URL_PREFIX = "/jobs"
blp = Blueprint("jobs", __name__, description="Jobs, their stages and tasks, and task logs")

# A followed log stream sends a comment line this often so proxies keep it open.
KEEPALIVE_SECONDS = 10


def get_job(job_id: int) -> Job:
    job = Job.get_or_none(Job.id == job_id)
    if job is None:
        raise NotFoundError(f"job {job_id} not found")
    return job


def wake_scheduler() -> None:
    scheduler = server_context().extras.get("scheduler")
    if scheduler is not None:
        scheduler.wake()


@blp.route("")
class Jobs(MethodView):
    @requires("viewer")
    @blp.arguments(JobQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, JobSchema(many=True))
    def get(self, query):
        """List jobs, newest first, with progress; filter by cluster and state."""
        select = Job.select().order_by(Job.id.desc()).limit(query["limit"])
        if "cluster" in query:
            select = select.join(Cluster).where(Cluster.name == query["cluster"])
        if "state" in query:
            select = select.where(Job.state == query["state"])
        return [job_view(job, with_stages=False) for job in select]


@blp.route("/<int:job_id>")
class JobById(MethodView):
    @requires("viewer")
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """Get a job with its stages and tasks."""
        return job_view(get_job(job_id))


@blp.route("/<int:job_id>/cancel")
class JobCancel(MethodView):
    @requires("operator")
    @blp.response(202, JobSchema)
    @blp.alt_response(409, description="The job already ended")
    def post(self, job_id):
        """Cancel a job: pending stages are dropped and running tasks are killed with their child processes."""
        job = cancel_job(server_context(), get_job(job_id), g.user.username)
        wake_scheduler()
        return job_view(job)


@blp.route("/<int:job_id>/retry")
class JobRetry(MethodView):
    @requires("operator")
    @blp.response(202, JobSchema)
    @blp.alt_response(409, description="The job is not FAILED or CANCELED")
    def post(self, job_id):
        """Run a FAILED or CANCELED job again from its first stage that did not succeed."""
        job = get_job(job_id)
        unfinished = [task.id for task in Task.select().where((Task.job == job) & (Task.state != "SUCCESSFUL"))]
        job = retry_job(job, g.user.username)
        logs = server_context().extras["logs"]
        for task_id in unfinished:
            logs.clear(job.id, task_id)
        wake_scheduler()
        return job_view(job)


@blp.route("/<int:job_id>/tasks/<int:task_id>/log")
class TaskLog(MethodView):
    @requires("viewer")
    @blp.arguments(LogQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, content_type="text/plain", description="The task log; text/event-stream when follow=true")
    def get(self, query, job_id, task_id):
        """Return a task's log, or with follow=true stream its lines as server-sent events until the task ends."""
        task = Task.get_or_none((Task.id == task_id) & (Task.job == job_id))
        if task is None:
            raise NotFoundError(f"task {task_id} of job {job_id} not found")
        logs = server_context().extras["logs"]
        if not query["follow"]:
            return Response(logs.read(job_id, task_id), mimetype="text/plain")
        return Response(stream_with_context(_follow(logs, job_id, task_id)), mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _follow(logs, job_id: int, task_id: int):
    """Yield server-sent events: one ``data:`` event per log line, then an ``end`` event with the task state."""
    path = logs.path(job_id, task_id)
    position = 0
    line_number = 0
    last_sent = time.monotonic()
    pending = ""
    while True:
        state = _task_state(task_id)
        if path.exists():
            with path.open("r", encoding="utf-8", errors="replace") as handle:
                handle.seek(position)
                chunk = handle.read()
                position = handle.tell()
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in lines:
                line_number += 1
                yield f"id: {line_number}\ndata: {line}\n\n"
                last_sent = time.monotonic()
        if state in FINISHED_STATES:
            if pending:
                yield f"data: {pending}\n\n"
            yield f"event: end\ndata: {json.dumps({'state': state})}\n\n"
            return
        if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        time.sleep(0.25)


def _task_state(task_id: int) -> str:
    with database.connection_context():
        task = Task.get_or_none(Task.id == task_id)
    return task.state if task else "CANCELED"
