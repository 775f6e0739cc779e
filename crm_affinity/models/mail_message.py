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
        """A note, an e-mail or a done activity about a partner is an interaction with them.

        Decided from the values in hand: a tracking message or a notification costs no query, and the
        messages of one call bump their partners in one statement.
        """
        relevant = self.filtered(lambda m: m.mail_activity_type_id or m.message_type in INTERACTION_TYPES)
        if not relevant:
            return
        # What OdooBot posts (automated greetings, crons) is not a person getting in touch. The id comes
        # from the cached xmlid lookup: env.ref() would check the record exists on every message.
        robot_id = self.env["ir.model.data"]._xmlid_to_res_id("base.partner_root", raise_if_not_found=False)
        partner_ids = set()
        by_model = {}
        for message in relevant:
            author_id = message.author_id.id
            if author_id and author_id == robot_id:
                continue
            is_activity = bool(message.mail_activity_type_id)
            if message.model == "res.partner" and message.res_id:
                partner_ids.add(message.res_id)
            elif message.model in ("crm.lead", "sale.order") and message.res_id and is_activity:
                by_model.setdefault(message.model, set()).add(message.res_id)
            if message.message_type == "email" and author_id:
                partner_ids.add(author_id)
        partners = self.env["res.partner"].browse(partner_ids)
        for model, res_ids in by_model.items():
            partners |= self.env[model].sudo().browse(res_ids).partner_id
        if partners:
            partners._affinity_bump_interaction()
