"""Simulated users of the load benchmark: each one is a browser tab on its own event socket, doing what a person
does on the dashboard and the budget grid, with a think time between actions.

One user: logged in beforehand (a session token, sent as the `opex_session` cookie of the socket's handshake and,
while the app still keeps the token in the browser's localStorage, as that client storage var, as the browser
sends it), opens the dashboard (connect: `hydrate_and_load`, then the page's on_load), then loops:
change a dashboard filter (`DashboardState.set_filter` → `_redirect` → the new view's on_load), open the budget
grid (a sidebar link: on_load), page it (pages 2-10, `BudgetGridState.go_to_page` → `_redirect` → on_load), open
a line of that page (on_load of `/budgets/<id>`), back to the dashboard without the filter (on_load).

A navigation is what the browser sends on a route change: `update_vars_internal` with the client storage vars
(when there are any) and `on_load_internal`, sent together, with no think time between the click and it.
Each measured round trip runs from sending to its answer: for a click, the update carrying its `_redirect`;
for a navigation, the delta that sets `is_hydrated` back to true (the last step of on_load_internal's chain, after
every on_load handler's delta). Errors: a round trip with no answer within the timeout, an answer carrying a
toast, an alert or a script (a refused permission, a handler's exception, a logout) or a redirect to the login
page (a session the app refused), a socket refused or dropped.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.benchmarks.load_socket import EventSocket, SocketClosed

THINK_SECONDS = (0.5, 1.5)
# People page on a few pages and filter or search to go further; a page deep in 100,000 lines costs the grid's
# OFFSET query about 4x page 1 (see the README's load benchmark section).
LAST_PAGE_VISITED = 10
TOWER_COUNT = 7  # bench_figures.TOWERS: 'Bench Tower 1' .. 'Bench Tower 7'
ERROR_EVENTS = ("_call_function", "_call_script", "_alert", "_window_alert", "_toast")
LOGIN = "/login"  # a session the app refuses sends the tab there


@dataclass(frozen=True)
class Protocol:
    """The names the frontend compiled for this app (read in process from the app's state classes)."""

    hydrate: str
    on_load: str
    update_vars: str
    set_filter: str
    go_to_page: str
    root: str
    grid: str
    hashes: list[str]
    storage_var: str | None  # the session token's client storage var, while the app keeps one
    reflex_version: str

    @classmethod
    def of_app(cls) -> Protocol:
        import reflex
        from reflex.compiler.utils import compile_state
        from reflex.state import OnLoadInternalState, State, UpdateVarsInternalState, state_snapshot_hashes

        import opex_app.opex_app  # noqa: F401 - registers every page's state, as the compiled frontend knows them
        from opex_app.state.base import AppState
        from opex_app.state.budget_grid import BudgetGridState
        from opex_app.state.dashboard import DashboardState

        storage = AppState.get_full_name() + ".session_token_rx_state_"
        return cls(
            hydrate=f"{State.get_full_name()}.hydrate_and_load",
            on_load=f"{OnLoadInternalState.get_full_name()}.on_load_internal",
            update_vars=f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal",
            set_filter=f"{DashboardState.get_full_name()}.set_filter",
            go_to_page=f"{BudgetGridState.get_full_name()}.go_to_page",
            root=State.get_full_name(),
            grid=BudgetGridState.get_full_name(),
            hashes=state_snapshot_hashes(compile_state(State)),  # what a fresh frontend sends on its first hydrate
            storage_var=storage
            if "session_token" in AppState.get_fields() and AppState._is_client_storage("session_token")
            else None,
            reflex_version=reflex.constants.Reflex.VERSION,
        )


@dataclass
class Results:
    """Round trips completed inside the measured window, by kind, and the errors seen in it."""

    measuring: bool = False
    latencies: dict[str, list[float]] = field(default_factory=dict)
    events_sent: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)

    def record(self, kind: str, seconds: float, events: int) -> None:
        if self.measuring:
            self.latencies.setdefault(kind, []).append(seconds)
            self.events_sent += events

    def error(self, kind: str, detail: str) -> None:
        if self.measuring:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{kind}: {detail[:300]}")


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    origin: str
    timeout: float


class RoundTripFailed(Exception):
    pass


