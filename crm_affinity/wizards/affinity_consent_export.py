import csv
import io
import re

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.iys import STATE_TO_IYS, iys_source_and_date
from ..tools.xlsx import XLSX_MIMETYPE, Workbook, download_action, safe_cell

IYS_RECIPIENT = re.compile(r"^(\+\d{7,15}|[^=+\-@\s][^\s]*@[^\s]+)$")


class AffinityConsentExport(models.TransientModel):
    """Consents out of Odoo: the IYS bulk layout to reconcile with IYS, or the proof workbook for audits."""

    _name = "affinity.consent.export"
    _description = "Export Consents"

    layout = fields.Selection(
        [("iys", "IYS bulk file (CSV)"), ("proof", "Consent proof (XLSX: state and full history)")],
        required=True,
        default="proof",
    )
    partner_ids = fields.Many2many("res.partner", string="Partners", help="Empty: every partner.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and self.env.context.get("active_ids"):
            values["partner_ids"] = [(6, 0, self.env.context["active_ids"])]
        return values

    def _consent_domain(self):
        return [("partner_id", "in", self.partner_ids.ids)] if self.partner_ids else []

    def action_export(self):
        self.ensure_one()
        if self.layout == "iys":
            content, filename, mimetype = self._iys_csv(), "iys_consents.csv", "text/csv"
        else:
            content = self._proof_xlsx()
            filename = "consent_proof.xlsx"
            mimetype = XLSX_MIMETYPE
        return download_action(self, content, filename, mimetype)

    def _iys_rows(self):
        """Marketing consents over IYS channels, one row per address, as IYS expects them."""
        consents = self.env["affinity.consent"].search(
            self._consent_domain()
            + [
                ("purpose_id.code", "=", "marketing"),
                ("channel_id.iys_type", "!=", False),
                ("state", "in", ("granted", "denied")),
            ]
        )
        rows = []
        for consent in consents:
            partner = consent.partner_id
            kind = "email" if consent.channel_id.iys_type == "EPOSTA" else "phone"
            # IYS's own date format and time (GMT+3); HS_2015 for what came before 1 May 2015.
            source, consent_date = iys_source_and_date(consent.source, consent.date_given)
            for recipient in partner._affinity_blacklist_addresses(kind):
                rows.append(
                    {
                        "recipient": recipient,
                        "type": consent.channel_id.iys_type,
                        "source": source,
                        "status": STATE_TO_IYS[consent.state],
                        "consentDate": consent_date,
                        "recipientType": partner._affinity_iys_recipient_type(),
                    }
                )
        return rows

    def _iys_csv(self):
        rows = self._iys_rows()
        if not rows:
            raise UserError(self.env._("No marketing consent over an IYS channel to export."))
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=["recipient", "type", "source", "status", "consentDate", "recipientType"]
        )
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    # A normalized e-mail or E.164 number is what IYS expects, never a formula.
                    key: value if key == "recipient" and IYS_RECIPIENT.match(value) else safe_cell(value)
                    for key, value in row.items()
                }
            )
        return buffer.getvalue().encode("utf-8")

    def _proof_xlsx(self):
        consents = self.env["affinity.consent"].search(self._consent_domain())
        log_domain = [("partner_id", "in", self.partner_ids.ids)] if self.partner_ids else []
        logs = self.env["affinity.consent.log"].search(log_domain)
        book = Workbook()
        book.table(
            self.env._("Current consents"),
            [
                self.env._("Partner"),
                self.env._("Channel"),
                self.env._("Purpose"),
                self.env._("State"),
                self.env._("Legal basis"),
                self.env._("Date"),
                self.env._("Obtained through"),
                self.env._("Proof"),
                self.env._("Recorded by"),
                self.env._("Expires"),
                self.env._("Due at IYS by"),
            ],
            [
                (
                    c.partner_id.display_name,
                    c.channel_id.name,
                    c.purpose_id.name,
                    c.state,
                    c.legal_basis,
                    c.date_given,
                    c.source,
                    c.proof_ref or "",
                    c.recorded_by_id.name or "",
                    c.expiry_date,
                    c.iys_deadline,
                )
                for c in consents
            ],
        )
        book.table(
            self.env._("History"),
            [
                self.env._("When"),
                self.env._("Partner"),
                self.env._("Address"),
                self.env._("Channel"),
                self.env._("Purpose"),
                self.env._("From"),
                self.env._("To"),
                self.env._("Obtained through"),
                self.env._("Proof"),
                self.env._("Changed by"),
                self.env._("Note"),
            ],
            [
                (
                    log.create_date,
                    log.partner_name or "",
                    log.partner_address or "",
                    log.channel_id.name,
                    log.purpose_id.name,
                    log.old_state or "",
                    log.new_state,
                    log.source or "",
                    log.proof_ref or "",
                    log.user_id.name or "",
                    log.note or "",
                )
                for log in logs
            ],
        )
        return book.close()
