"""The stack catalogue: stacks, their services, components, cardinality and config properties."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.api.schemas import StackListSchema, StackSummarySchema
from controlplane.auth.policy import requires
from controlplane.context import server_context
from controlplane.errors import NotFoundError
from controlplane.jobs.requests import custom_commands

URL_PREFIX = "/stacks"
blp = Blueprint("stacks", __name__, description="The catalogue of stacks and services")


def _property_view(prop) -> dict:
    view = {"name": prop.name, "type": prop.type, "description": prop.description}
    view["default"] = None if prop.type == "password" else prop.default
    for attribute in ("minimum", "maximum", "choices", "required"):
        value = getattr(prop, attribute, None)
        if value is not None:
            view[attribute] = value
    return view


def service_summary(definition) -> dict:
    return {
        "name": definition.name,
        "display_name": definition.display_name,
        "version": definition.version,
        "description": definition.description,
        "requires": list(definition.requires),
        "components": [
            {
                "name": component.name,
                "display_name": getattr(component, "display_name", component.name),
                "category": component.category,
                "cardinality": component.cardinality,
                "custom_commands": sorted(custom_commands(definition, component.name)),
            }
            for component in definition.components.values()
        ],
        "configs": [
            {"file": name, "properties": [_property_view(prop) for prop in config.properties.values()]}
            for name, config in definition.configs.items()
        ],
    }


def stack_view(stack) -> dict:
    return {"name": stack.name, "version": stack.version, "services": [service_summary(item) for item in stack.services.values()]}


@blp.route("")
class Stacks(MethodView):
    @requires("viewer")
    @blp.response(200, StackListSchema)
    def get(self):
        """List every loaded stack with its services, and the stacks that failed to load with the reason."""
        catalogue = server_context().catalogue
        return {"stacks": [stack_view(catalogue.stacks[key]) for key in sorted(catalogue.stacks)], "errors": list(catalogue.errors)}


@blp.route("/<string:name>/<string:version>")
class StackByName(MethodView):
    @requires("viewer")
    @blp.response(200, StackSummarySchema)
    def get(self, name, version):
        """Get one stack."""
        try:
            return stack_view(server_context().catalogue.get(name, version))
        except KeyError:
            raise NotFoundError(f"stack {name}/{version} is not in the catalogue") from None
