"""Entry points of the agent process: ``run_agent(config)`` and the ``main(argv)`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import threading
import uuid
from importlib import metadata
from pathlib import Path

import agent  # noqa: F401 - sets GRPC_ENABLE_FORK_SUPPORT before grpc is imported
from agent.config import (
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_SERVER,
    AgentConfig,
    default_home,
)
from agent.connection import Connection
from agent.errors import ConfigError
from agent.metrics import MetricsReader, memory_total_bytes, read_os_release
from agent.outbox import Outbox
from agent.probes import ComponentProbe
from agent.runner import TaskRun, wait_for_runs
from stackyard.v1 import agent_pb2

logger = logging.getLogger(__name__)

# How long a stopping agent waits for canceled tasks to end and for their results to be sent.
STOP_TASKS_TIMEOUT_SECONDS = 10.0
STOP_FLUSH_TIMEOUT_SECONDS = 2.0


def agent_version() -> str:
    try:
        return metadata.version("stackyard")
    except metadata.PackageNotFoundError:
        return "unknown"


class Agent:
    """One agent process: the server stream, the running tasks, the outbox and the probes."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.boot_id = uuid.uuid4().hex
        config.home.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(config.outbox_dir)
        self.probe = ComponentProbe(config.state_file)
        self.metrics = MetricsReader()
        self.runs: dict[int, TaskRun] = {}
        self._runs_lock = threading.Lock()
        self.connection = Connection(
            config,
            self.outbox,
            self.build_register,
            self.build_heartbeat,
            self.handle_message,
        )

    def running_task_ids(self) -> list[int]:
        with self._runs_lock:
            return sorted(
                task_id
                for task_id, run in self.runs.items()
                if not run.finished.is_set()
            )

    def build_register(self) -> agent_pb2.Register:
        os_family, os_release = read_os_release()
        return agent_pb2.Register(
            hostname=self.config.hostname,
            ip_address=self.config.ip_address,
            os_family=os_family,
            os_release=os_release,
            agent_version=agent_version(),
            cpu_count=os.cpu_count() or 0,
            memory_bytes=memory_total_bytes(),
            boot_id=self.boot_id,
            running_task_ids=self.running_task_ids(),
        )

    def build_heartbeat(self) -> agent_pb2.Heartbeat:
        metrics = self.metrics.read()
        return agent_pb2.Heartbeat(
            load_1m=metrics.load_1m,
            cpu_percent=metrics.cpu_percent,
            memory_used_bytes=metrics.memory_used_bytes,
            memory_total_bytes=metrics.memory_total_bytes,
            disk_used_bytes=metrics.disk_used_bytes,
            disk_total_bytes=metrics.disk_total_bytes,
            components=self.probe.statuses(),
            running_task_ids=self.running_task_ids(),
        )

    async def handle_message(self, message: agent_pb2.ServerMessage) -> None:
        body = message.WhichOneof("body")
        if body == "assignment":
            self.start_task(message.assignment)
        elif body == "cancel":
            await self.cancel_task(message.cancel.task_id, message.cancel.reason)
        elif body == "result_ack" and self.outbox.remove(message.result_ack.task_id):
            logger.info(
                "server acknowledged the result of task %s", message.result_ack.task_id
            )

    def start_task(self, assignment: agent_pb2.TaskAssignment) -> None:
        with self._runs_lock:
            current = self.runs.get(assignment.task_id)
            if current is not None and not current.finished.is_set():
                logger.warning(
                    "job=%s task=%s host=%s: assignment ignored because the task is already running",
                    assignment.job_id,
                    assignment.task_id,
                    self.config.hostname,
                )
                return
            self.outbox.remove(assignment.task_id)
            self.connection.forget_sent_result(assignment.task_id)
            run = TaskRun(
                assignment,
                self.config,
                self.boot_id,
                self.outbox,
                self.probe,
                self.connection.send_threadsafe,
                self.connection.result_stored_threadsafe,
            )
            self.runs[assignment.task_id] = run
        run.start()

    async def cancel_task(self, task_id: int, reason: str) -> None:
        with self._runs_lock:
            run = self.runs.get(task_id)
        if run is None or run.finished.is_set():
            logger.info(
                "task=%s host=%s: cancel ignored because the task is not running",
                task_id,
                self.config.hostname,
            )
            return
        # Killing the process tree takes up to a few seconds, so it runs outside the event loop.
        asyncio.get_running_loop().run_in_executor(None, run.cancel, reason)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set, SIGTERM or SIGINT arrives, then stop the tasks and the stream."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)

        logger.info(
            "agent starting: host %s, server %s, home %s",
            self.config.hostname,
            self.config.server,
            self.config.home,
        )
        connection_task = asyncio.create_task(self.connection.run())
        stop_task = asyncio.create_task(stop.wait())
        await asyncio.wait(
            {connection_task, stop_task}, return_when=asyncio.FIRST_COMPLETED
        )

        logger.info("agent stopping")
        await self.stop_tasks()
        await self.connection.flush(STOP_FLUSH_TIMEOUT_SECONDS)
        self.connection.stop()
        await asyncio.gather(connection_task, return_exceptions=True)
        stop_task.cancel()
        logger.info("agent stopped")

    async def stop_tasks(self) -> None:
        with self._runs_lock:
            runs = [run for run in self.runs.values() if not run.finished.is_set()]
        if not runs:
            return
        await asyncio.gather(
            *(asyncio.to_thread(run.cancel, "agent stopping") for run in runs)
        )
        await asyncio.to_thread(wait_for_runs, runs, STOP_TASKS_TIMEOUT_SECONDS)


def run_agent(config: AgentConfig) -> None:
    """Run the agent until SIGTERM or SIGINT; call it from the main thread."""
    asyncio.run(Agent(config).run())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stackyard agent", description="Run the Stackyard agent on this host."
    )
    parser.add_argument(
        "--server",
        default=DEFAULT_SERVER,
        help=f"server address as host:port (default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help=f"agent folder for tasks, outbox and state (default {default_home()})",
    )
    parser.add_argument(
        "--hostname",
        default=None,
        help="name of this host as the cluster knows it (default: the FQDN)",
    )
    parser.add_argument(
        "--ip-address",
        default="",
        help="IP address reported to the server (default: the address the hostname resolves to)",
    )
    parser.add_argument(
        "--service-root",
        type=Path,
        default=None,
        help="folder that replaces the stackyard_root_dir variable of every task",
    )
    parser.add_argument(
        "--heartbeat-interval",
        type=float,
        default=DEFAULT_HEARTBEAT_INTERVAL,
        help=f"seconds between heartbeats (default {DEFAULT_HEARTBEAT_INTERVAL:g})",
    )
    parser.add_argument(
        "--ca-cert",
        type=Path,
        default=None,
        help="PEM file of the server's CA; enables TLS",
    )
    parser.add_argument(
        "--registration-token",
        default=None,
        help="one-time token to enrol this host when it has no credential yet",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="logging level (default INFO)"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> AgentConfig:
    kwargs = {
        "server": args.server,
        "ip_address": args.ip_address,
        "service_root": args.service_root,
        "heartbeat_interval": args.heartbeat_interval,
        "ca_cert": args.ca_cert,
        "registration_token": args.registration_token,
    }
    if args.home is not None:
        kwargs["home"] = args.home
    if args.hostname:
        kwargs["hostname"] = args.hostname
    return AgentConfig(**kwargs)


def main(argv: list[str] | None = None) -> int:
    """Parse the agent's options, then run it until SIGTERM or SIGINT; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        config = config_from_args(args)
    except ConfigError as error:
        parser.error(str(error))
    run_agent(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
