"""Operations advice for a failed job and for a cluster."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from controlplane.api.clusters import get_cluster
from controlplane.api.jobs import get_job
from controlplane.assistant.advisor import cluster_findings, job_findings
from controlplane.auth.policy import requires
from controlplane.context import server_context

URL_PREFIX = ""
blp = Blueprint("assistant", __name__, description="Operations advice from cluster state and task logs")


class AdviceSchema(Schema):
    findings = fields.List(fields.Dict())
    summary = fields.String(allow_none=True, metadata={"description": "Model-written summary; null unless the server runs with --assistant-model"})


def _summary(findings: list[dict]) -> str | None:
    model = server_context().extras.get("assistant_model")
    return model.summarize(findings) if model is not None else None


@blp.route("/jobs/<int:job_id>/advice")
class JobAdvice(MethodView):
    @requires("viewer")
    @blp.response(200, AdviceSchema)
    def get(self, job_id):
        """Explain why a job's tasks failed and what to do, from their messages and logs."""
        findings = job_findings(get_job(job_id), server_context().extras["logs"])
        return {"findings": findings, "summary": _summary(findings)}


@blp.route("/clusters/<string:name>/advice")
class ClusterAdvice(MethodView):
    @requires("viewer")
    @blp.response(200, AdviceSchema)
    def get(self, name):
        """List problems in a cluster's state: disconnected agents, full disks, components down, a failed last job."""
        findings = cluster_findings(get_cluster(name))
        return {"findings": findings, "summary": _summary(findings)}
