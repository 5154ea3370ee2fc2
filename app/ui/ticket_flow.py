"""The ticket's requests (issue 5): preview → PreviewDialog → submit, and the result in words.

A mixin of TicketWindow (ticket_window.py). One request at a time: ``busy`` is "preview" or
"submit" while one runs, and every way in (button, Ctrl+Enter, Submit in the dialog, Send
again) checks it first. A submit needs the very preview the dialog showed, still current; once
it reached the journal the ticket's ids are renewed.

The ticket keeps the last order it sent (``last_key``, ``last_state``). While Webull's answer
to it is not known (UNKNOWN) the ticket follows it and offers no new preview: the same order
under new ids could be placed twice. If Webull never received it (ABSENT) the trader sends it
again with the same id (after a fresh preview, like any order) or dismisses it; until then
Preview stays disabled. Any other outcome frees the ticket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.core.journal import UNRESOLVED, IntentState
from app.core.trading import (
    Preview,
    PreviewError,
    SubmitRefused,
    TradeEvent,
    TradeResult,
)

from .cancel_dialogs import failure_text, spawn_for
from .preview_dialog import PreviewDialog

if TYPE_CHECKING:
    from .ticket_window import TicketWindow

    _Base = TicketWindow
else:
    _Base = object

#: state → (heading, colour kind) of the status line
_HEADINGS = {
    IntentState.ACCEPTED: ("Accepted", "good"),
    IntentState.PLACED: ("Placed", "good"),
    IntentState.REJECTED: ("Rejected by Webull", "error"),
    IntentState.UNKNOWN: ("Checking with Webull…", "warn"),
    IntentState.ABSENT: ("Webull never received this order", "error"),
    IntentState.DISMISSED: ("Dismissed", ""),
}
UNKNOWN_WHY = "Webull's answer to your last order is not known yet; Pennant is looking it up."
ABSENT_WHY = ("Webull never received your last order: send it again (same order id) or "
              "dismiss it before previewing another.")


class TicketFlow(_Base):
    # ------------------------------------------------------------------ preview and submit
    def preview(self) -> bool:
        """Preview the order (button or Ctrl+Enter); False when it cannot be previewed now."""
        if self.busy:
            return False
        why = self.why_not_preview()
        if why:
            self.show_all_errors = True
            self._show_errors()
            self._update_actions()
            return False
        built = self.built
        assert built is not None and built.request is not None
        self.busy = "preview"
        generation = self._generation
        # the order being previewed: a redraw that leaves it as it is keeps the preview valid
        self._previewed_body = (self.draft.account_id, built.request.body())
        self.status.show_text("Asking Webull for a preview…")
        self.resend_button.hide()
        self._update_actions()
        spawn_for(self, self.desk.preview(built.request, built.facts, self.area.info,
                                          built.words),
                  lambda p, e: self._previewed(generation, p, e))
        return True

    def _show_preview_failure(self, error: BaseException | None) -> None:
        """Webull's refusal with its code and links, or why no preview came back."""
        if isinstance(error, PreviewError):
            code = f" (Webull code {error.code})" if error.code else ""
            self.status.show_text(f"Webull refused the preview{code}: {error.message}",
                                  kind="error", links=error.links)
        else:
            self.status.show_text(failure_text("preview", error or RuntimeError(
                "no preview came back")), kind="error")

    def _previewed(self, generation: int, preview: Preview | None,
                   error: BaseException | None) -> None:
        self.busy = ""
        if generation != self._generation:
            self.status.show_text("The order changed while it was being previewed: preview it "
                                  "again.")
            self._update_actions()
            return
        if error is not None or preview is None:
            self._previewed_body = None
            self._show_preview_failure(error)
            self._update_actions()
            return
        self.status.clear()
        self.preview_value = preview
        dialog = PreviewDialog(preview, self, max_age_s=self.max_age_s, clock=self.clock,
                               offer_again=True)
        self.preview_dialog = dialog
        dialog.accepted.connect(lambda: self._submit(preview, dialog))
        dialog.again_requested.connect(self._preview_again)
        dialog.finished.connect(lambda result: self._dialog_closed(dialog, result))
        dialog.open()
        self._update_actions()

    def _preview_again(self) -> None:
        QTimer.singleShot(0, self.preview)  # once the old dialog has closed

    def _dialog_closed(self, dialog: PreviewDialog, result: int) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None
        if result != PreviewDialog.DialogCode.Accepted and self.preview_value is dialog.preview:
            self.preview_value = None
            self._previewed_body = None
        dialog.deleteLater()
        self._update_actions()

    def _submit(self, preview: Preview, dialog: PreviewDialog) -> None:
        if self.busy or preview is not self.preview_value or self.pending_why():
            return  # a second press, or a preview the order no longer matches
        self.preview_value = None
        self._previewed_body = None
        self.busy = "submit"
        self.status.show_text("Sending the order to Webull…")
        self._update_actions()
        key = preview.request.key
        spawn_for(self, self.desk.submit(preview, acknowledged=dialog.acknowledged()),
                  lambda result, error: self._submitted(key, result, error))

    def _submitted(self, key: str, result: TradeResult | None,
                   error: BaseException | None) -> None:
        self.busy = ""
        if isinstance(error, SubmitRefused):
            self.status.show_text(str(error), kind="error")
            self._show_pending_buttons()
        else:
            self.ids = self._new_ids()  # these ids reached the journal: never again
            if error is not None or result is None:
                self.status.show_text(failure_text("order", error or RuntimeError(
                    "no answer")), kind="error")
                # the order may have gone out all the same: follow it until the journal knows
                self._track(key, IntentState.UNKNOWN)
                self._follow(key)
            else:
                self.show_result(result)
                self.submitted.emit(result)
        self._refresh()

    # ------------------------------------------------------------------ the last order sent
    def pending_why(self) -> str:
        """Why the last order sent keeps the ticket from another preview ("" when none)."""
        state = self.last_state
        if state is IntentState.ABSENT:
            return ABSENT_WHY
        if state in UNRESOLVED:
            return UNKNOWN_WHY
        return ""

    def _track(self, key: str, state: IntentState) -> None:
        self.last_key = key
        self.last_state = state if state is IntentState.ABSENT or state in UNRESOLVED else None
        self._show_pending_buttons()
        self._update_actions()

    def _show_pending_buttons(self) -> None:
        offer = (self.last_state is IntentState.ABSENT and not self.busy
                 and self.resend_dialog is None)
        self.resend_button.setVisible(offer)
        self.dismiss_button.setVisible(offer)

    def show_result(self, result: TradeResult, *, follow: bool = True) -> None:
        """The outcome in words; an unknown one is looked up, an absent one may be resent."""
        state = result.state
        heading, kind = _HEADINGS.get(state, ("Sent — waiting for Webull's answer", "warn"))
        self.status.show_text(f"{heading}: {result.message}", kind=kind, links=result.links)
        key = result.intent.client_order_id
        self._track(key, state)
        if follow and state in UNRESOLVED:
            self._follow(key)

    def _follow(self, key: str) -> None:
        """Await Webull's answer to ``key`` (the desk looks it up within the query limit)."""
        if self._following:
            return
        self._following = True
        spawn_for(self, self.desk.resolve(key),
                  lambda result, error: self._resolved(key, result, error))

    def _resolved(self, key: str, result: TradeResult | None,
                  error: BaseException | None) -> None:
        self._following = False
        if key != self.last_key:
            return
        if isinstance(error, ValueError):  # never journaled: nothing was sent
            self.status.show_text(f"{error} Nothing was sent.", kind="error")
            self.last_state = None
            self._show_pending_buttons()
            self._update_actions()
            return
        if error is not None or result is None:
            self.status.show_text(failure_text("lookup", error or RuntimeError("no answer")),
                                  kind="error")
            return
        # still unknown only when the desk stopped looking (it closed): not asked again
        self.show_result(result, follow=False)
        self.submitted.emit(result)

    def on_trade(self, event: TradeEvent) -> None:
        """The desk's news of an order (the main window forwards its bus events): the last
        order's answer may have arrived, or it was sent again or dismissed elsewhere."""
        if not self.last_key or event.key != self.last_key or self.busy == "submit":
            return
        heading, kind = _HEADINGS.get(event.state, ("Sent — waiting for Webull's answer",
                                                    "warn"))
        self.status.show_text(f"{heading}: {event.message}", kind=kind, links=event.links)
        self._track(event.key, event.state)
        if event.state in UNRESOLVED:
            self._follow(event.key)

    def _check_pending(self) -> None:
        """An absent order that left the desk's list was sent again or dismissed elsewhere
        (the orders strip of the main window): learn what it is now."""
        if self.last_state is not IntentState.ABSENT or self.busy or self._following \
                or self.resend_dialog is not None:
            return
        if all(i.client_order_id != self.last_key for i in self.desk.absent()):
            self._follow(self.last_key)

    # ------------------------------------------------------------------ send again, dismiss
    def resend(self) -> None:
        """Send an order Webull never received again, with the same id — after a fresh preview
        of it as journaled, like any order."""
        if self.busy or self.last_state is not IntentState.ABSENT \
                or self.resend_dialog is not None:
            return
        key = self.last_key
        self.busy = "preview"
        self._show_pending_buttons()
        self.status.show_text("Previewing the order again before sending it (same order id)…")
        self._update_actions()
        spawn_for(self, self.desk.preview_resubmit(key),
                  lambda preview, error: self._resend_previewed(key, preview, error))

    def _resend_previewed(self, key: str, preview: Preview | None,
                          error: BaseException | None) -> None:
        self.busy = ""
        if key != self.last_key or self.last_state is not IntentState.ABSENT:
            self._update_actions()
            return
        if error is not None or preview is None:
            self._show_preview_failure(error)
            self._show_pending_buttons()
            self._update_actions()
            return
        self.status.show_text(ABSENT_WHY, kind="warn")
        dialog = PreviewDialog(preview, self, submit_label="Send again",
                               max_age_s=self.max_age_s, clock=self.clock, offer_again=True)
        self.resend_dialog = dialog
        dialog.accepted.connect(lambda: self._resend_send(key, preview, dialog))
        dialog.again_requested.connect(lambda: QTimer.singleShot(0, self.resend))
        dialog.finished.connect(lambda _result: self._resend_closed(dialog))
        dialog.open()
        self._update_actions()

    def _resend_send(self, key: str, preview: Preview, dialog: PreviewDialog) -> None:
        if self.busy or key != self.last_key or self.last_state is not IntentState.ABSENT:
            return
        self.busy = "submit"
        self.status.show_text("Sending the order again (same order id)…")
        self._update_actions()
        spawn_for(self, self.desk.resubmit(key, preview, acknowledged=dialog.acknowledged()),
                  lambda result, error: self._submitted(key, result, error))

    def _resend_closed(self, dialog: PreviewDialog) -> None:
        if self.resend_dialog is dialog:
            self.resend_dialog = None
        dialog.deleteLater()
        self._show_pending_buttons()
        self._update_actions()

    def dismiss(self) -> None:
        """Do not send the absent order: the journal (and the audit log) records it."""
        if self.busy or self.last_state is not IntentState.ABSENT \
                or self.resend_dialog is not None:
            return
        try:
            result = self.desk.dismiss(self.last_key)
        except ValueError as exc:  # it changed meanwhile (sent again elsewhere…)
            self.status.show_text(str(exc), kind="error")
            self._follow(self.last_key)
            return
        self.show_result(result)
        self.submitted.emit(result)
