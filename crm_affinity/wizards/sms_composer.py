from odoo import api, fields, models

from ..tools.reasons import failure_type_for
from ..tools.records import partners_of


class SmsComposer(models.TransientModel):
    _inherit = "sms.composer"

    affinity_caution_text = fields.Text(compute="_compute_affinity_caution_text")

    @api.depends("res_model", "res_id", "res_ids", "composition_mode")
    def _compute_affinity_caution_text(self):
        for composer in self:
            partners = self.env["res.partner"]
            if composer.composition_mode == "comment" and composer.res_model and composer.res_id:
                record = self.env[composer.res_model].browse(composer.res_id).exists()
                partners = partners_of(record)
            composer.affinity_caution_text = partners._affinity_cautions(("sms", "whatsapp"))

    def _get_blacklist_record_ids(self, records, recipients_info):
        """A service mailing reaches a number whose blacklisting only mirrors a marketing "no"."""
        blacklisted = super()._get_blacklist_record_ids(records, recipients_info)
        if blacklisted and self.composition_mode == "mass" and self.mailing_id:
            mirrors = self.mailing_id._affinity_blacklist_mirrors(blacklisted, "sms")
            blacklisted = [res_id for res_id in blacklisted if res_id not in mirrors]
        return blacklisted

    def _prepare_mass_sms_values(self, records):
        result = super()._prepare_mass_sms_values(records)
        if self.composition_mode == "mass" and self.mailing_id:
            # Odoo's own blacklist cancels first: those cancellations name the consent's reason too.
            odoo_blacklisted = {
                res_id for res_id, values in result.items() if values.get("failure_type") == "sms_blacklist"
            }
            blocked = self.mailing_id._affinity_cancel_reasons(records.ids, "sms", odoo_blacklisted)
            for res_id, reason in blocked.items():
                sms_values = result.get(res_id)
                if not sms_values or (sms_values["state"] != "outgoing" and res_id not in odoo_blacklisted):
                    continue
                failure_type = failure_type_for(reason)
                sms_values.update(state="canceled", failure_type=failure_type)
                for command in sms_values.get("mailing_trace_ids") or []:
                    command[2].update(trace_status="cancel", failure_type=failure_type)
            self._affinity_hold_for_best_hour(result)
            self._affinity_add_preference_links(records, result)
        return result

    def _affinity_hold_for_best_hour(self, result):
        """A best-hour mailing: each SMS still going out is held in the queue until its person's moment, or
        cancelled when none is allowed in time."""
        outgoing = [res_id for res_id, values in result.items() if values.get("state") == "outgoing"]
        hold, cancel = self.mailing_id._affinity_best_hour_plan(outgoing, "sms")
        for res_id, moment in hold.items():
            result[res_id]["affinity_send_after"] = moment
            for command in result[res_id].get("mailing_trace_ids") or []:
                command[2]["affinity_send_after"] = moment
        for res_id, reason in cancel.items():
            failure_type = failure_type_for(reason)
            result[res_id].update(state="canceled", failure_type=failure_type)
            for command in result[res_id].get("mailing_trace_ids") or []:
                command[2].update(trace_status="cancel", failure_type=failure_type)

    def _affinity_add_preference_links(self, records, result):
        """A marketing SMS carries the person's own link to their preferences, as the e-mails do, shortened
        by Odoo's link tracker as core SMS mailings shorten theirs (``/r/<code>``, then ``/s/<sms id>``
        added for the click statistics): a full signed link would make one SMS two."""
        if records._name == "res.partner":
            partners = {record.id: record for record in records}
        else:
            partners = {res_id: found[:1] for res_id, found in records._mail_get_partners().items()}
        centre = self.env["affinity.preference.centre"].sudo()
        label = self.env._("Preferences")
        links = {
            res_id: centre._link(partners[res_id])
            for res_id, sms_values in result.items()
            if partners.get(res_id) and sms_values.get("state") == "outgoing"
        }
        if not links:
            return
        # One batch for the whole mailing; a title given, so no tracker fetches its page to name it.
        tracker_values = dict(self.mailing_id._get_link_tracker_values(), title=label)
        trackers = (
            self.env["link.tracker"]
            .sudo()
            .search_or_create([dict(tracker_values, url=url) for url in links.values()])
        )
        for res_id, tracker in zip(links, trackers, strict=True):
            result[res_id]["body"] = f"{result[res_id]['body']}\n{label}: {tracker.short_url}"
