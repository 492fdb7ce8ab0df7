"""Package repositories of a cluster: API validation and the APT sources the role renders from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.catalogue.conftest import api_error

pytestmark = pytest.mark.e2e

GOOD = {"name": "local-debs", "kind": "apt", "url": "file:///srv/debs", "distribution": "bookworm main contrib", "gpg_key_url": ""}

BAD_REPOSITORIES = [
    ("bad kind", [{**GOOD, "kind": "zypper"}], "kind"),
    ("bad url scheme", [{**GOOD, "url": "ftp://mirror.invalid/debian"}], "url"),
    ("url with a space", [{**GOOD, "url": "http://mirror.invalid/deb ian"}], "url"),
    ("missing url", [{key: value for key, value in GOOD.items() if key != "url"}], "url"),
    ("bad gpg key url", [{**GOOD, "gpg_key_url": "key.asc"}], "gpg_key_url"),
    ("duplicate name", [GOOD, {**GOOD, "url": "file:///srv/other"}], "repositories"),
]


def test_repositories_reject_bad_entries(admin, cluster_name):
    admin.post("/clusters", {"name": cluster_name})
    saved = admin.put(f"/clusters/{cluster_name}/repositories", {"repositories": [GOOD]})
    assert saved["repositories"] == [GOOD]

    for case, repositories, field in BAD_REPOSITORIES:
        status, body = api_error(admin, "PUT", f"/clusters/{cluster_name}/repositories", {"repositories": repositories})
        assert status == 400, case
        assert field in body["message"], f"{case}: {body}"
        assert admin.get(f"/clusters/{cluster_name}/repositories")["repositories"] == [GOOD], case


def test_role_renders_apt_sources(admin, cluster_name, tmp_path):
    flat = {"name": "flat", "kind": "apt", "url": "file:///srv/flat", "distribution": "./", "gpg_key_url": ""}
    tarballs = {"name": "tarballs", "kind": "tarball", "url": "https://downloads.invalid/", "distribution": "", "gpg_key_url": ""}
    admin.post("/clusters", {"name": cluster_name})
    admin.put(f"/clusters/{cluster_name}/repositories", {"repositories": [GOOD, flat, tarballs]})
    inventory = yaml.safe_load(admin.get(f"/clusters/{cluster_name}/inventory").replace("!unsafe ", ""))
    repositories = inventory["all"]["vars"]["stackyard_repositories"]

    out = tmp_path / "built"
    build = subprocess.run([sys.executable, "-m", "stackyard.cli", "stacks", "build", str(out)], capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    tasks = out / "roles" / "bigtop_zookeeper" / "tasks"
    package_steps = [task["name"] for task in yaml.safe_load((tasks / "stackyard_packages.yml").read_text())]
    assert package_steps.index("Add the cluster package repositories") < package_steps.index("Install the service packages")

    # --check renders each .sources file without writing to /etc/apt.
    rendered = tmp_path / "rendered.txt"
    playbook = tmp_path / "repositories.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {"ansible.builtin.include_tasks": str(tasks / "stackyard_repositories.yml"), "vars": {"ansible_facts": {"os_family": "Debian"}}},
                        {
                            "ansible.builtin.copy": {"content": "{{ stackyard_apt_repositories.results | map(attribute='repo') | join('===') }}", "dest": str(rendered)},
                            "check_mode": False,
                        },
                    ],
                }
            ]
        )
    )
    variables = tmp_path / "variables.yml"
    variables.write_text(yaml.safe_dump({"stackyard_repositories": repositories, "ansible_python_interpreter": sys.executable}))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "--check", "-i", "localhost,", "-c", "local", "-e", f"@{variables}", str(playbook)],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]

    sources = rendered.read_text().split("===")
    assert len(sources) == 2
    assert "URIs: file:///srv/debs\n" in sources[0]
    assert "Suites: bookworm\n" in sources[0]
    assert "Components: main contrib\n" in sources[0]
    assert "URIs: file:///srv/flat\n" in sources[1]
    assert "Suites: ./\n" in sources[1]
    assert "Components" not in sources[1]
    assert "downloads.invalid" not in rendered.read_text()
    assert not Path("/etc/apt/sources.list.d/local-debs.sources").exists()
