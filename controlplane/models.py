"""Database models: clusters, hosts, services, components, configurations, jobs and users."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from controlplane.db import database


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class JsonField(TextField):
    """A JSON document stored as text."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = database


# Task, stage and job states.
PENDING = "PENDING"
RUNNING = "RUNNING"
SUCCESSFUL = "SUCCESSFUL"
FAILED = "FAILED"
CANCELED = "CANCELED"
FINISHED_STATES = (SUCCESSFUL, FAILED, CANCELED)


class User(BaseModel):
    username = CharField(unique=True, max_length=64)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16)
    disabled = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    password_changed_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "users"


class ApiToken(BaseModel):
    """A bearer token: a login session or a named token for automation."""

    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = CharField(max_length=64, default="")
    kind = CharField(max_length=16)  # "session" or "api"
    token_hash = CharField(max_length=128, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(null=True)
    revoked = BooleanField(default=False)
    last_used_at = DateTimeField(null=True)

    class Meta:
        table_name = "api_tokens"


class Cluster(BaseModel):
    name = CharField(unique=True, max_length=64)
    description = TextField(default="")
    stack_name = CharField(max_length=64)
    stack_version = CharField(max_length=32)
    root_dir = CharField(max_length=255, default="/var/lib/stackyard")
    user_group = CharField(max_length=64, default="hadoop")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "clusters"


class Host(BaseModel):
    hostname = CharField(unique=True, max_length=255)
    ip_address = CharField(max_length=64, default="")
    cluster = ForeignKeyField(Cluster, backref="hosts", null=True, on_delete="SET NULL")
    os_family = CharField(max_length=64, default="")
    os_release = CharField(max_length=64, default="")
    cpu_count = IntegerField(default=0)
    # Bytes exceed 32 bits, the size of PostgreSQL's integer.
    memory_bytes = BigIntegerField(default=0)
    agent_version = CharField(max_length=32, default="")
    agent_state = CharField(max_length=16, default="DISCONNECTED")
    boot_id = CharField(max_length=64, default="")
    last_heartbeat_at = DateTimeField(null=True)
    metrics = JsonField(default=dict)
    registered_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "hosts"


class Service(BaseModel):
    cluster = ForeignKeyField(Cluster, backref="services", on_delete="CASCADE")
    name = CharField(max_length=64)
    # INSTALLING, INSTALLED, INSTALL_FAILED, REMOVING
    state = CharField(max_length=32, default="INSTALLING")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "services"
        indexes = ((("cluster", "name"), True),)


class HostComponent(BaseModel):
    """One component of a service placed on one host."""

    service = ForeignKeyField(Service, backref="host_components", on_delete="CASCADE")
    component = CharField(max_length=64)
    host = ForeignKeyField(Host, backref="host_components", on_delete="CASCADE")
    # What the last job made of it: INSTALLING, INSTALLED, STARTED, STOPPED, INSTALL_FAILED.
    state = CharField(max_length=32, default="INSTALLING")
    # What the agent last reported: RUNNING, STOPPED or UNKNOWN.
    live_status = CharField(max_length=16, default="UNKNOWN")
    # Configuration version last written to the host by a configure command.
    config_version = IntegerField(default=0)

    class Meta:
        table_name = "host_components"
        indexes = ((("service", "component", "host"), True),)


class ConfigVersion(BaseModel):
    service = ForeignKeyField(Service, backref="config_versions", on_delete="CASCADE")
    version = IntegerField()
    # {config file: {property: value}}, encrypted with the server's data key.
    values = TextField()
    author = CharField(max_length=64)
    message = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "config_versions"
        indexes = ((("service", "version"), True),)


class Job(BaseModel):
    cluster = ForeignKeyField(Cluster, backref="jobs", on_delete="CASCADE")
    name = CharField(max_length=255)
    # What created the job, for example "add_service", "service_action", "apply_config".
    kind = CharField(max_length=32)
    params = JsonField(default=dict)
    state = CharField(max_length=16, default=PENDING)
    message = TextField(default="")
    created_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)
    cancel_requested = BooleanField(default=False)
    canceled_at = DateTimeField(null=True)

    class Meta:
        table_name = "jobs"


class Stage(BaseModel):
    job = ForeignKeyField(Job, backref="stages", on_delete="CASCADE")
    position = IntegerField()
    name = CharField(max_length=255)
    service = CharField(max_length=64)
    component = CharField(max_length=64)
    command = CharField(max_length=64)
    # Positions of the stages this one waits for.
    depends_on = JsonField(default=list)
    state = CharField(max_length=16, default=PENDING)
    started_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)

    class Meta:
        table_name = "stages"


class Task(BaseModel):
    job = ForeignKeyField(Job, backref="tasks", on_delete="CASCADE")
    stage = ForeignKeyField(Stage, backref="tasks", on_delete="CASCADE")
    host = ForeignKeyField(Host, backref="tasks", on_delete="CASCADE")
    state = CharField(max_length=16, default=PENDING)
    timeout_seconds = IntegerField(default=1800)
    retryable = BooleanField(default=False)
    # Delivery attempts: sending the task to an agent that was not reachable.
    delivery_attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True)
    # Runs of the command itself; more than one only for retryable commands.
    attempt = IntegerField(default=1)
    dispatched_at = DateTimeField(null=True)
    return_code = IntegerField(null=True)
    message = TextField(default="")
    summary = JsonField(default=dict)
    log_lines = IntegerField(default=0)
    started_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)

    class Meta:
        table_name = "tasks"


class AuditRecord(BaseModel):
    created_at = DateTimeField(default=utcnow, index=True)
    username = CharField(max_length=64, default="")
    address = CharField(max_length=64, default="")
    method = CharField(max_length=8)
    route = CharField(max_length=255)
    target = CharField(max_length=255, default="")
    status = IntegerField()

    class Meta:
        table_name = "audit_records"


class LoginFailure(BaseModel):
    key = CharField(max_length=300, index=True)
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "login_failures"


class AgentCredential(BaseModel):
    """A host's credential, issued when its agent enrols with a registration token."""

    hostname = CharField(max_length=255, unique=True)
    credential_hash = CharField(max_length=128)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "agent_credentials"


class RegistrationToken(BaseModel):
    token_hash = CharField(max_length=128, unique=True)
    created_by = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_by = CharField(max_length=255, null=True)

    class Meta:
        table_name = "registration_tokens"


class Repository(BaseModel):
    cluster = ForeignKeyField(Cluster, backref="repositories", on_delete="CASCADE")
    name = CharField(max_length=64)
    kind = CharField(max_length=16)  # apt, yum or tarball
    url = CharField(max_length=1024)
    # apt: "suite components", for example "bookworm main"; empty for yum and tarball.
    distribution = CharField(max_length=255, default="")
    gpg_key_url = CharField(max_length=1024, default="")

    class Meta:
        table_name = "repositories"
        indexes = ((("cluster", "name"), True),)


ALL_MODELS = [
    User,
    ApiToken,
    Cluster,
    Host,
    Service,
    HostComponent,
    ConfigVersion,
    Job,
    Stage,
    Task,
    AuditRecord,
    LoginFailure,
    AgentCredential,
    RegistrationToken,
    Repository,
]
