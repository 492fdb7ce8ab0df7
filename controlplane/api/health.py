"""Health of the server process."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from controlplane.auth.policy import PUBLIC, requires
from controlplane.context import server_context

URL_PREFIX = "/health"
blp = Blueprint("health", __name__, description="Server health")


class HealthSchema(Schema):
    status = fields.String()
    version = fields.String()
    agents_connected = fields.Integer()


@blp.route("")
class Health(MethodView):
    @requires(PUBLIC)
    @blp.response(200, HealthSchema)
    @blp.doc(security=[])
    def get(self):
        """Return "ok" while the server runs; needs no token."""
        from controlplane import __version__

        return {"status": "ok", "version": __version__, "agents_connected": len(server_context().agents.hostnames())}
