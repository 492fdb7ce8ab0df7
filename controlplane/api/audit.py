"""The audit log: every request that changed state, for admins."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from controlplane.api.schemas import AuditQuerySchema, AuditRecordSchema
from controlplane.auth.policy import requires
from controlplane.models import AuditRecord

URL_PREFIX = "/audit"
blp = Blueprint("audit", __name__, description="Audit log of state-changing requests (admin only)")


@blp.route("")
class Audit(MethodView):
    @requires("admin")
    @blp.arguments(AuditQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, AuditRecordSchema(many=True))
    def get(self, query):
        """List audit records, newest first."""
        return list(AuditRecord.select().order_by(AuditRecord.id.desc()).limit(query["limit"]))
