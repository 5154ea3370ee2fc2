"""Stage 2 of start-up (boot.py has stage 1): attach asyncio to the running Qt loop, promote the
frame to the full MainWindow, open the environment and run until the window closes.

Also the scripted mode ``--screenshot`` (screenshot.py); ``--selftest`` is in selftest.py.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import qasync
from PySide6.QtWidgets import QApplication

from . import theme
from .boot import LaunchOptions, Shell, StartupProbe, layout_settings
from .context import AppContext
from .main_window import MainWindow, promote
from .memory import GcPolicy

log = logging.getLogger(__name__)


def start_workspace(app: QApplication, shell: Shell, context: AppContext,
                    options: LaunchOptions, probe: StartupProbe, outcome: dict[str, int]) -> None:
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    theme.apply(context.settings.theme)
    layout = layout_settings(options.data_dir)
    window = promote(shell, context, layout)
    GcPolicy(window).start()
    watch_network(window)
    for note in context.startup_notes:
        window.note(note)
    probe.mark("ready")
    # Ctrl-C in the terminal closes the window like the close button
    signal.signal(signal.SIGINT, lambda *_: window.close())
    task = loop.create_task(_main(app, window, context, options))

    def finished(done: asyncio.Task[int]) -> None:
        if done.cancelled():
            outcome["code"] = 1
        elif done.exception() is not None:
            log.error("Pennant stopped on an error", exc_info=done.exception())
            outcome["code"] = 1
        else:
            outcome["code"] = done.result()
        app.quit()

    task.add_done_callback(finished)


async def _main(app: QApplication, window: MainWindow, context: AppContext,
                options: LaunchOptions) -> int:
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    app.lastWindowClosed.connect(lambda: closed.done() or closed.set_result(None))
    window.open_environment(options.environment or context.settings.environment)
    code = 0
    try:
        if options.screenshot is not None:
            from .screenshot import capture

            code = await capture(window, options.screenshot, options.screenshot_timeout_s,
                                 ticket=options.screenshot_ticket)
        else:
            await closed
    finally:
        await window.shutdown()
        window.close()
        context.close()
    return code


def watch_network(window: MainWindow) -> None:
    """Network loss and return (and wake-up, which looks the same to the OS) mark every panel
    stale and refresh at once; the poller also notices clock jumps by itself."""
    from PySide6.QtNetwork import QNetworkInformation

    if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability):
        log.info("no network-reachability backend on this platform; relying on the poller")
        return
    info = QNetworkInformation.instance()
    if info is None:
        return
    online = QNetworkInformation.Reachability.Online

    def changed(reachability: QNetworkInformation.Reachability) -> None:
        terminal = window.terminal
        if terminal is None:
            return
        if reachability == online:
            terminal.poller.mark_stale_and_refresh("the network is back")
        else:
            terminal.poller.mark_stale_and_refresh("the network connection was lost")

    info.reachabilityChanged.connect(changed)
