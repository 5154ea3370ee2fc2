"""One environment's running terminal: the session, the poller and the local history, wired.

The window owns one Terminal at a time (switching environment closes it and builds another).
The Terminal reacts to the session: polling starts when the session is connected, pauses when
the sign-in expires (the last data stays on screen, read-only) and stops and forgets the data on
Disconnect. With an order journal it also runs the trading desk: on every connect the desk
first reconciles the journal's unresolved orders, then enables trading (app.core.trading).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from app.webull.environments import Environment
from app.webull.oauth import ConnectCredentials
from app.webull.transport import Transport

from .catalogue import Catalogue
from .events import EventBus, SessionChanged, SessionState
from .history import NlvHistory
from .journal import OrderJournal
from .keychain import Keychain
from .poller import Poller
from .portfolio import Portfolio
from .precautions import Limits
from .session import Session
from .trading import TradingDesk

log = logging.getLogger(__name__)


class Terminal:
    def __init__(
        self,
        environment: Environment,
        creds: ConnectCredentials,
        *,
        keychain: Keychain | None,
        history: NlvHistory | None = None,
        bus: EventBus | None = None,
        transport: Transport | None = None,
        poller_factory: Callable[..., Poller] = Poller,
        journal: OrderJournal | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.environment = environment
        self.bus = bus or EventBus()
        self.history = history
        self.session = Session(environment, creds, self.bus, keychain=keychain,
                               transport=transport)
        self.portfolio = Portfolio()
        self.poller = poller_factory(
            self.session.client, self.bus, portfolio=self.portfolio, history=history,
            environment=environment.name, on_auth_error=self.session.handle_auth_error,
        )
        self.catalogue = Catalogue(self.session.client, self.portfolio)
        #: None without a journal: nothing may be sent that was not written down first
        self.desk: TradingDesk | None = None
        if journal is not None:
            self.desk = TradingDesk(self.session.client, journal, self.bus, environment.name,
                                    portfolio=self.portfolio, limits=limits or Limits(),
                                    on_auth_error=self.session.handle_auth_error)
        self._tasks: set[asyncio.Future[None]] = set()
        self._stopping: asyncio.Future[None] | None = None
        self._closed = False
        self._unsubscribe = self.bus.subscribe(self._on_event)

    async def start(self) -> bool:
        """Restore a stored sign-in; polling starts by itself once connected."""
        return await self.session.restore()

    def _on_event(self, event: object) -> None:
        if self._closed or not isinstance(event, SessionChanged):
            return
        if event.state is SessionState.CONNECTED:
            if self.desk is not None:
                self._spawn(self.desk.start())  # does nothing if started already
            stopping = self._stopping
            if stopping is not None and not stopping.done():
                # a disconnect is still winding down: start polling once it has finished
                self._spawn(self._start_after(stopping))
            else:
                self._start_polling()
        elif event.state is SessionState.DISCONNECTED:
            self._stopping = self._spawn(self._stop_and_forget())

    def _start_polling(self) -> None:
        self.poller.start()
        self.poller.resume()

    async def _start_after(self, stopping: asyncio.Future[None]) -> None:
        await asyncio.wait({stopping})
        if not self._closed and self.session.state is SessionState.CONNECTED:
            self._start_polling()

    async def _stop_and_forget(self) -> None:
        await self.poller.stop()
        self.portfolio.clear()

    def _spawn(self, coro: object) -> asyncio.Future[None]:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)  # type: ignore[arg-type]
        if not task.cancelled() and task.exception() is not None:
            log.error("a session task failed", exc_info=task.exception())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._unsubscribe()
        await self.poller.stop()
        if self.desk is not None:
            await self.desk.aclose()
        for task in tuple(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.session.aclose()
