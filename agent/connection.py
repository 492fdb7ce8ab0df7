"""The agent's Connect stream to the server, redialled with capped exponential backoff.

One writer coroutine sends everything on the stream, in the order it was queued: the
Register that opens each stream, heartbeats, task output lines and results. Task threads
queue messages with ``send_threadsafe``. A task does not queue its TaskResult. It stores the
result in the outbox and queues the task id, and the writer reads the result from there.
So a result follows the task's last output line, and it is resent after every reconnect
until the server's ResultAck removes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import grpc

from agent.config import AgentConfig
from agent.enrollment import credential_exists, enroll, read_credential
from agent.outbox import Outbox
from stackyard.v1 import agent_pb2, agent_pb2_grpc

logger = logging.getLogger(__name__)

INITIAL_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 5.0

# Output lines queued while the stream is down are dropped above this many queued items, so
# a chatty task cannot exhaust memory during a long outage. The result's line_count then
# lets the server detect the missing lines.
MAX_QUEUED_ITEMS = 500_000


class _ResendOutbox:
    """Queue item that makes the writer send every stored result not yet sent on this stream."""


RESEND_OUTBOX = _ResendOutbox()
QueueItem = agent_pb2.AgentMessage | int | _ResendOutbox


class Connection:
    """Agent side of the Connect stream.

    ``build_register`` returns the Register message for a new stream and ``build_heartbeat``
    the next Heartbeat. ``handle_message`` receives every ServerMessage.
    """

    def __init__(
        self,
        config: AgentConfig,
        outbox: Outbox,
        build_register: Callable[[], agent_pb2.Register],
        build_heartbeat: Callable[[], agent_pb2.Heartbeat],
        handle_message: Callable[[agent_pb2.ServerMessage], Awaitable[None]],
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.build_register = build_register
        self.build_heartbeat = build_heartbeat
        self.handle_message = handle_message
        self.heartbeat_interval = config.heartbeat_interval

        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[QueueItem] | None = None
        self._stop = asyncio.Event()
        self._sent_results: set[int] = set()
        self._dropped_lines = 0
        self.connected = asyncio.Event()

    # Calls from task threads.

    def send_threadsafe(self, message: agent_pb2.AgentMessage) -> None:
        self._call_soon(message)

    def result_stored_threadsafe(self, task_id: int) -> None:
        self._call_soon(task_id)

    def _call_soon(self, item: QueueItem) -> None:
        if self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(self._enqueue, item)
        except RuntimeError:
            # The event loop is closed because the agent is stopping; a result stays in the outbox.
            logger.debug("event loop closed; dropped a queued message")

    def _enqueue(self, item: QueueItem) -> None:
        assert self._queue is not None
        is_line = isinstance(item, agent_pb2.AgentMessage) and item.HasField(
            "task_event"
        )
        if is_line and self._queue.qsize() >= MAX_QUEUED_ITEMS:
            self._dropped_lines += 1
            if self._dropped_lines % 10_000 == 1:
                logger.warning(
                    "send queue is full; dropped %d output lines so far",
                    self._dropped_lines,
                )
            return
        self._queue.put_nowait(item)

    def forget_sent_result(self, task_id: int) -> None:
        """Allow a new result of ``task_id`` to be sent on the current stream, for a task run again."""
        self._sent_results.discard(task_id)

    # The stream.

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Hold the stream until ``stop`` is called, redialling after every failure."""
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        backoff = INITIAL_BACKOFF_SECONDS
        while not self._stop.is_set():
            try:
                registered = await self._run_stream()
            except Exception as error:  # noqa: BLE001 - any failure leads to a redial
                registered = False
                logger.warning(
                    "connection to %s failed: %s", self.config.server, _describe(error)
                )
            if self._stop.is_set():
                break
            if registered:
                backoff = INITIAL_BACKOFF_SECONDS
            logger.info("reconnecting to %s in %.1f s", self.config.server, backoff)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=backoff)
            except TimeoutError:
                pass
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _make_channel(self) -> grpc.aio.Channel:
        if self.config.ca_cert is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=self.config.ca_cert.read_bytes()
            )
            return grpc.aio.secure_channel(self.config.server, credentials)
        return grpc.aio.insecure_channel(self.config.server)

    def _metadata(self) -> list[tuple[str, str]]:
        metadata = [("x-stackyard-hostname", self.config.hostname)]
        credential = read_credential(self.config.credential_file)
        if credential:
            metadata.append(("x-stackyard-credential", credential))
        return metadata

    async def _run_stream(self) -> bool:
        """Hold one stream until it breaks or the agent stops; return whether Registered arrived."""
        async with self._make_channel() as channel:
            if self.config.registration_token and not credential_exists(
                self.config.credential_file
            ):
                await enroll(channel, self.config)

            stub = agent_pb2_grpc.AgentServiceStub(channel)
            call = stub.Connect(metadata=self._metadata())
            self._sent_results = set()
            await call.write(agent_pb2.AgentMessage(register=self.build_register()))
            logger.info(
                "connected to %s as host %s", self.config.server, self.config.hostname
            )
            self.connected.set()
            self._queue.put_nowait(RESEND_OUTBOX)

            registered = asyncio.Event()
            tasks = {
                asyncio.create_task(self._read_loop(call, registered), name="read"),
                asyncio.create_task(self._write_loop(call), name="write"),
                asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
                asyncio.create_task(self._stop.wait(), name="stop"),
            }
            try:
                done, _pending = await asyncio.wait(
                    tasks, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                self.connected.clear()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                call.cancel()

            for task in done:
                if (
                    task.get_name() != "stop"
                    and not task.cancelled()
                    and task.exception() is not None
                ):
                    raise task.exception()  # type: ignore[misc]
            if not self._stop.is_set():
                logger.warning("server %s closed the stream", self.config.server)
            return registered.is_set()

    async def _read_loop(
        self, call: grpc.aio.StreamStreamCall, registered: asyncio.Event
    ) -> None:
        async for message in call:
            if message.HasField("registered"):
                registered.set()
                if message.registered.heartbeat_interval_seconds > 0:
                    self.heartbeat_interval = float(
                        message.registered.heartbeat_interval_seconds
                    )
                logger.info("registered as host id %s", message.registered.host_id)
            await self.handle_message(message)

    async def _write_loop(self, call: grpc.aio.StreamStreamCall) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            if isinstance(item, _ResendOutbox):
                for result in self.outbox.results():
                    await self._write_result(call, result)
            elif isinstance(item, int):
                result = self.outbox.get(item)
                if result is not None:
                    await self._write_result(call, result)
            else:
                await call.write(item)

    async def _write_result(
        self, call: grpc.aio.StreamStreamCall, result: agent_pb2.TaskResult
    ) -> None:
        if result.task_id in self._sent_results:
            return
        await call.write(agent_pb2.AgentMessage(task_result=result))
        self._sent_results.add(result.task_id)
        logger.info("sent result of task %s (%s)", result.task_id, result.state)

    async def _heartbeat_loop(self) -> None:
        assert self._queue is not None
        while True:
            heartbeat = await asyncio.to_thread(self.build_heartbeat)
            self._queue.put_nowait(agent_pb2.AgentMessage(heartbeat=heartbeat))
            await asyncio.sleep(self.heartbeat_interval)

    async def flush(self, timeout: float) -> None:
        """Wait until the send queue is empty or ``timeout`` seconds have passed."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (
            self._queue is not None
            and not self._queue.empty()
            and self.connected.is_set()
        ):
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.05)


def _describe(error: BaseException) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    return f"{type(error).__name__}: {error}"
