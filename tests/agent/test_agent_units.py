"""Agent pieces that need no server: role unpacking, text cleaning, outbox and probes."""

from __future__ import annotations

import io
import os
import tarfile

import pytest
from conftest import make_role_archive

from agent.errors import RoleArchiveError
from agent.outbox import Outbox
from agent.probes import ComponentProbe
from agent.runner import SecretMasker, to_valid_utf8
from agent.workspace import parse_variables, unpack_role
from stackyard.v1 import agent_pb2


def _archive_with(member: tarfile.TarInfo, data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def test_unpack_role_rejects_escaping_member(tmp_path):
    archive = _archive_with(tarfile.TarInfo("../escaped.yml"), b"x")

    with pytest.raises(RoleArchiveError, match="outside the role folder"):
        unpack_role(archive, tmp_path / "roles" / "demo")

    assert not (tmp_path / "roles" / "escaped.yml").exists()


def test_unpack_role_rejects_symlink(tmp_path):
    link = tarfile.TarInfo("tasks")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc"

    with pytest.raises(RoleArchiveError, match="link or device"):
        unpack_role(_archive_with(link), tmp_path / "roles" / "demo")


def test_unpack_role_strips_top_folder(tmp_path):
    archive = make_role_archive("- debug: msg=hi\n", top_folder="infra_demo")

    unpack_role(archive, tmp_path / "roles" / "demo")

    assert (
        tmp_path / "roles" / "demo" / "tasks" / "main.yml"
    ).read_text() == "- debug: msg=hi\n"


def test_parse_variables_overrides_root(tmp_path):
    variables = parse_variables(
        '{"stackyard_root_dir": "/var/lib/stackyard", "a": 1}', tmp_path
    )

    assert variables == {"stackyard_root_dir": str(tmp_path), "a": 1}


def test_to_valid_utf8_replaces_surrogates():
    escaped = b"bad \xff bytes".decode("utf-8", errors="surrogateescape")

    assert to_valid_utf8(escaped) == "bad \ufffd bytes"
    assert to_valid_utf8("lone \ud800") == "lone ?"
    assert to_valid_utf8("plain") == "plain"


def test_secret_masker_masks_longest_first():
    masker = SecretMasker(["pass", "password1", ""])

    assert masker.mask("password1 and pass") == "******** and ********"


def test_outbox_roundtrip(tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    result = agent_pb2.TaskResult(
        task_id=12,
        state="FAILED",
        return_code=2,
        message="m",
        summary_json="{}",
        line_count=3,
    )

    outbox.put(result)

    assert outbox.task_ids() == [12]
    assert outbox.get(12) == result
    assert oct((tmp_path / "outbox" / "12.json").stat().st_mode & 0o777) == "0o600"
    assert outbox.remove(12) is True
    assert outbox.results() == []


def test_probe_reports_pid_states(tmp_path):
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    (root / "run" / "alive.pid").write_text(f"{os.getpid()}\n")
    (root / "run" / "dead.pid").write_text("999999999\n")
    (root / "run" / "garbage.pid").write_text("not a pid\n")
    probe = ComponentProbe(tmp_path / "state.json")
    probe.remember(root, "demo", "alive")

    statuses = {
        status.component: (status.service, status.state)
        for status in ComponentProbe(tmp_path / "state.json").statuses()
    }

    assert statuses == {
        "alive": ("demo", "RUNNING"),
        "dead": ("", "STOPPED"),
        "garbage": ("", "UNKNOWN"),
    }
