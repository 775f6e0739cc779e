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

    def _get_blacklist_record_ids(self, mail_values_dict, recipients_info=None):
        """A service mailing reaches an address whose blacklisting only mirrors a marketing "no"."""
        blacklisted = super()._get_blacklist_record_ids(mail_values_dict, recipients_info=recipients_info)
        if blacklisted and self.mass_mailing_id:
            blacklisted = set(blacklisted) - self.mass_mailing_id._affinity_blacklist_mirrors(
                blacklisted, "email"
            )
        return blacklisted

    def _process_mail_values_state(self, mail_values_dict):
        """After Odoo's own checks, hold back what the partner's consent forbids; every cancellation, Odoo's
        blacklist's too, names the consent's reason."""
        mail_values_dict = super()._process_mail_values_state(mail_values_dict)
        if self.mass_mailing_id and mail_values_dict:
            odoo_blacklisted = {
                res_id
                for res_id, values in mail_values_dict.items()
                if values.get("failure_type") == "mail_bl"
            }
            blocked = self.mass_mailing_id._affinity_cancel_reasons(
                list(mail_values_dict), "email", odoo_blacklisted
            )
            for res_id, reason in blocked.items():
                mail_values = mail_values_dict[res_id]
                if mail_values.get("state") != "cancel" or res_id in odoo_blacklisted:
                    mail_values.update(
                        state="cancel", failure_type=failure_type_for(reason), is_notification=False
                    )
            self._affinity_hold_for_best_hour(mail_values_dict)
        return mail_values_dict

    def _affinity_hold_for_best_hour(self, mail_values_dict):
        """A best-hour mailing: each message still going out waits for its person's moment (the mail queue
        sends nothing before a mail's scheduled date), or is cancelled when none is allowed in time."""
        outgoing = [res_id for res_id, values in mail_values_dict.items() if values.get("state") != "cancel"]
        hold, cancel = self.mass_mailing_id._affinity_best_hour_plan(outgoing, "email")
        for res_id, moment in hold.items():
            mail_values_dict[res_id]["scheduled_date"] = moment
        for res_id, reason in cancel.items():
            mail_values_dict[res_id].update(
                state="cancel", failure_type=failure_type_for(reason), is_notification=False
            )

    def _prepare_mail_values_mailing_traces(self, mail_values_all):
        """A held message's trace says until when it waits."""
        trace_values_all = super()._prepare_mail_values_mailing_traces(mail_values_all)
        if self.mass_mailing_id.affinity_best_hour:
            for res_id, mail_values in mail_values_all.items():
                if mail_values.get("scheduled_date") and trace_values_all.get(res_id):
                    trace_values_all[res_id]["affinity_send_after"] = mail_values["scheduled_date"]
        return trace_values_all
