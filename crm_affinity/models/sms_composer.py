from odoo import api, fields, models

from .affinity_reasons import failure_type_for


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    affinity_caution_text = fields.Text(compute="_compute_affinity_caution_text")

    @api.depends("res_model", "res_id", "res_ids", "composition_mode")
    def _compute_affinity_caution_text(self):
        for composer in self:
            partners = self.env["res.partner"]
            if composer.composition_mode == "comment" and composer.res_model and composer.res_id:
                record = self.env[composer.res_model].browse(composer.res_id).exists()
                partners = record._affinity_partners_of_record()
            composer.affinity_caution_text = partners._affinity_cautions(("sms", "whatsapp"))

    def _prepare_mass_sms_values(self, records):
        result = super()._prepare_mass_sms_values(records)
        if self.composition_mode == "mass" and self.mailing_id:
            blocked = self.mailing_id._affinity_consent_blocked(records.ids, "sms")
            for res_id, reason in blocked.items():
                sms_values = result.get(res_id)
                if not sms_values or sms_values["state"] != "outgoing":
                    continue
                failure_type = failure_type_for(reason)
                sms_values.update(state="canceled", failure_type=failure_type)
                for command in sms_values.get("mailing_trace_ids") or []:
                    command[2].update(trace_status="cancel", failure_type=failure_type)
        return result
