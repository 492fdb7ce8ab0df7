"""Build the TaskAssignment messages an agent runs: the compiled role and its variables.

Everything but the host is the same for every task of a stage, so the scheduler builds a
``StageAssignment`` once per stage and stamps out one message per task from it.
"""

from __future__ import annotations

import json
import threading

from controlplane.configs import read_values, secret_keys, secret_values, service_definition
from controlplane.inventory import cluster_variables
from controlplane.models import ConfigVersion, Job, Service, Stage, Task
from controlplane.stacks import role_archive
from stackyard.v1 import agent_pb2

_archives: dict[tuple[str, str, str], bytes] = {}
_archives_lock = threading.Lock()


def cached_role_archive(stack, definition) -> bytes:
    """Return the role archive of a service, built once per server process.

    NOTE: a server reads its stacks once at start, so changes to a stack folder take effect
    after a restart. Caching the archive applies the same rule to the role files.
    """
    key = (stack.name, stack.version, definition.name)
    with _archives_lock:
        archive = _archives.get(key)
    if archive is None:
        archive = role_archive(stack, definition)
        with _archives_lock:
            _archives[key] = archive
    return archive


def _config_values(context, service: Service, version_number: int | None) -> dict:
    definition = service_definition(context, service)
    query = ConfigVersion.select().where(ConfigVersion.service == service)
    if version_number:
        query = query.where(ConfigVersion.version == version_number)
    version = query.order_by(ConfigVersion.version.desc()).first()
    return read_values(context, version) if version else definition.default_values()


class StageAssignment:
    """The parts of a stage's TaskAssignment that do not depend on the host."""

    def __init__(self, context, job: Job, stage: Stage) -> None:
        cluster = job.cluster
        stack = context.catalogue.get(cluster.stack_name, cluster.stack_version)
        service = Service.get((Service.cluster == cluster) & (Service.name == stage.service))
        definition = service_definition(context, service)

        values = _config_values(context, service, job.params.get("config_versions", {}).get(service.name))
        variables = cluster_variables(cluster)
        variables.update(definition.role_variables(values))
        variables.update(
            {
                "stackyard_command": stage.command,
                "stackyard_component": stage.component,
                "stackyard_user": definition.user,
                "stackyard_job_id": job.id,
            }
        )
        variables.update(job.params.get("variables", {}))

        self.job = job
        self.stage = stage
        self.variables = variables
        self.base = agent_pb2.TaskAssignment(
            job_id=job.id,
            cluster=cluster.name,
            stack=f"{stack.name}/{stack.version}",
            service=service.name,
            component=stage.component,
            command=stage.command,
            role_name=definition.role_name,
            role_archive=cached_role_archive(stack, definition),
            secret_values=secret_values(values, secret_keys(definition)),
        )

    def for_task(self, task: Task, hostname: str) -> agent_pb2.TaskAssignment:
        variables = dict(self.variables, stackyard_hostname=hostname, stackyard_task_id=task.id)
        assignment = agent_pb2.TaskAssignment()
        assignment.CopyFrom(self.base)
        assignment.task_id = task.id
        assignment.timeout_seconds = task.timeout_seconds
        assignment.variables_json = json.dumps(variables)
        return assignment

