"""The gRPC side of the server: agent streams, registration, heartbeats and task results."""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import grpc

from controlplane.agents import enrollment
from controlplane.db import database
from controlplane.jobs.logs import TaskLogStore, truncate_text
from controlplane.models import FINISHED_STATES, Host, HostComponent, Service, Task, utcnow
from stackyard.v1 import agent_pb2, agent_pb2_grpc

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_RESULT_MESSAGE = 64 * 1024
LINE_COUNT_EVERY = 100


@dataclass
class AgentConnection:
    """One agent's stream. ``send`` may be called from any thread; the stream's event loop delivers."""

    hostname: str
    boot_id: str
    loop: asyncio.AbstractEventLoop
    outgoing: asyncio.Queue = field(default_factory=asyncio.Queue)
    closed: threading.Event = field(default_factory=threading.Event)

    def send(self, message: agent_pb2.ServerMessage) -> bool:
        if self.closed.is_set():
            return False
        try:
            self.loop.call_soon_threadsafe(self.outgoing.put_nowait, message)
        except RuntimeError:  # the event loop has stopped: the server is shutting down
            return False
        return True

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        try:
            self.loop.call_soon_threadsafe(self.outgoing.put_nowait, None)
        except RuntimeError:
            pass


class AgentRegistry:
    """The agents connected to this server process, by hostname."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, AgentConnection] = {}

    def add(self, connection: AgentConnection) -> None:
        with self._lock:
            previous = self._connections.get(connection.hostname)
            self._connections[connection.hostname] = connection
        if previous is not None:
            logger.info("host %s connected again; closing its previous stream", connection.hostname)
            previous.close()

    def remove(self, connection: AgentConnection) -> None:
        with self._lock:
            if self._connections.get(connection.hostname) is connection:
                del self._connections[connection.hostname]
        connection.close()

    def get(self, hostname: str) -> AgentConnection | None:
        with self._lock:
            return self._connections.get(hostname)

    def hostnames(self) -> list[str]:
        with self._lock:
            return list(self._connections)

    def close_all(self) -> None:
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for connection in connections:
            connection.close()


class AgentService(agent_pb2_grpc.AgentServiceServicer):
    """The gRPC servicer, run on a grpc.aio server; database work runs on a small thread pool."""

    def __init__(self, context, logs: TaskLogStore, on_change: Callable[[], None]) -> None:
        self.context = context
        self.registry: AgentRegistry = context.agents
        self.logs = logs
        self.on_change = on_change
        # Job id of each task that is streaming lines, to avoid a query per line.
        self._job_of_task: dict[int, int] = {}
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="agent-db")
        # Results and heartbeats go to one writer thread that stores them in batches, one
        # transaction per batch, instead of one contended SQLite write per message.
        self._writes: queue.Queue = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="agent-writes", daemon=True)
        self._writer.start()

    async def _in_thread(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    # Enrolment

    async def Enroll(self, request, grpc_context):
        try:
            return await self._in_thread(enrollment.enroll, self.context, request)
        except enrollment.EnrollmentError as error:
            logger.warning("enrolment of host %r rejected: %s", request.hostname, error)
            await grpc_context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))

    # The stream

    async def Connect(self, request_iterator: AsyncIterator[agent_pb2.AgentMessage], grpc_context):
        metadata = dict(grpc_context.invocation_metadata())
        try:
            first = await request_iterator.__anext__()
        except StopAsyncIteration:
            first = None
        if first is None or not first.HasField("register"):
            await grpc_context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message on the stream must be Register")
        register = first.register
        problem = await self._in_thread(enrollment.check_credential, self.context, register.hostname, metadata)
        if problem:
            logger.warning("stream from host %r rejected: %s", register.hostname, problem)
            await grpc_context.abort(grpc.StatusCode.UNAUTHENTICATED, problem)

        existing = self.registry.get(register.hostname)
        if existing is not None and existing.boot_id != register.boot_id and not existing.closed.is_set():
            logger.warning("second agent for host %r rejected: another agent process is connected", register.hostname)
            await grpc_context.abort(grpc.StatusCode.ALREADY_EXISTS, f"another agent is connected for host {register.hostname}; a host runs one agent")

        host = await self._in_thread(self._register, register, grpc_context.peer())
        connection = AgentConnection(hostname=host.hostname, boot_id=register.boot_id, loop=asyncio.get_running_loop())
        self.registry.add(connection)
        reader = asyncio.create_task(self._read(request_iterator, connection))
        self.on_change()

        yield agent_pb2.ServerMessage(registered=agent_pb2.Registered(host_id=str(host.id), heartbeat_interval_seconds=self.context.config.heartbeat_interval))
        try:
            while True:
                message = await connection.outgoing.get()
                if message is None:
                    break
                yield message
        finally:
            reader.cancel()
            connection.close()
            self.registry.remove(connection)
            await self._in_thread(self._mark_disconnected, connection)
            logger.info("stream of host %s closed", connection.hostname)

    def _register(self, register: agent_pb2.Register, peer: str) -> Host:
        ip_address = register.ip_address or _peer_address(peer)
        with database.atomic():
            host = Host.get_or_none(Host.hostname == register.hostname)
            restarted = host is not None and host.boot_id and host.boot_id != register.boot_id
            fields = dict(
                ip_address=ip_address,
                os_family=register.os_family,
                os_release=register.os_release,
                agent_version=register.agent_version,
                cpu_count=register.cpu_count,
                memory_bytes=register.memory_bytes,
                boot_id=register.boot_id,
                agent_state="CONNECTED",
                last_heartbeat_at=utcnow(),
            )
            if host is None:
                host = Host.create(hostname=register.hostname, **fields)
                logger.info("host %s registered from %s", host.hostname, ip_address)
            else:
                Host.update(**fields).where(Host.id == host.id).execute()
                logger.info("host %s connected again (agent restarted: %s)", host.hostname, bool(restarted))
            if restarted:
                self._fail_lost_tasks(host, set(register.running_task_ids))
        return Host.get_by_id(host.id)

    def _fail_lost_tasks(self, host: Host, still_running: set[int]) -> None:
        """Fail tasks the previous agent process on ``host`` was running and the new one does not have."""
        lost = Task.select().where((Task.host == host) & (Task.state == "RUNNING"))
        for task in lost:
            if task.id in still_running:
                continue
            logger.warning("job %d task %d on host %s failed: the agent restarted while it ran", task.job_id, task.id, host.hostname)
            Task.update(state="FAILED", message=f"the agent on host {host.hostname} restarted while the task ran", ended_at=utcnow()).where(Task.id == task.id).execute()

    def _mark_disconnected(self, connection: AgentConnection) -> None:
        if self.registry.get(connection.hostname) is not None:
            return
        with database.atomic():
            Host.update(agent_state="DISCONNECTED").where(Host.hostname == connection.hostname).execute()
            # Without a connected agent no status reports arrive, so the components' status is unknown.
            host_ids = Host.select(Host.id).where(Host.hostname == connection.hostname)
            HostComponent.update(live_status="UNKNOWN").where(HostComponent.host.in_(host_ids)).execute()

    async def _read(self, request_iterator, connection: AgentConnection) -> None:
        """Handle the agent's messages one after another, so a task's lines and result keep their order."""
        try:
            async for message in request_iterator:
                await self._in_thread(self._handle, connection, message)
        except asyncio.CancelledError:
            raise
        except grpc.RpcError:
            logger.info("stream of host %s broken", connection.hostname)
        except Exception:  # noqa: BLE001 - a bad message must not end the stream silently
            logger.exception("failed to handle a message from host %s", connection.hostname)
        finally:
            connection.close()

    def _handle(self, connection: AgentConnection, message: agent_pb2.AgentMessage) -> None:
        kind = message.WhichOneof("body")
        if kind == "heartbeat":
            self._writes.put((kind, connection, message.heartbeat))
        elif kind == "task_event":
            self._task_event(message.task_event)
        elif kind == "task_result":
            self._writes.put((kind, connection, message.task_result))

    # Batched writes

    MAX_BATCH = 500

    def _write_loop(self) -> None:
        while True:
            batch = [self._writes.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self._writes.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write_batch(batch)
            except Exception:  # noqa: BLE001 - the writer thread must keep running
                logger.exception("failed to store a batch of %d agent messages", len(batch))

    def _write_batch(self, batch: list) -> None:
        acknowledged: list[tuple[AgentConnection, int]] = []
        with database.atomic():
            for kind, connection, message in batch:
                if kind == "heartbeat":
                    self._heartbeat(connection, message)
                else:
                    self._task_result(connection, message)
                    acknowledged.append((connection, message.task_id))

        # The agent drops a result from its outbox on ResultAck, so the ack goes only after the commit.
        for connection, task_id in acknowledged:
            connection.send(agent_pb2.ServerMessage(result_ack=agent_pb2.ResultAck(task_id=task_id)))
        if acknowledged:
            self.on_change()

    def _heartbeat(self, connection: AgentConnection, heartbeat: agent_pb2.Heartbeat) -> None:
        metrics = {
            "load_1m": heartbeat.load_1m,
            "cpu_percent": heartbeat.cpu_percent,
            "memory_used_bytes": heartbeat.memory_used_bytes,
            "memory_total_bytes": heartbeat.memory_total_bytes,
            "disk_used_bytes": heartbeat.disk_used_bytes,
            "disk_total_bytes": heartbeat.disk_total_bytes,
        }
        host = Host.get_or_none(Host.hostname == connection.hostname)
        if host is None:
            return
        Host.update(metrics=metrics, last_heartbeat_at=utcnow(), agent_state="CONNECTED").where(Host.id == host.id).execute()
        for status in heartbeat.components:
            (
                HostComponent.update(live_status=status.state)
                .where(
                    (HostComponent.host == host)
                    & (HostComponent.component == status.component)
                    & (HostComponent.service.in_(Service.select(Service.id).where(Service.name == status.service)))
                )
                .execute()
            )

    def _task_event(self, event: agent_pb2.TaskEvent) -> None:
        job_id = self._job_of_task.get(event.task_id)
        if job_id is None:
            task = Task.get_or_none(Task.id == event.task_id)
            if task is None:
                return
            job_id = self._job_of_task[event.task_id] = task.job_id
        # The line count on the task is refreshed every LINE_COUNT_EVERY lines and at the result,
        # so a 20,000-line task does not cost 20,000 database writes.
        if self.logs.append(job_id, event.task_id, event.seq, event.line) and event.seq % LINE_COUNT_EVERY == 1:
            Task.update(log_lines=event.seq).where((Task.id == event.task_id) & (Task.log_lines < event.seq)).execute()

    def _task_result(self, connection: AgentConnection, result: agent_pb2.TaskResult) -> None:
        from controlplane.jobs.scheduler import record_task_result

        task = Task.get_or_none(Task.id == result.task_id)
        if task is not None and task.state not in FINISHED_STATES:
            summary = json.loads(result.summary_json) if result.summary_json else {}
            record_task_result(
                task,
                state=result.state,
                return_code=result.return_code,
                message=truncate_text(result.message, MAX_RESULT_MESSAGE),
                summary=summary,
            )
            logger.info("job %d task %d on host %s ended %s", task.job_id, task.id, connection.hostname, result.state)
        if task is not None:
            lines_written = self.logs.last_seq(task.job_id, task.id)
            Task.update(log_lines=lines_written).where(Task.id == task.id).execute()
        self.logs.forget(result.task_id)
        self._job_of_task.pop(result.task_id, None)


def _peer_address(peer: str) -> str:
    # gRPC peers look like "ipv4:127.0.0.1:51234" or "ipv6:[::1]:51234".
    if peer.startswith("ipv4:"):
        return peer[5:].rsplit(":", 1)[0]
    if peer.startswith("ipv6:"):
        return peer[5:].rsplit(":", 1)[0].strip("[]")
    return ""
