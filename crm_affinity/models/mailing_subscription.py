from odoo import models


class MailingSubscription(models.Model):
    _inherit = "mailing.subscription"

    def write(self, vals):
        """A list opt-out made on Odoo's own unsubscribe page lands in the partner's consent history."""
        newly_out = self.filtered(lambda sub: not sub.opt_out) if vals.get("opt_out") else self.browse()
        result = super().write(vals)
        if newly_out:
            newly_out._affinity_log_opt_out()
        return result

    def _affinity_log_opt_out(self):
        emails = {sub.contact_id.email_normalized for sub in self if sub.contact_id.email_normalized}
        if not emails:
            return
        partners = self.env["res.partner"].sudo().search([("email_normalized", "in", list(emails))])
        by_email = {}
        for partner in partners:
            by_email.setdefault(partner.email_normalized, partner)
        centre = self.env["affinity.preference.centre"].sudo()
        for sub in self:
            partner = by_email.get(sub.contact_id.email_normalized)
            if partner:
                centre._log_event(
                    partner,
                    self.env._("Unsubscribed from the mailing list %s", sub.list_id.name),
                    "unsubscribe",
                    None,
                )
