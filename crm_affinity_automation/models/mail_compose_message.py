from odoo import models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _prepare_mail_values(self, res_ids):
        """A journey's e-mail goes to the one person the consent decision allowed, whatever else its template
        names (other partners, raw addresses in To or Cc), and now: the decision was asked for that person at
        this moment, not for a later date the template would queue it for."""
        result = super()._prepare_mail_values(res_ids)
        step = self.automation_record_step_id
        if step and self.composition_mode == "mass_mail":
            reached = step.sudo().affinity_partner_id
            for values in result.values():
                values.update(
                    recipient_ids=[(4, reached.id)] if reached else [],
                    email_to=False,
                    email_cc=False,
                    scheduled_date=False,
                )
        return result
