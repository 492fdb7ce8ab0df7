"""A server started with broken stacks lists each problem with its file and keeps serving the valid stacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.catalogue.conftest import EXAMPLE_STACKS
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.e2e


def _copy_example(root: Path, stack_name: str) -> Path:
    """Copy the example stack to ``root/<stack_name>/1.0`` under a new name; return the hello service folder."""
    folder = root / stack_name / "1.0"
    shutil.copytree(EXAMPLE_STACKS / "example" / "1.0", folder)
    stack_file = folder / "stack.yaml"
    stack_file.write_text(stack_file.read_text().replace("name: example", f"name: {stack_name}"))
    return folder / "services" / "hello"


def _edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def _missing_template(service: Path) -> tuple[Path, str]:
    config = service / "configs" / "index.html.yaml"
    _edit_yaml(config, lambda data: data.update(template="missing.html.j2"))
    return config, "template 'missing.html.j2' not found"


def _unknown_type(service: Path) -> tuple[Path, str]:
    config = service / "configs" / "index.html.yaml"
    _edit_yaml(config, lambda data: data["properties"]["port"].update(type="float"))
    return config, "unknown property type 'float'"


def _bad_cardinality(service: Path) -> tuple[Path, str]:
    _edit_yaml(service / "service.yaml", lambda data: data["components"]["hello_server"].update(cardinality="one or two"))
    return service / "service.yaml", "invalid cardinality 'one or two'"


def _unknown_requires(service: Path) -> tuple[Path, str]:
    _edit_yaml(service / "service.yaml", lambda data: data.update(requires=["no_such_service"]))
    return service / "service.yaml", "requires unknown service 'no_such_service'"


def _ordering_cycle(service: Path) -> tuple[Path, str]:
    stack_file = service.parents[1] / "stack.yaml"
    _edit_yaml(stack_file, lambda data: data.update(ordering={"hello_server-START": ["hello_server-STOP"], "hello_server-STOP": ["hello_server-START"]}))
    return stack_file, "ordering cycle"


BREAKAGES = {
    "badtemplate": _missing_template,
    "badtype": _unknown_type,
    "badcardinality": _bad_cardinality,
    "badrequires": _unknown_requires,
    "badcycle": _ordering_cycle,
}


@pytest.fixture(scope="module")
def broken_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad-stacks")
    stacks = base / "stacks"
    expected = {}
    for name, breakage in BREAKAGES.items():
        expected[name] = breakage(_copy_example(stacks, name))
    _copy_example(stacks, "goodcopy")
    server = ServerProcess(home=base / "server", extra_args=["--stack-dir", str(stacks)]).start()
    yield server, expected
    server.stop()


@pytest.mark.parametrize("stack_name", sorted(BREAKAGES))
def test_bad_stack_listed_with_file_and_problem(broken_server, stack_name):
    server, expected = broken_server
    catalogue = server.client().get("/stacks")
    path, problem = expected[stack_name]

    matching = [error for error in catalogue["errors"] if str(path.resolve()) in error]
    assert len(matching) == 1, catalogue["errors"]
    assert problem in matching[0]
    assert stack_name not in {stack["name"] for stack in catalogue["stacks"]}


def test_valid_stacks_still_served(broken_server, cluster_name):
    server, _ = broken_server
    admin = server.client()
    catalogue = admin.get("/stacks")

    assert {stack["name"] for stack in catalogue["stacks"]} >= {"bigtop", "infra", "goodcopy"}
    assert len(catalogue["errors"]) == len(BREAKAGES)
    assert admin.get("/stacks/goodcopy/1.0")["services"][0]["name"] == "hello"
    created = admin.post("/clusters", {"name": cluster_name, "stack_name": "goodcopy", "stack_version": "1.0"})
    assert created["name"] == cluster_name
