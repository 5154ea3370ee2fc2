"""The ticket's requests (issue 5): preview → PreviewDialog → submit, and the result in words.

A mixin of TicketWindow (ticket_window.py). One request at a time: ``busy`` is "preview" or
"submit" while one runs, and every way in (button, Ctrl+Enter, Submit in the dialog, Send
again) checks it first. A submit needs the very preview the dialog showed, still current; once
it reached the journal the ticket's ids are renewed. An UNKNOWN outcome is followed until
Webull's answer is known; an ABSENT one may be sent again with the same id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.core.journal import IntentState
from app.core.trading import Preview, PreviewError, SubmitRefused, TradeResult

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
            if isinstance(error, PreviewError):
                code = f" (Webull code {error.code})" if error.code else ""
                self.status.show_text(f"Webull refused the preview{code}: {error.message}",
                                      kind="error", links=error.links)
            else:
                self.status.show_text(failure_text("preview", error or RuntimeError(
                    "no preview came back")), kind="error")
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
        if self.busy or preview is not self.preview_value:
            return  # a second press, or a preview the order no longer matches
        self.preview_value = None
        self._previewed_body = None
        self.busy = "submit"
        self.status.show_text("Sending the order to Webull…")
        self._update_actions()
        spawn_for(self, self.desk.submit(preview, acknowledged=dialog.acknowledged()),
                  self._submitted)

    def _submitted(self, result: TradeResult | None, error: BaseException | None) -> None:
        self.busy = ""
        if isinstance(error, SubmitRefused):
            self.status.show_text(str(error), kind="error")
        else:
            self.ids = self._new_ids()  # these ids reached the journal: never again
            if error is not None or result is None:
                self.status.show_text(failure_text("order", error or RuntimeError(
                    "no answer")), kind="error")
            else:
                self.show_result(result)
                self.submitted.emit(result)
        self._refresh()

    def show_result(self, result: TradeResult) -> None:
        """The outcome in words; an unknown one is looked up, an absent one may be resent."""
        state = result.state
        key = result.intent.client_order_id
        heading, kind = _HEADINGS.get(state, ("Sent — waiting for Webull's answer", "warn"))
        self.status.show_text(f"{heading}: {result.message}", kind=kind, links=result.links)
        self._resend_key = key
        self.resend_button.setVisible(state is IntentState.ABSENT)
        if state is IntentState.UNKNOWN:
            spawn_for(self, self.desk.resolve(key), self._resolved)

    def _resolved(self, result: TradeResult | None, error: BaseException | None) -> None:
        if error is not None or result is None:
            self.status.show_text(failure_text("lookup", error or RuntimeError("no answer")),
                                  kind="error")
            return
        self.show_result(result)
        self.submitted.emit(result)

    def resend(self) -> None:
        """Send an order Webull never received again, with the same id."""
        if self.busy or not self._resend_key:
            return
        self.busy = "submit"
        self.resend_button.hide()
        self.status.show_text("Sending the order again (same order id)…")
        self._update_actions()
        spawn_for(self, self.desk.resubmit(self._resend_key), self._submitted)

