"""The server process: database, stack catalogue, gRPC endpoint, scheduler and the HTTP API."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import sys
import threading
from datetime import timedelta

import grpc
from apscheduler.schedulers.background import BackgroundScheduler
from waitress.server import create_server

from controlplane.agents.pki import ensure_server_certificates
from controlplane.app import create_app
from controlplane.assistant.advisor import SummaryModel
from controlplane.auth.throttle import purge_old_failures
from controlplane.config import ServerConfig
from controlplane.context import ServerContext
from controlplane.db import database, open_database
from controlplane.jobs import planner
from controlplane.jobs.dispatch import MAX_MESSAGE_BYTES, AgentRegistry, AgentService
from controlplane.jobs.logs import TaskLogStore
from controlplane.jobs.scheduler import Scheduler
from controlplane.models import Host, HostComponent, User, utcnow
from controlplane.secrets_store import KeyStore, hash_password
from controlplane.stacks import load_catalogue
from stackyard.v1 import agent_pb2_grpc

logger = logging.getLogger(__name__)

ADMIN_PASSWORD_VARIABLE = "STACKYARD_ADMIN_PASSWORD"


def ensure_admin_user() -> None:
    """Create the ``admin`` user at first start, with $STACKYARD_ADMIN_PASSWORD or a random password printed once."""
    if User.select().count():
        return
    password = os.environ.get(ADMIN_PASSWORD_VARIABLE) or secrets.token_urlsafe(12)
    User.create(username="admin", password_hash=hash_password(password), role="admin")
    if os.environ.get(ADMIN_PASSWORD_VARIABLE):
        print(f"created user 'admin' with the password from ${ADMIN_PASSWORD_VARIABLE}", flush=True)
    else:
        print(f"created user 'admin' with password: {password}\n(shown once; change it with POST /api/v1/auth/password)", flush=True)


class Server:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        config.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        open_database(config.effective_database_url)
        ensure_admin_user()

        catalogue = load_catalogue(config.stack_dirs)
        for problem in catalogue.errors:
            logger.error("stack rejected: %s", problem)
        self.context = ServerContext(config=config, keys=KeyStore(config.home), catalogue=catalogue, agents=AgentRegistry())
        self.logs = TaskLogStore(config.logs_dir)
        self.scheduler = Scheduler(self.context)
        self.context.extras["logs"] = self.logs
        self.context.extras["scheduler"] = self.scheduler
        # One server per process: its scheduler is the one to wake.
        planner.job_created_listeners[:] = [self.scheduler.wake]
        if config.assistant_model is not None:
            self.context.extras["assistant_model"] = SummaryModel(config.assistant_model)
        self.app = create_app(self.context)
        self.periodic = BackgroundScheduler(daemon=True)
        self.grpc_server: grpc.aio.Server | None = None
        self.grpc_loop: asyncio.AbstractEventLoop | None = None
        self.http_server = None
        self._stopped = threading.Event()

    def start_grpc(self) -> None:
        """Start the agents' gRPC endpoint: a grpc.aio server on its own event loop thread.

        One asyncio task per agent stream, rather than one thread, lets thousands of agents
        stay connected.
        """
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self.grpc_loop = loop
            try:
                loop.run_until_complete(self._start_grpc_server())
            except BaseException as error:  # noqa: BLE001 - reported to the starting thread below
                failure.append(error)
                started.set()
                return
            started.set()
            loop.run_forever()

        self._grpc_thread = threading.Thread(target=run, name="grpc", daemon=True)
        self._grpc_thread.start()
        started.wait()
        if failure:
            raise failure[0]

    async def _start_grpc_server(self) -> None:
        self.grpc_server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.keepalive_time_ms", 20000),
                ("grpc.http2.min_ping_interval_without_data_ms", 5000),
                ("grpc.keepalive_permit_without_calls", 1),
            ],
        )
        agent_pb2_grpc.add_AgentServiceServicer_to_server(AgentService(self.context, self.logs, self.scheduler.wake), self.grpc_server)
        address = f"{self.config.grpc_host}:{self.config.grpc_port}"
        if self.config.grpc_tls:
            _, certificate, key = ensure_server_certificates(self.config.pki_dir, [self.config.grpc_host, *self.config.certificate_names])
            self.grpc_server.add_secure_port(address, grpc.ssl_server_credentials([(key, certificate)]))
        else:
            self.grpc_server.add_insecure_port(address)
        await self.grpc_server.start()
        logger.info("gRPC endpoint listening on %s (TLS: %s)", address, self.config.grpc_tls)

    def start_periodic(self) -> None:
        self.periodic.add_job(self._mark_silent_agents, "interval", seconds=self.config.heartbeat_interval, id="silent-agents")
        self.periodic.add_job(_in_connection(lambda: purge_old_failures(self.config.login_failure_window)), "interval", minutes=5, id="purge-login-failures")
        self.periodic.start()

    def _mark_silent_agents(self) -> None:
        """Mark hosts whose agent sent no heartbeat for three intervals as DISCONNECTED."""
        silent_since = utcnow() - timedelta(seconds=3 * self.config.heartbeat_interval)
        with database.connection_context(), database.atomic():
            silent = Host.select(Host.id).where((Host.agent_state == "CONNECTED") & (Host.last_heartbeat_at < silent_since))
            HostComponent.update(live_status="UNKNOWN").where(HostComponent.host.in_(silent)).execute()
            Host.update(agent_state="DISCONNECTED").where((Host.agent_state == "CONNECTED") & (Host.last_heartbeat_at < silent_since)).execute()

    def serve_forever(self) -> None:
        self.start_grpc()
        self.scheduler.start()
        self.start_periodic()
        self.http_server = create_server(self.app, host=self.config.http_host, port=self.config.http_port, threads=32, channel_timeout=3600, clear_untrusted_proxy_headers=True)
        logger.info("HTTP API listening on http://%s:%d/api/v1", self.config.http_host, self.config.http_port)
        print(f"Stackyard server ready: http://{self.config.http_host}:{self.config.http_port}/ (gRPC on port {self.config.grpc_port})", flush=True)
        try:
            self.http_server.run()
        except OSError:
            if not self._stopped.is_set():
                raise
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        logger.info("server stopping")
        self.scheduler.stop()
        if self.periodic.running:
            self.periodic.shutdown(wait=False)
        self.context.agents.close_all()
        if self.grpc_server is not None and self.grpc_loop is not None:
            stopping = asyncio.run_coroutine_threadsafe(self.grpc_server.stop(grace=2), self.grpc_loop)
            try:
                stopping.result(timeout=5)
            except Exception:  # noqa: BLE001 - shutting down anyway
                logger.warning("gRPC endpoint did not stop within 5 s")
            self.grpc_loop.call_soon_threadsafe(self.grpc_loop.stop)
        if self.http_server is not None:
            self.http_server.close()


def _in_connection(function):
    def run():
        with database.connection_context():
            function()

    return run


def run_server(config: ServerConfig) -> None:
    server = Server(config)

    def stop(signum, _frame):
        logger.info("received signal %d", signum)

        def shutdown_and_exit() -> None:
            server.shutdown()
            logging.shutdown()
            # NOTE: waitress cannot end run() from another thread while a followed log stream
            # is open. Every write is already committed, so exiting here is safe.
            os._exit(0)

        threading.Thread(target=shutdown_and_exit, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    sys.stdout.flush()
