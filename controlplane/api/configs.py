"""Configuration of a service: versions, change, diff, revert and a rolling apply."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from controlplane.api.clusters import get_cluster
from controlplane.api.jobs_view import job_view
from controlplane.api.schemas import MAX_VERSION, ApplySchema, ConfigChangeSchema, ConfigDiffSchema, ConfigVersionSchema, JobSchema, RevertSchema
from controlplane.api.services import get_service, stack_of
from controlplane.auth.policy import requires
from controlplane.configs import create_version, current_version, diff_values, masked, merge_values, read_values, secret_keys
from controlplane.context import server_context
from controlplane.db import database
from controlplane.errors import BadRequestError, ConflictError, NotFoundError
from controlplane.jobs import requests
from controlplane.jobs.planner import create_job
from controlplane.models import ConfigVersion
from controlplane.stacks import PropertyError

URL_PREFIX = "/clusters"
blp = Blueprint("configs", __name__, description="Configuration versions of a service")


class DiffQuerySchema(Schema):
    from_version = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1, max=MAX_VERSION))
    to_version = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1, max=MAX_VERSION))


def _version(service, number: int) -> ConfigVersion:
    version = ConfigVersion.get_or_none((ConfigVersion.service == service) & (ConfigVersion.version == number))
    if version is None:
        raise NotFoundError(f"service {service.name!r} has no configuration version {number}", field="version")
    return version


def _version_view(context, definition, version: ConfigVersion, current: int) -> dict:
    return {
        "version": version.version,
        "author": version.author,
        "message": version.message,
        "created_at": version.created_at,
        "configs": masked(read_values(context, version), secret_keys(definition)),
        "current": version.version == current,
    }


def _service_and_definition(cluster_name: str, service_name: str):
    cluster = get_cluster(cluster_name)
    service = get_service(cluster, service_name)
    return cluster, service, stack_of(cluster).services[service.name]


@blp.route("/<string:cluster_name>/services/<string:service_name>/configs")
class Configs(MethodView):
    @requires("viewer")
    @blp.response(200, ConfigVersionSchema(many=True))
    def get(self, cluster_name, service_name):
        """List configuration versions, newest first; password values are masked."""
        context = server_context()
        _, service, definition = _service_and_definition(cluster_name, service_name)
        latest = current_version(service)
        versions = ConfigVersion.select().where(ConfigVersion.service == service).order_by(ConfigVersion.version.desc())
        return [_version_view(context, definition, version, latest.version if latest else 0) for version in versions]

    @requires("operator")
    @blp.arguments(ConfigChangeSchema)
    @blp.response(201, ConfigVersionSchema)
    def post(self, body, cluster_name, service_name):
        """Change properties: creates a new version; apply it to restart the components that need it."""
        context = server_context()
        _, service, definition = _service_and_definition(cluster_name, service_name)
        with database.atomic():
            latest = current_version(service)
            base = read_values(context, latest) if latest else definition.default_values()
            try:
                values = definition.validate_values(merge_values(base, body["configs"]))
            except PropertyError as error:
                raise BadRequestError(str(error), field="configs") from None
            if latest is not None and values == base:
                raise BadRequestError(f"configs: no property differs from the current version {latest.version}; nothing to save", field="configs")
            version = create_version(context, service, values, g.user.username, body["message"])
        return _version_view(context, definition, version, version.version)


@blp.route("/<string:cluster_name>/services/<string:service_name>/configs/<int:number>")
class ConfigByVersion(MethodView):
    @requires("viewer")
    @blp.response(200, ConfigVersionSchema)
    def get(self, cluster_name, service_name, number):
        """Get one configuration version."""
        context = server_context()
        _, service, definition = _service_and_definition(cluster_name, service_name)
        latest = current_version(service)
        return _version_view(context, definition, _version(service, number), latest.version if latest else 0)


@blp.route("/<string:cluster_name>/services/<string:service_name>/configs/diff")
class ConfigDiff(MethodView):
    @requires("viewer")
    @blp.arguments(DiffQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ConfigDiffSchema)
    def get(self, query, cluster_name, service_name):
        """Compare two versions property by property (?from=1&to=2)."""
        context = server_context()
        _, service, definition = _service_and_definition(cluster_name, service_name)
        old = read_values(context, _version(service, query["from_version"]))
        new = read_values(context, _version(service, query["to_version"]))
        return {"from_version": query["from_version"], "to_version": query["to_version"], "changes": diff_values(old, new, secret_keys(definition))}


@blp.route("/<string:cluster_name>/services/<string:service_name>/configs/revert")
class ConfigRevert(MethodView):
    @requires("operator")
    @blp.arguments(RevertSchema)
    @blp.response(201, ConfigVersionSchema)
    def post(self, body, cluster_name, service_name):
        """Revert to an older version by creating a new version equal to it."""
        context = server_context()
        _, service, definition = _service_and_definition(cluster_name, service_name)
        with database.atomic():
            old = _version(service, body["version"])
            latest = current_version(service)
            if read_values(context, old) == read_values(context, latest):
                raise ConflictError(f"version {old.version} has the same values as the current version {latest.version}; nothing to revert")
            message = body["message"] or f"revert to version {old.version}"
            version = create_version(context, service, read_values(context, old), g.user.username, message)
        return _version_view(context, definition, version, version.version)


@blp.route("/<string:cluster_name>/services/<string:service_name>/configs/apply")
class ConfigApply(MethodView):
    @requires("operator")
    @blp.arguments(ApplySchema)
    @blp.response(202, JobSchema)
    def post(self, body, cluster_name, service_name):
        """Write the current configuration to every host, then restart the servers batch by batch (a rolling restart)."""
        cluster, service, definition = _service_and_definition(cluster_name, service_name)
        stack = stack_of(cluster)
        version = current_version(service)
        stages = requests.apply_config_stages(stack, definition, requests.placement(service), body["batch_size"])
        job = create_job(
            cluster,
            f"Apply configuration version {version.version} of {service.name}",
            "apply_config",
            stages,
            g.user.username,
            params={"service": service.name, "config_versions": {service.name: version.version}, "batch_size": body["batch_size"], "pause_seconds": body["pause_seconds"]},
        )
        return job_view(job)