class User:
    """One simulated tab. `run()` loops until cancelled."""

    def __init__(self, protocol: Protocol, target: Target, results: Results, session: str, tab: str, seed: int):
        self.p, self.target, self.results = protocol, target, results
        self.session, self.tab = session, tab
        self.random = random.Random(seed)
        self.socket: EventSocket | None = None
        self.path = "/"
        self._waiting: tuple[str, asyncio.Future[dict[str, Any]]] | None = None
        self.grid_rows: list[str] = []
        self.page_count = 1
        self.ready = asyncio.Event()  # set once the first dashboard has loaded

    # -- the socket -------------------------------------------------------------------------------------------
    def _on_update(self, update: dict[str, Any]) -> None:
        delta = update.get("delta") or {}
        grid = delta.get(self.p.grid) or {}
        if "rows_rx_state_" in grid:
            self.grid_rows = [row["id"] for row in grid["rows_rx_state_"]]
        if "page_count_rx_state_" in grid:
            self.page_count = int(grid["page_count_rx_state_"])
        events = update.get("events") or []
        if self._waiting is None:
            return
        want, future = self._waiting
        if future.done():
            return
        for event in events:
            name, payload = str(event.get("name", "")), event.get("payload") or {}
            if name.startswith(ERROR_EVENTS) or (name == "_redirect" and str(payload.get("path")).startswith(LOGIN)):
                future.set_exception(RoundTripFailed(f"{name}: {str(payload)[:300]}"))
                return
        if want == "redirect":
            for event in events:
                if event.get("name") == "_redirect":
                    future.set_result(event.get("payload") or {})
                    return
        elif (delta.get(self.p.root) or {}).get("is_hydrated_rx_state_") is True:
            future.set_result(update)

    def _router_data(self, url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        data: dict[str, Any] = {"pathname": parts.path, "asPath": url}
        query = dict(parse_qsl(parts.query))
        if parts.path.startswith("/budgets/"):
            query["line_id"] = parts.path.rsplit("/", 1)[-1]  # the dynamic route's param, as useParams gives it
        if query:
            data["query"] = query
        return data

    def _storage(self) -> dict[str, Any]:
        return {self.p.storage_var: self.session} if self.p.storage_var else {}

    async def _round_trip(self, kind: str, want: str, send: Any, events: int) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting = (want, future)
        start = time.perf_counter()
        try:
            send()
            answer = await asyncio.wait_for(future, self.target.timeout)
        except TimeoutError:
            self.results.error(kind, f"no answer within {self.target.timeout:.0f} s")
            raise RoundTripFailed(kind) from None
        except RoundTripFailed as exc:
            self.results.error(kind, str(exc))
            raise
        finally:
            self._waiting = None
        self.results.record(kind, time.perf_counter() - start, events)
        return answer

    async def connect(self) -> None:
        """Open the dashboard in a new socket: the CONNECT packet carries hydrate_and_load, as the browser's does."""
        self.path = "/"
        payload: dict[str, Any] = {"hashes": self.p.hashes}
        if self.p.storage_var:
            payload["vars"] = self._storage()
        auth = {"event": {"name": self.p.hydrate, "payload": payload, "router_data": self._router_data("/")}}
        self.socket = EventSocket(self._on_update)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting = ("hydrated", future)
        start = time.perf_counter()
        try:
            await self.socket.connect(
                self.target.host,
                self.target.port,
                token=self.tab,
                origin=self.target.origin,
                subprotocol=self.p.reflex_version,
                cookie=f"opex_session={self.session}",
                auth=auth,
            )
            await asyncio.wait_for(future, self.target.timeout)
        except (TimeoutError, SocketClosed, OSError, RoundTripFailed) as exc:
            self.results.error("connect", str(exc) or type(exc).__name__)
            raise RoundTripFailed("connect") from None
        finally:
            self._waiting = None
        self.results.record("connect + dashboard", time.perf_counter() - start, 1)

    # -- what the user does -----------------------------------------------------------------------------------
    async def navigate(self, url: str, kind: str) -> None:
        assert self.socket is not None
        socket, router = self.socket, self._router_data(url)

        def send() -> None:
            if self.p.storage_var:
                socket.emit({"name": self.p.update_vars, "payload": {"vars": self._storage()}, "router_data": router})
            socket.emit({"name": self.p.on_load, "payload": {}, "router_data": router})

        await self._round_trip(kind, "hydrated", send, 2 if self.p.storage_var else 1)
        self.path = url

    async def click(self, handler: str, payload: dict[str, Any], kind: str) -> str:
        """Send one event of the page; returns the address its `_redirect` names."""
        assert self.socket is not None
        socket, router = self.socket, self._router_data(self.path)
        answer = await self._round_trip(
            kind, "redirect", lambda: socket.emit({"name": handler, "payload": payload, "router_data": router}), 1
        )
        return str(answer.get("path") or "/")

    async def think(self) -> None:
        await asyncio.sleep(self.random.uniform(*THINK_SECONDS))

    async def cycle(self) -> None:
        tower = f"Bench Tower {self.random.randint(1, TOWER_COUNT)}"
        await self.think()
        url = await self.click(self.p.set_filter, {"name": "tower", "value": tower}, "click: dashboard filter")
        await self.navigate(url, "dashboard, filtered")
        await self.think()
        await self.navigate("/budgets", "budget grid")
        await self.think()
        page = self.random.randint(2, max(2, min(self.page_count, LAST_PAGE_VISITED)))
        url = await self.click(self.p.go_to_page, {"number": page}, "click: grid page")
        await self.navigate(url, "budget grid, page n")
        await self.think()
        if self.grid_rows:
            await self.navigate(f"/budgets/{self.random.choice(self.grid_rows)}", "budget line")
            await self.think()
        await self.navigate("/", "dashboard")

    async def run(self) -> None:
        try:
            while True:
                try:
                    if self.socket is None or self.socket.closed:
                        if self.socket is not None:
                            self.results.error("socket", self.socket.error or "closed")
                        await self.connect()
                        self.ready.set()
                    await self.cycle()
                except RoundTripFailed:
                    await self._reset()
                    await asyncio.sleep(1.0)
        finally:
            if self.socket is not None:
                await self.socket.close()

    async def _reset(self) -> None:
        """After a failure, start again from a fresh page load (a new socket), as a person reloading would."""
        if self.socket is not None:
            await self.socket.close()
        self.socket = None
