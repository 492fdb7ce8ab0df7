"""Build the TaskAssignment message an agent runs: the compiled role and its variables."""

from __future__ import annotations

import json

from controlplane.configs import read_values, secret_keys, secret_values, service_definition
from controlplane.inventory import cluster_variables
from controlplane.models import ConfigVersion, Service, Task
from controlplane.stacks import role_archive
from stackyard.v1 import agent_pb2


def _config_values(context, service: Service, version_number: int | None) -> dict:
    definition = service_definition(context, service)
    query = ConfigVersion.select().where(ConfigVersion.service == service)
    if version_number:
        query = query.where(ConfigVersion.version == version_number)
    version = query.order_by(ConfigVersion.version.desc()).first()
    return read_values(context, version) if version else definition.default_values()


def build_assignment(context, task: Task) -> agent_pb2.TaskAssignment:
    stage = task.stage
    job = task.job
    cluster = job.cluster
    stack = context.catalogue.get(cluster.stack_name, cluster.stack_version)
    service = Service.get((Service.cluster == cluster) & (Service.name == stage.service))
    definition = service_definition(context, service)

    config_versions = job.params.get("config_versions", {})
    values = _config_values(context, service, config_versions.get(service.name))
    variables = cluster_variables(cluster)
    variables.update(definition.role_variables(values))
    variables.update(
        {
            "stackyard_command": stage.command,
            "stackyard_component": stage.component,
            "stackyard_hostname": task.host.hostname,
            "stackyard_user": definition.user,
            "stackyard_job_id": job.id,
            "stackyard_task_id": task.id,
        }
    )
    variables.update(job.params.get("variables", {}))

    return agent_pb2.TaskAssignment(
        task_id=task.id,
        job_id=job.id,
        cluster=cluster.name,
        stack=f"{stack.name}/{stack.version}",
        service=service.name,
        component=stage.component,
        command=stage.command,
        role_name=definition.role_name,
        role_archive=role_archive(stack, definition),
        variables_json=json.dumps(variables),
        timeout_seconds=task.timeout_seconds,
        secret_values=secret_values(values, secret_keys(definition)),
    )
