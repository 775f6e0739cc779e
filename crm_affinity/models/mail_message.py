from odoo import api, models

# A note, a chatter message or an incoming e-mail; not the e-mails a mass mailing generates.
INTERACTION_TYPES = ("comment", "email")


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        messages._affinity_bump_partners()
        return messages

    def _affinity_bump_partners(self):
        """A note, an e-mail or a done activity about a partner is an interaction with them."""
        partner_ids = set()
        by_model = {}
        # What OdooBot posts (automated greetings, crons) is not a person getting in touch.
        robot = self.env.ref("base.partner_root", raise_if_not_found=False)
        for message in self:
            if robot and message.author_id == robot:
                continue
            is_activity = bool(message.mail_activity_type_id)
            if (
                message.model == "res.partner"
                and message.res_id
                and (message.message_type in INTERACTION_TYPES or is_activity)
            ):
                partner_ids.add(message.res_id)
            elif message.model in ("crm.lead", "sale.order") and message.res_id and is_activity:
                by_model.setdefault(message.model, set()).add(message.res_id)
            if message.message_type == "email" and message.author_id:
                partner_ids.add(message.author_id.id)
        partners = self.env["res.partner"].browse(partner_ids)
        for model, res_ids in by_model.items():
            partners |= self.env[model].sudo().browse(res_ids).exists().partner_id
        if partners:
            partners._affinity_bump_interaction()
