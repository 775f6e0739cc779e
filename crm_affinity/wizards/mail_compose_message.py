from odoo import api, fields, models

from ..tools.reasons import failure_type_for


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    affinity_caution_text = fields.Text(compute="_compute_affinity_caution_text")

    @api.depends("partner_ids", "model", "res_ids", "composition_mode")
    def _compute_affinity_caution_text(self):
        for composer in self:
            partners = composer.partner_ids
            if composer.model == "res.partner" and composer.composition_mode == "comment":
                partners |= self.env["res.partner"].browse(composer._evaluate_res_ids()).exists()
            composer.affinity_caution_text = partners._affinity_cautions(("email",))

    def _process_mail_values_state(self, mail_values_dict):
        """After Odoo's own checks, hold back what the partner's marketing consent forbids."""
        mail_values_dict = super()._process_mail_values_state(mail_values_dict)
        if self.mass_mailing_id and mail_values_dict:
            blocked = self.mass_mailing_id._affinity_consent_blocked(list(mail_values_dict), "email")
            for res_id, reason in blocked.items():
                mail_values = mail_values_dict[res_id]
                if mail_values.get("state") != "cancel":
                    mail_values.update(
                        state="cancel", failure_type=failure_type_for(reason), is_notification=False
                    )
        return mail_values_dict
