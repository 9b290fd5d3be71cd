"""A minimal Reflex event socket for the load benchmark: engine.io v4 / socket.io over one websocket, as the
browser's socket.io client speaks it to `/_event`, on asyncio streams and wsproto (no socket.io client in the
venv has a websocket transport without aiohttp; wsproto is already installed with python-engineio).

What it speaks, and nothing more:
- the websocket handshake to `/_event/?EIO=4&transport=websocket&token=<tab token>`, with the Reflex version as
  subprotocol, the site's Origin (the socket accepts that origin only) and any Cookie header;
- engine.io: the server's open packet `0{...}`, its pings `2` (answered `3`), messages `4...`;
- socket.io on namespace `/_event`: CONNECT `40/_event,{auth}` (the browser puts its first event, hydrate_and_load,
  in `auth`), EVENT `42/_event,["event", {...}]` both ways, CONNECT_ERROR `44/_event,...`.
Incoming `event` payloads are Reflex StateUpdates (`{"delta": {...}, "events": [...]}`), handed to `on_update`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

NAMESPACE = "/_event"
READ_CHUNK = 65536


class SocketClosed(Exception):
    """The websocket was refused or closed."""


class EventSocket:
    """One tab's socket. `on_update(update)` is called for every StateUpdate, in the order they arrive."""

    def __init__(self, on_update: Callable[[dict[str, Any]], None]) -> None:
        self._on_update = on_update
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._text: list[str] = []
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.error: str | None = None
        self.bytes_received = 0

    async def connect(
        self, host: str, port: int, *, token: str, origin: str, subprotocol: str, cookie: str, auth: dict[str, Any]
    ) -> None:
        """Open the websocket and the `/_event` namespace, sending `auth` in the CONNECT packet."""
        self._reader, self._writer = await asyncio.open_connection(host, port)
        headers = [(b"origin", origin.encode())]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        target = f"{NAMESPACE}/?EIO=4&transport=websocket&token={quote(token)}"
        self._send(Request(host=f"{host}:{port}", target=target, subprotocols=[subprotocol], extra_headers=headers))
        self._task = asyncio.create_task(self._read_loop(json.dumps(auth, separators=(",", ":"))))
        waiter = asyncio.create_task(self._connected.wait())
        done, _ = await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            raise SocketClosed(self.error or "the socket closed before connecting")

    def emit(self, event: dict[str, Any]) -> None:
        """Send one Reflex event (`{name, payload, router_data}`)."""
        self._send_text("42" + NAMESPACE + "," + json.dumps(["event", event], separators=(",", ":")))

    async def close(self) -> None:
        if self._writer is not None and not self._writer.is_closing():
            try:
                self._send(CloseConnection(code=1000))
                await asyncio.wait_for(self._writer.drain(), 2.0)  # a server that stopped reading must not hold us
            except (ConnectionError, RuntimeError, TimeoutError):
                pass
            self._writer.close()
        if self._task is not None:
            self._task.cancel()

    @property
    def closed(self) -> bool:
        return self._task is None or self._task.done()

    def _send(self, event: Any) -> None:
        assert self._writer is not None
        self._writer.write(self._ws.send(event))

    def _send_text(self, text: str) -> None:
        self._send(TextMessage(data=text))

    async def _read_loop(self, auth: str) -> None:
        assert self._reader is not None
        try:
            while True:
                data = await self._reader.read(READ_CHUNK)
                if not data:
                    raise SocketClosed("the server closed the connection")
                self.bytes_received += len(data)
                self._ws.receive_data(data)
                for event in self._ws.events():
                    self._handle(event, auth)
        except (SocketClosed, ConnectionError) as exc:
            self.error = self.error or str(exc)

    def _handle(self, event: Any, auth: str) -> None:
        if isinstance(event, TextMessage):
            self._text.append(event.data)
            if event.message_finished:
                self._packet("".join(self._text), auth)
                self._text.clear()
        elif isinstance(event, Ping):
            self._send(event.response())
        elif isinstance(event, AcceptConnection):
            return
        elif isinstance(event, RejectConnection | RejectData):
            raise SocketClosed(f"websocket refused: HTTP {getattr(event, 'status_code', '?')}")
        elif isinstance(event, CloseConnection):
            raise SocketClosed(f"websocket closed: {event.code} {event.reason}")
        elif isinstance(event, BytesMessage):
            raise SocketClosed("unexpected binary message")

    def _packet(self, packet: str, auth: str) -> None:
        kind = packet[:1]
        if kind == "0":  # engine.io open: open the namespace, carrying the first event as the browser does
            self._send_text("40" + NAMESPACE + "," + auth)
        elif kind == "2":  # engine.io ping
            self._send_text("3")
        elif kind == "1":
            raise SocketClosed("engine.io close")
        elif kind == "4":
            self._socketio(packet[1:])

    def _socketio(self, packet: str) -> None:
        kind, body = packet[:1], packet[1:]
        if body.startswith(NAMESPACE):
            body = body[len(NAMESPACE) :].removeprefix(",")
        if kind == "0":
            self._connected.set()
        elif kind == "4":
            self.error = f"namespace refused: {body}"
            raise SocketClosed(self.error)
        elif kind == "1":
            raise SocketClosed("namespace disconnected by the server")
        elif kind == "2":
            name, *args = json.loads(body)
            if name == "event" and args:
                self._on_update(args[0])
