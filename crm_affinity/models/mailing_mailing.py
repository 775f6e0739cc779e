from odoo import fields, models

from ..tools.reasons import MAILING_UNBLOCKED_REASONS


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    affinity_priority = fields.Boolean(
        string="Priority (Over the Contact Budget)",
        groups="crm_affinity.group_affinity_manager",
        help="A priority mailing counts against each person's contact budget but is not held back by it "
        "(consent, quiet days and blacklists still are).",
    )

    def _affinity_consent_blocked(self, res_ids, channel_code):
        """Target records the contact decision holds back from this mailing: {res_id: reason}."""
        self.ensure_one()
        partner_by_record = self._affinity_partner_by_record(res_ids, channel_code)
        if not partner_by_record:
            return {}
        partners = self.env["res.partner"].browse(set(partner_by_record.values()))
        # A citizen's RET reaches no pull (changes?source=IYS answers empty): stale approvals are asked first.
        self.env["affinity.iys.account"].sudo()._confirm_before_sending(partners, channel_code)
        decisions = partners._affinity_contact_decision(
            channel_code, "marketing", check_window=False, check_pressure=not self.sudo().affinity_priority
        )
        blocked = {}
        for res_id, partner_id in partner_by_record.items():
            decision = decisions.get(partner_id)
            if decision and not decision.allowed and decision.reason not in MAILING_UNBLOCKED_REASONS:
                blocked[res_id] = decision.reason
        return blocked

    def _affinity_partner_by_record(self, res_ids, channel_code):
        """The partner each target stands for: itself, its partner_id, or the partner with its address."""
        if self.mailing_model_real == "res.partner":
            # The decision reads the partners themselves; a deleted one simply gets no decision.
            return dict(zip(res_ids, res_ids, strict=True))
        records = self.env[self.mailing_model_real].browse(res_ids).exists()
        if "partner_id" in records._fields:
            linked = {record.id: record.partner_id.id for record in records if record.partner_id}
        else:
            linked = {}
        unlinked = records.filtered(lambda r: r.id not in linked)
        if channel_code == "email" and unlinked and "email_normalized" in unlinked._fields:
            emails = {r.id: r.email_normalized for r in unlinked if r.email_normalized}
            partners = self.env["res.partner"].search_read(
                [("email_normalized", "in", list(set(emails.values())))], ["email_normalized"]
            )
            partner_by_email = {p["email_normalized"]: p["id"] for p in partners}
            for res_id, email in emails.items():
                if email in partner_by_email:
                    linked[res_id] = partner_by_email[email]
        return linked
