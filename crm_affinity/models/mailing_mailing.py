from odoo import fields, models
from odoo.osv import expression

from ..tools.reasons import MAILING_UNBLOCKED_REASONS

# The leaves by which Odoo's default recipients of a mailing leave blacklisted addresses out.
BLACKLIST_LEAVES = (("is_blacklisted", "=", False), ("phone_sanitized_blacklisted", "=", False))
TRUE_LEAF = expression.TRUE_LEAF


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    affinity_priority = fields.Boolean(
        string="Priority (Over the Contact Budget)",
        groups="crm_affinity.group_affinity_manager",
        help="A priority mailing counts against each person's contact budget but is not held back by it "
        "(consent, quiet days and blacklists still are).",
    )

    affinity_purpose_id = fields.Many2one(
        "affinity.purpose",
        string="Purpose",
        groups="crm_affinity.group_affinity_manager",
        help="Empty: marketing, which needs consent and obeys the blacklists and the contact budget. A service "
        "mailing (an order, an appointment, a change of terms) asks the service consent: a person's marketing "
        "'no' does not stop it, and Odoo's blacklists stop it only where the person put themselves on them.",
    )

    def _get_recipients_domain(self):
        """Odoo's default recipients leave blacklisted addresses out; a service mailing keeps them at the send,
        for the send to tell a mirrored marketing "no" from a person's own blacklisting. The domain as the
        person set it is kept."""
        domain = super()._get_recipients_domain()
        if self._affinity_purpose_passes_mirrors():
            domain = [
                TRUE_LEAF if isinstance(leaf, (list, tuple)) and tuple(leaf) in BLACKLIST_LEAVES else leaf
                for leaf in expression.normalize_domain(domain)
            ]
        return domain

    def _affinity_purpose_passes_mirrors(self):
        """Is this mailing's purpose one that a marketing "no" does not stop (a service mailing)?"""
        purpose = self._affinity_purpose()
        return purpose.code != "marketing" and not purpose.pressure

    def _affinity_purpose(self):
        """The purpose the contact decision asks for this mailing: marketing unless an administrator said."""
        self.ensure_one()
        return self.sudo().affinity_purpose_id or self.env.ref("crm_affinity.affinity_purpose_marketing")

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
            channel_code,
            self._affinity_purpose(),
            check_window=False,
            check_pressure=not self.sudo().affinity_priority,
        )
        blocked = {}
        for res_id, partner_id in partner_by_record.items():
            decision = decisions.get(partner_id)
            if decision and not decision.allowed and decision.reason not in MAILING_UNBLOCKED_REASONS:
                blocked[res_id] = decision.reason
        return blocked

    def _affinity_cancel_reasons(self, res_ids, channel_code, odoo_blacklisted):
        """{res_id: reason} of the records to cancel, each with the consent's own reason.

        ``odoo_blacklisted``: the records Odoo's blacklist cancelled already; each gets the reason the
        decision gives, or *blacklisted* when the decision lets it through (a service message to a person
        who put themselves on Odoo's blacklist), instead of Odoo's bare code."""
        reasons = self._affinity_consent_blocked(res_ids, channel_code)
        if odoo_blacklisted:
            partner_by_record = self._affinity_partner_by_record(list(odoo_blacklisted), channel_code)
            for res_id in odoo_blacklisted:
                if res_id in partner_by_record:
                    reasons.setdefault(res_id, "blacklisted")
        return reasons

    def _affinity_blacklist_mirrors(self, res_ids, channel_code):
        """Of the records Odoo's blacklist would stop, those a mailing of a purpose that is not marketing
        still reaches: their partner's entry only mirrors a marketing "no" given elsewhere (the preference
        centre, a call, an import), which speaks for marketing alone. An entry the person put on Odoo's
        blacklist themselves (their marketing consent then says *Odoo blacklist*) is honoured."""
        self.ensure_one()
        if not res_ids or not self._affinity_purpose_passes_mirrors():
            return set()
        partner_by_record = self._affinity_partner_by_record(list(res_ids), channel_code)
        if not partner_by_record:
            return set()
        mirrored = (
            self.env["affinity.consent"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", list(set(partner_by_record.values()))),
                    ("channel_id.code", "=", channel_code),
                    ("purpose_id.code", "=", "marketing"),
                    ("state", "=", "denied"),
                    ("source", "!=", "blacklist"),
                ]
            )
            .partner_id.ids
        )
        return {res_id for res_id, partner_id in partner_by_record.items() if partner_id in mirrored}

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
