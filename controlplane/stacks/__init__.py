"""Stack catalogue: service definitions, property types and the role compiler."""

from controlplane.stacks.compiler import build_catalogue, build_role, build_stack, role_archive, version_key
from controlplane.stacks.errors import PropertyError, StackError
from controlplane.stacks.loader import load_catalogue, load_stack
from controlplane.stacks.model import (
    Catalogue,
    CommandDef,
    ComponentDef,
    ConfigFileDef,
    OrderingRule,
    ServiceDef,
    Stack,
)
from controlplane.stacks.properties import PROPERTY_TYPES, Property, variable_name

__all__ = [
    "PROPERTY_TYPES",
    "Catalogue",
    "CommandDef",
    "ComponentDef",
    "ConfigFileDef",
    "OrderingRule",
    "Property",
    "PropertyError",
    "ServiceDef",
    "Stack",
    "StackError",
    "build_catalogue",
    "build_role",
    "build_stack",
    "load_catalogue",
    "load_stack",
    "role_archive",
    "variable_name",
    "version_key",
]
