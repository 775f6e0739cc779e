import time

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.dates import turkish_to_utc
from ..tools.iys import CHANNEL_TO_IYS, IYS_PURPOSE, IYS_STATUS, STATE_TO_IYS, iys_holds
from ..tools.iys_client import IysError
from ..tools.records import reopen

STATES = [("ONAY", "ONAY"), ("RET", "RET"), ("none", "Nothing")]


class AffinityIysReconcile(models.TransientModel):
    """Ours beside IYS's, for the partners chosen: every difference aligned in one click, either way."""

    _name = "affinity.iys.reconcile"
    _description = "Affinity IYS Reconciliation"

    account_id = fields.Many2one(
        "affinity.iys.account",
        required=True,
        default=lambda self: self.env["affinity.iys.account"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Partners",
        default=lambda self: (
            self.env.context.get("active_model") == "res.partner" and self.env.context.get("active_ids")
        ),
        help="Leave empty to compare every partner with a consent on an IYS channel.",
    )
    line_ids = fields.One2many("affinity.iys.reconcile.line", "wizard_id", string="Differences")
    compared = fields.Integer(readonly=True)

    def action_compare(self):
        """Ask IYS for each recipient's status, at the account's pace, and keep the differences."""
        self.ensure_one()
        # IYS answers 404 both for a recipient it holds nothing for and for a brand it does not know: the
        # brand is found first (Test connection), or every recipient would look unregistered.
        self.account_id.action_test_connection()
        consents = self._consents()
        client = self.account_id._client()
        pause = 1.0 / max(self.account_id.status_per_second, 1)
        lines, mirrors = [], []
        next_at = time.monotonic()
        for consent in consents:
            recipient = consent.partner_id._affinity_iys_recipient(consent.channel_id)
            if not iys_holds(CHANNEL_TO_IYS[consent.channel_id.code], recipient):
                # No address, or a number outside Turkey that IYS never holds: nothing to compare.
                continue
            # At most the account's pace: the time a request took counts towards the wait.
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at = time.monotonic() + pause
            try:
                current = client.status(
                    recipient,
                    consent.partner_id._affinity_iys_recipient_type(),
                    CHANNEL_TO_IYS[consent.channel_id.code],
                )
            except IysError as error:
                self.account_id._handle_account_error(client, error)
                # In plain words, saying what to do (as Test connection does): nothing was changed.
                raise UserError(self.account_id._connection_error_text(error)) from None
            theirs = current.get("status") if current else "none"
            # What IYS said is kept on the consent as well (its status, moment and the time it was read),
            # agreeing or not: the decision reads it once IYS is switched on.
            mirrors.append(
                (
                    consent.partner_id.id,
                    consent.channel_id.id,
                    current.get("status") if current else None,
                    turkish_to_utc((current or {}).get("consentDate")),
                    (current or {}).get("transactionId"),
                )
            )
            ours = STATE_TO_IYS.get(consent.state, "none")
            if theirs != ours and not (ours == "none" and theirs == "RET"):
                lines.append(
                    {
                        "consent_id": consent.id,
                        "ours": ours,
                        "theirs": theirs,
                        "theirs_date": turkish_to_utc((current or {}).get("consentDate")),
                        "recipient": recipient,
                    }
                )
        self.account_id._save_tokens(client)
        purpose = self.env["affinity.purpose"]._get_by_code(IYS_PURPOSE)
        self.account_id._mirror_statuses(purpose, mirrors, confirmed=True)
        self.line_ids.unlink()
        self.write({"line_ids": [(0, 0, vals) for vals in lines], "compared": len(consents)})
        return self._reopen()

    def _consents(self):
        domain = [
            ("channel_id.code", "in", list(CHANNEL_TO_IYS)),
            ("purpose_id.code", "=", IYS_PURPOSE),
            ("company_id", "in", [self.account_id.company_id.id, False]),
        ]
        if self.partner_ids:
            domain.append(("partner_id", "in", self.partner_ids.ids))
        return self.env["affinity.consent"].search(domain)

    def _reopen(self):
        return reopen(self)


class AffinityIysReconcileLine(models.TransientModel):
    _name = "affinity.iys.reconcile.line"
    _description = "Affinity IYS Reconciliation Line"

    wizard_id = fields.Many2one("affinity.iys.reconcile", required=True, ondelete="cascade")
    consent_id = fields.Many2one("affinity.consent", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="consent_id.partner_id")
    channel_id = fields.Many2one(related="consent_id.channel_id")
    recipient = fields.Char()
    ours = fields.Selection(STATES)
    theirs = fields.Selection(STATES, string="IYS")
    theirs_date = fields.Datetime(
        string="IYS Consent Date", help="When the person gave the status IYS holds (IYS's consentDate)."
    )
    done = fields.Boolean(readonly=True)

    def action_take_iys(self):
        """IYS's status becomes ours, in the history with source IYS."""
        for line in self.filtered(lambda line: not line.done):
            consent = line.consent_id
            state = IYS_STATUS.get(line.theirs, "not_asked")
            consent.partner_id._affinity_set_consent(
                consent.channel_id,
                consent.purpose_id,
                state,
                source="iys",
                note=self.env._("Aligned with IYS by reconciliation"),
                # The person's own moment, as IYS holds it, when IYS holds one.
                date_given=line.theirs_date or None,
            )
            consent.write(
                {
                    "iys_status": line.theirs if line.theirs != "none" else False,
                    "iys_synced_at": fields.Datetime.now(),
                }
            )
            line.done = True
        return self.wizard_id._reopen()

    def action_send_ours(self):
        """Ours goes to IYS: a queue row for the newest history row of each consent, queued together."""
        lines = self.filtered(lambda line: not line.done)
        logs = self.env["affinity.consent.log"]
        for line in lines:
            log = line.consent_id.log_ids.sorted("id")[-1:]
            if not log:
                raise UserError(self.env._("The consent of %s has no history to send.", line.partner_id.name))
            logs |= log
        queued = set(self.env["affinity.iys.push"]._enqueue(logs).consent_id.ids)
        for line in lines:
            if line.consent_id.id not in queued:
                if line.wizard_id.account_id.state != "on":
                    raise UserError(
                        self.env._(
                            "Nothing is sent to IYS before it is switched on: Switch IYS on registers "
                            "our consents in the same step."
                        )
                    )
                raise UserError(
                    self.env._(
                        "Nothing to send for %s: IYS needs no rejection for a recipient it never approved.",
                        line.partner_id.name,
                    )
                )
        lines.done = True
        return self.wizard_id[:1]._reopen()
