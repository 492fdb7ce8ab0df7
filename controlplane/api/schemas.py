"""Marshmallow schemas of the REST API's request and response bodies."""

from __future__ import annotations

from datetime import UTC

from marshmallow import EXCLUDE, Schema, fields, validate

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
NAME_RULE = "must start with a lowercase letter and hold only lowercase letters, digits, '-' and '_' (at most 63 characters)"
# Largest configuration version number a request may name; it fits a 32-bit database integer.
MAX_VERSION = 2**31 - 1
HOSTNAME_PATTERN = r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"


class UtcDateTime(fields.DateTime):
    """A timestamp in UTC written with its offset, as RFC 3339 requires.

    The database stores naive UTC datetimes (models.utcnow), so the offset is added here.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class StrictSchema(Schema):
    """A request body: unknown fields are rejected with 400."""


class ResponseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class ErrorSchema(ResponseSchema):
    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    field = fields.String()
    details = fields.Dict()
    errors = fields.Dict()


# Authentication and users

class LoginSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class TokenSchema(ResponseSchema):
    token = fields.String()
    token_type = fields.String()
    expires_at = UtcDateTime()
    username = fields.String()
    role = fields.String()


class UserSchema(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    disabled = fields.Boolean()
    created_at = UtcDateTime()


class UserCreateSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Regexp(NAME_PATTERN, error="username " + NAME_RULE))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=1024, error="password must have 8 to 1024 characters"))
    role = fields.String(required=True, validate=validate.OneOf(["viewer", "operator", "admin"]))


class UserUpdateSchema(StrictSchema):
    role = fields.String(validate=validate.OneOf(["viewer", "operator", "admin"]))
    disabled = fields.Boolean()
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=1024, error="password must have 8 to 1024 characters"))


class PasswordChangeSchema(StrictSchema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=1024, error="new_password must have 8 to 1024 characters"))


class ApiTokenCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(NAME_PATTERN, error="name " + NAME_RULE))
    expires_in_days = fields.Integer(validate=validate.Range(min=1, max=3650))


class ApiTokenSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)
    revoked = fields.Boolean()
    token = fields.String(metadata={"description": "The token itself; returned only when it is created."})


class RegistrationTokenSchema(ResponseSchema):
    token = fields.String()
    expires_at = UtcDateTime()


# Clusters and hosts

class ClusterCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(NAME_PATTERN, error="name " + NAME_RULE))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    stack_name = fields.String(load_default="bigtop", validate=validate.Length(min=1, max=64))
    stack_version = fields.String(load_default=None, validate=validate.Length(min=1, max=32), metadata={"description": "Defaults to the newest loaded version of the stack."})
    root_dir = fields.String(load_default="/var/lib/stackyard", validate=validate.Regexp(r"^/[A-Za-z0-9._/-]{0,254}$", error="root_dir must be an absolute path of letters, digits, '.', '_', '-' and '/'"))
    user_group = fields.String(load_default="hadoop", validate=validate.Regexp(r"^[a-z_][a-z0-9_-]{0,31}$", error="user_group must be a valid group name"))
    hosts = fields.List(fields.String(validate=validate.Length(min=1, max=253)), load_default=list)


class ClusterUpdateSchema(StrictSchema):
    description = fields.String(validate=validate.Length(max=2000))
    root_dir = fields.String(validate=validate.Regexp(r"^/[A-Za-z0-9._/-]{0,254}$", error="root_dir must be an absolute path of letters, digits, '.', '_', '-' and '/'"))
    user_group = fields.String(validate=validate.Regexp(r"^[a-z_][a-z0-9_-]{0,31}$", error="user_group must be a valid group name"))


class ClusterSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    stack_name = fields.String()
    stack_version = fields.String()
    root_dir = fields.String()
    user_group = fields.String()
    created_at = UtcDateTime()
    hosts = fields.List(fields.String())
    services = fields.List(fields.String())
    health = fields.Dict()


class HostSchema(ResponseSchema):
    id = fields.Integer()
    hostname = fields.String()
    ip_address = fields.String()
    cluster = fields.String(allow_none=True)
    os_family = fields.String()
    os_release = fields.String()
    cpu_count = fields.Integer()
    memory_bytes = fields.Integer()
    agent_state = fields.String()
    agent_version = fields.String()
    last_heartbeat_at = UtcDateTime(allow_none=True)
    metrics = fields.Dict()
    components = fields.List(fields.Dict())


class HostNamesSchema(StrictSchema):
    hosts = fields.List(fields.String(validate=validate.Length(min=1, max=253)), required=True, validate=validate.Length(min=1, max=1000))


class RepositorySchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(NAME_PATTERN, error="name " + NAME_RULE))
    kind = fields.String(required=True, validate=validate.OneOf(["apt", "yum", "tarball"]))
    url = fields.String(required=True, validate=validate.Regexp(r"^(https?|file)://[^\s'\"]{1,1000}$", error="url must be an http, https or file URL without spaces or quotes"))
    distribution = fields.String(load_default="", validate=validate.Regexp(r"^[A-Za-z0-9._/ -]{0,255}$", error="distribution holds a suite and components, for example 'bookworm main'"))
    gpg_key_url = fields.String(load_default="", validate=validate.Regexp(r"^((https?|file)://[^\s'\"]{1,1000})?$", error="gpg_key_url must be an http, https or file URL"))


class RepositoriesSchema(StrictSchema):
    repositories = fields.List(fields.Nested(RepositorySchema), required=True, validate=validate.Length(max=50))


# Stacks

class StackSummarySchema(ResponseSchema):
    name = fields.String()
    version = fields.String()
    services = fields.List(fields.Dict())


class StackListSchema(ResponseSchema):
    stacks = fields.List(fields.Nested(StackSummarySchema))
    errors = fields.List(fields.String())


# Services and configuration

class ServiceCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(NAME_PATTERN, error="name " + NAME_RULE))
    components = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.List(fields.String(validate=validate.Length(min=1, max=253)), validate=validate.Length(max=1000)),
        required=True,
        metadata={"description": "Component name to the hostnames it is placed on."},
    )
    configs = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=128))),
        load_default=dict,
        metadata={"description": "Config file name to {property: value} overrides."},
    )


class ServiceSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    display_name = fields.String()
    cluster = fields.String()
    state = fields.String(metadata={"description": "What the last job made of the service: INSTALLING, INSTALLED, INSTALL_FAILED or REMOVING."})
    status = fields.String(metadata={"description": "Live status of its server components as the agents report it: RUNNING, STOPPED, PARTIAL or UNKNOWN."})
    config_version = fields.Integer()
    components = fields.List(fields.Dict())
    custom_commands = fields.List(fields.Dict())
    restart_required = fields.Boolean()


class ActionSchema(StrictSchema):
    action = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$", error="action must be a command name such as start, stop, restart or check"))
    parameters = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z][A-Za-z0-9_]{0,63}$", error="parameter names are identifiers that start with a lowercase letter")),
        values=fields.Raw(),
        load_default=dict,
        metadata={"description": "Variables a custom command reads, named <service>_<name>, for example {\"hdfs_decommission_hosts\": [\"node-03\"]}. Values are passed as data, never as templates."},
    )


class ClusterActionSchema(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(["start", "stop", "restart"]))


class ConfigChangeSchema(StrictSchema):
    configs = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=128))),
        required=True,
    )
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class ConfigVersionSchema(ResponseSchema):
    version = fields.Integer()
    author = fields.String()
    message = fields.String()
    created_at = UtcDateTime()
    configs = fields.Dict()
    current = fields.Boolean()


class ConfigDiffSchema(ResponseSchema):
    from_version = fields.Integer()
    to_version = fields.Integer()
    changes = fields.List(fields.Dict())


class RevertSchema(StrictSchema):
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_VERSION))
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class ApplySchema(StrictSchema):
    batch_size = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    pause_seconds = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=3600),
        metadata={"description": "Seconds to wait after a batch has started before stopping the next batch."},
    )


# Jobs

class TaskSchema(ResponseSchema):
    id = fields.Integer()
    host = fields.String()
    state = fields.String()
    attempt = fields.Integer()
    return_code = fields.Integer(allow_none=True)
    message = fields.String()
    summary = fields.Dict()
    log_lines = fields.Integer()
    started_at = UtcDateTime(allow_none=True)
    ended_at = UtcDateTime(allow_none=True)


class StageSchema(ResponseSchema):
    id = fields.Integer()
    position = fields.Integer()
    name = fields.String()
    service = fields.String()
    component = fields.String()
    command = fields.String()
    depends_on = fields.List(fields.Integer())
    state = fields.String()
    started_at = UtcDateTime(allow_none=True)
    ended_at = UtcDateTime(allow_none=True)
    tasks = fields.List(fields.Nested(TaskSchema))


class JobSchema(ResponseSchema):
    id = fields.Integer()
    cluster = fields.String()
    name = fields.String()
    kind = fields.String()
    state = fields.String()
    message = fields.String()
    created_by = fields.String()
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    ended_at = UtcDateTime(allow_none=True)
    queue_position = fields.Integer(allow_none=True)
    progress = fields.Float()
    stages = fields.List(fields.Nested(StageSchema))


class JobQuerySchema(StrictSchema):
    cluster = fields.String(validate=validate.Length(max=64))
    state = fields.String(validate=validate.OneOf(["PENDING", "RUNNING", "SUCCESSFUL", "FAILED", "CANCELED"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class LogQuerySchema(StrictSchema):
    follow = fields.Boolean(load_default=False)
    access_token = fields.String(validate=validate.Length(max=200))


class AuditRecordSchema(ResponseSchema):
    id = fields.Integer()
    created_at = UtcDateTime()
    username = fields.String()
    address = fields.String()
    method = fields.String()
    route = fields.String()
    target = fields.String()
    status = fields.Integer()


class AuditQuerySchema(StrictSchema):
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=5000))
