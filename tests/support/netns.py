"""Test hosts as Linux network namespaces on a bridge in 198.18.0.0/24, a range reserved for tests.

The root namespace gets the bridge ``sybr0`` with 198.18.0.1/24. Host i is the namespace
``sy-<run>-<i>`` with address 198.18.0.(10+i), joined to the bridge by a veth pair.
``ip netns exec`` bind-mounts ``/etc/netns/<namespace>/hosts`` over ``/etc/hosts``, so each
host resolves every test hostname without changes to the machine's own /etc/hosts.
Everything is removed by ``NamespaceNetwork.close()``, also after a failed setup.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BRIDGE = "sybr0"
NETWORK = ipaddress.ip_network("198.18.0.0/24")
SERVER_ADDRESS = "198.18.0.1"
FIRST_HOST_OFFSET = 10
NETNS_CONFIG = Path("/etc/netns")


def netns_unavailable_reason() -> str | None:
    """Return why namespaces cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespace hosts need root"
    if shutil.which("ip") is None:
        return "network namespace hosts need the ip command (Debian package iproute2)"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


@dataclass
class NamespaceHost:
    hostname: str
    namespace: str
    address: str
    veth_host: str

    @property
    def wrapper(self) -> list[str]:
        return ["ip", "netns", "exec", self.namespace]

    def run(self, *command: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([*self.wrapper, *command], capture_output=True, text=True, timeout=timeout)


@dataclass
class NamespaceNetwork:
    count: int
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:4])
    hosts: list[NamespaceHost] = field(default_factory=list)
    _created_bridge: bool = False

    def open(self) -> NamespaceNetwork:
        try:
            self._create_bridge()
            for index in range(1, self.count + 1):
                self.hosts.append(self._create_host(index))
            self._write_hosts_files()
        except BaseException:
            self.close()
            raise
        return self

    def _create_bridge(self) -> None:
        if _ip("link", "show", BRIDGE, check=False).returncode == 0:
            raise RuntimeError(f"bridge {BRIDGE} already exists; another test network is open or was left behind: remove it with 'ip link del {BRIDGE}'")
        _ip("link", "add", BRIDGE, "type", "bridge")
        self._created_bridge = True
        # Bridged frames skip iptables, so a host firewall's FORWARD policy cannot drop them.
        _ip("link", "set", BRIDGE, "type", "bridge", "nf_call_iptables", "0", check=False)
        _ip("addr", "add", f"{SERVER_ADDRESS}/{NETWORK.prefixlen}", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")

    def _create_host(self, index: int) -> NamespaceHost:
        namespace = f"sy-{self.run_id}-{index}"
        host = NamespaceHost(
            hostname=f"node{index}.sy-{self.run_id}.test",
            namespace=namespace,
            address=str(NETWORK.network_address + FIRST_HOST_OFFSET + index),
            veth_host=f"syv{self.run_id}{index}",
        )
        _ip("netns", "add", namespace)
        self.hosts.append(host)
        _ip("link", "add", host.veth_host, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        _ip("link", "set", host.veth_host, "master", BRIDGE, "up")
        _ip("-n", namespace, "addr", "add", f"{host.address}/{NETWORK.prefixlen}", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        self.hosts.remove(host)
        return host

    def _write_hosts_files(self) -> None:
        lines = ["127.0.0.1 localhost", f"{SERVER_ADDRESS} server.sy-{self.run_id}.test"]
        lines += [f"{host.address} {host.hostname}" for host in self.hosts]
        for host in self.hosts:
            folder = NETNS_CONFIG / host.namespace
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "hosts").write_text("\n".join(lines) + "\n")

    def close(self) -> None:
        """Delete the namespaces, their veth pairs, their /etc/netns folders and the bridge."""
        for host in self.hosts:
            _ip("netns", "delete", host.namespace, check=False)
            _ip("link", "del", host.veth_host, check=False)
            shutil.rmtree(NETNS_CONFIG / host.namespace, ignore_errors=True)
        self.hosts.clear()
        if NETNS_CONFIG.is_dir() and not any(NETNS_CONFIG.iterdir()):
            NETNS_CONFIG.rmdir()
        if self._created_bridge:
            _ip("link", "del", BRIDGE, check=False)
            self._created_bridge = False
