"""The JSON form of a job with its stages, tasks and progress."""

from __future__ import annotations

from controlplane.jobs.scheduler import queue_position
from controlplane.models import FINISHED_STATES, Host, Job, Stage, Task


def _progress(job: Job, tasks: list[Task], finished: int) -> float:
    """Return the fraction of finished tasks; a job without tasks is 0 until it ends, then 1."""
    if tasks:
        return round(finished / len(tasks), 3)
    return 1.0 if job.state in FINISHED_STATES else 0.0


def job_view(job: Job, with_stages: bool = True) -> dict:
    job = Job.get_by_id(job.id)
    tasks = list(Task.select(Task, Host).join(Host).where(Task.job == job))
    finished = sum(1 for task in tasks if task.state in FINISHED_STATES)
    view = {
        "id": job.id,
        "cluster": job.cluster.name,
        "name": job.name,
        "kind": job.kind,
        "state": job.state,
        "message": job.message,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "ended_at": job.ended_at,
        "queue_position": queue_position(job),
        "progress": _progress(job, tasks, finished),
    }
    if with_stages:
        tasks_by_stage: dict[int, list[dict]] = {}
        for task in sorted(tasks, key=lambda item: (item.stage_id, item.host.hostname)):
            tasks_by_stage.setdefault(task.stage_id, []).append(
                {
                    "id": task.id,
                    "host": task.host.hostname,
                    "state": task.state,
                    "attempt": task.attempt,
                    "return_code": task.return_code,
                    "message": task.message,
                    "summary": task.summary,
                    "log_lines": task.log_lines,
                    "started_at": task.started_at,
                    "ended_at": task.ended_at,
                }
            )
        view["stages"] = [
            {
                "id": stage.id,
                "position": stage.position,
                "name": stage.name,
                "service": stage.service,
                "component": stage.component,
                "command": stage.command,
                "depends_on": stage.depends_on,
                "state": stage.state,
                "started_at": stage.started_at,
                "ended_at": stage.ended_at,
                "tasks": tasks_by_stage.get(stage.id, []),
            }
            for stage in Stage.select().where(Stage.job == job).order_by(Stage.position)
        ]
    return view
