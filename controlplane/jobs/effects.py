"""Updates to the cluster's records when a task or a job finishes."""

from __future__ import annotations

import logging

from controlplane.models import SUCCESSFUL, HostComponent, Job, Service, Stage, Task

logger = logging.getLogger(__name__)

# The component state a successful command leaves behind.
STATE_AFTER_COMMAND = {
    "install": "INSTALLED",
    "start": "STARTED",
    "restart": "STARTED",
    "stop": "STOPPED",
    "uninstall": "UNINSTALLED",
}


# Jobs that write the configuration before they start a component.
CONFIGURING_JOBS = ("add_service", "add_components", "apply_config")


def _host_component(task: Task, stage: Stage, job: Job) -> HostComponent | None:
    return (
        HostComponent.select()
        .join(Service)
        .where(
            (Service.cluster == job.cluster_id)
            & (Service.name == stage.service)
            & (HostComponent.component == stage.component)
            & (HostComponent.host == task.host_id)
        )
        .first()
    )


def task_succeeded(task: Task) -> None:
    task = Task.select(Task, Stage, Job).join(Stage).switch(Task).join(Job).where(Task.id == task.id).get()
    stage, job = task.stage, task.job
    item = _host_component(task, stage, job)
    if item is None:
        return
    command = stage.command
    # config_version is the version the component runs with. A running server keeps its
    # old version after configure until a start of the same job, so restart_required stays
    # true when the restart of its batch fails or never runs.
    version = task.job.params.get("config_versions", {}).get(task.stage.service)
    if version and command == "configure" and item.state != "STARTED":
        item.config_version = version
    elif version and command == "start" and task.job.kind in CONFIGURING_JOBS:
        item.config_version = version
    if command in STATE_AFTER_COMMAND:
        item.state = STATE_AFTER_COMMAND[command]
        if command == "stop":
            item.live_status = "STOPPED"
    item.save()


def job_finished(job: Job) -> None:
    kind = job.kind
    params = job.params
    if kind == "add_service":
        service = Service.get_or_none((Service.cluster == job.cluster) & (Service.name == params["service"]))
        if service is not None:
            service.state = "INSTALLED" if job.state == SUCCESSFUL else "INSTALL_FAILED"
            service.save()
    elif kind == "add_components" and job.state != SUCCESSFUL:
        logger.info("job %d: added components stay recorded as INSTALL_FAILED until removed or retried", job.id)
    elif kind == "remove_service" and job.state == SUCCESSFUL:
        service = Service.get_or_none((Service.cluster == job.cluster) & (Service.name == params["service"]))
        if service is not None:
            service.delete_instance(recursive=True)
            logger.info("job %d removed service %s from cluster %s", job.id, params["service"], job.cluster.name)
    elif kind == "remove_service":
        Service.update(state="INSTALLED").where((Service.cluster == job.cluster) & (Service.name == params["service"])).execute()
    elif kind == "remove_components" and job.state == SUCCESSFUL:
        for entry in params.get("removed", []):
            HostComponent.delete().where(HostComponent.id == entry).execute()
        logger.info("job %d removed %d host components", job.id, len(params.get("removed", [])))
