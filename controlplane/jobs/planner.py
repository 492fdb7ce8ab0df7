"""Turn an operator request into a job: stages (one command on one component) and tasks (one host each).

A request is a list of phases, each one command on some components: adding a service is
install, configure, start, check. Every stage waits for the stages of the phase before it.
Within a phase, the stack's ordering rules ("kafka_broker START waits for zookeeper_server
START") add edges between stages, and stages with no edge between them run in parallel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from controlplane.db import database
from controlplane.models import Cluster, Host, Job, Stage, Task

logger = logging.getLogger(__name__)

# Callbacks run after a job is stored. The server adds the scheduler's wake-up here, so a new
# job starts at once instead of at the scheduler's next periodic pass.
job_created_listeners: list[Callable[[], None]] = []


@dataclass
class StagePlan:
    service: str
    component: str
    command: str
    hosts: list[Host]
    timeout_seconds: int = 1800
    retryable: bool = False
    depends_on: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.command} {self.component}"


@dataclass
class Phase:
    """One command on several components of the same job, for example "start" on every server."""

    command: str
    # (service, component, hosts) triples.
    targets: list[tuple[str, str, list[Host]]]


def _ordering_edges(stack, command: str) -> set[tuple[str, str]]:
    """Return (waiting component, awaited component) pairs the stack declares for ``command``."""
    edges = set()
    for rule in getattr(stack, "ordering", []) or []:
        for awaited_component, awaited_command in rule.after:
            if rule.command.lower() == command.lower() and awaited_command.lower() == command.lower():
                edges.add((rule.component, awaited_component))
    return edges


def plan_stages(stack, phases: list[Phase]) -> list[StagePlan]:
    """Return the stages of ``phases`` in order, each with the positions of the stages it waits for."""
    stages: list[StagePlan] = []
    previous_phase: list[int] = []
    for phase in phases:
        edges = _ordering_edges(stack, phase.command)
        position_of: dict[str, int] = {}
        current_phase: list[int] = []
        for service_name, component_name, hosts in phase.targets:
            if not hosts:
                continue
            command = _command_definition(stack, service_name, component_name, phase.command)
            plan = StagePlan(
                service=service_name,
                component=component_name,
                command=phase.command,
                hosts=hosts,
                timeout_seconds=command.timeout_seconds if command else 1800,
                retryable=command.retryable if command else False,
                depends_on=list(previous_phase),
            )
            position_of[component_name] = len(stages)
            current_phase.append(len(stages))
            stages.append(plan)

        for waiting, awaited in edges:
            if waiting in position_of and awaited in position_of:
                stages[position_of[waiting]].depends_on.append(position_of[awaited])
        if current_phase:
            previous_phase = current_phase
    return stages


def _command_definition(stack, service_name: str, component_name: str, command_name: str):
    service = stack.services.get(service_name)
    if service is None:
        return None
    component = service.components.get(component_name)
    commands = getattr(component, "commands", {}) if component else {}
    if command_name in commands:
        return commands[command_name]
    return getattr(service, "custom_commands", {}).get(command_name)


def create_job(cluster: Cluster, name: str, kind: str, stages: list[StagePlan], created_by: str, params: dict | None = None) -> Job:
    """Store a job with its stages and tasks, all PENDING, in one transaction."""
    with database.atomic():
        job = Job.create(cluster=cluster, name=name, kind=kind, params=params or {}, created_by=created_by)
        for position, plan in enumerate(stages):
            stage = Stage.create(
                job=job,
                position=position,
                name=plan.name,
                service=plan.service,
                component=plan.component,
                command=plan.command,
                depends_on=sorted(set(plan.depends_on)),
            )
            for host in plan.hosts:
                Task.create(job=job, stage=stage, host=host, timeout_seconds=plan.timeout_seconds, retryable=plan.retryable)
    logger.info("job %d %r created on cluster %s with %d stages", job.id, name, cluster.name, len(stages))
    for listener in job_created_listeners:
        listener()
    return job
