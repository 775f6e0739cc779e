from markupsafe import Markup

from odoo import fields, models, tools
from odoo.tools.mail import append_content_to_html

from ..tools.reasons import FAILURE_TYPES
from .affinity_preference_centre import PLACEHOLDER


class MailMail(models.Model):
    _inherit = "mail.mail"

    failure_type = fields.Selection(selection_add=FAILURE_TYPES)

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        """A message held for its person's best hour asks the decision again when it leaves: a consent
        withdrawn while it waited stops it."""
        self._affinity_cancel_withdrawn()
        return super().send(
            auto_commit=auto_commit, raise_exception=raise_exception, post_send_callback=post_send_callback
        )

    def _affinity_cancel_withdrawn(self):
        """Cancel the held mass-mailing e-mails the decision now forbids, with its reason
        (``mailing.mailing._affinity_release_held``)."""
        held = self.filtered(
            lambda mail: (
                mail.state == "outgoing" and mail.mailing_id.affinity_best_hour and mail.scheduled_date
            )
        )
        self.env["mailing.mailing"]._affinity_release_held(held, "email", lambda mail: mail.res_id)

    def _prepare_outgoing_list(self, mail_server=False, recipients_follower_status=None):
        """Each recipient gets their own preference link: in place of the placeholder, or as a footer."""
        email_list = super()._prepare_outgoing_list(
            mail_server=mail_server, recipients_follower_status=recipients_follower_status
        )
        base_url = self.get_base_url()
        placeholder = f"{base_url}{PLACEHOLDER}"
        for email_values in email_list:
            body = email_values.get("body")
            has_placeholder = bool(body) and placeholder in body
            if not email_values.get("email_to") or not (has_placeholder or self.mailing_id):
                continue
            partner = self._affinity_recipient_partner(email_values)
            if not partner:
                continue
            link = self.env["affinity.preference.centre"].sudo()._link(partner)
            if has_placeholder:
                email_values["body"] = body.replace(placeholder, link)
            elif not tools.is_html_empty(body):
                label = self.env._("Manage your communication preferences")
                footer = Markup('<p style="font-size: 12px; color: #666666;"><a href="%s">%s</a></p>') % (
                    link,
                    label,
                )
                email_values["body"] = append_content_to_html(body, footer, plaintext=False)
        return email_list

    def _affinity_recipient_partner(self, email_values):
        """The partner a message reaches: its recipient, its record, else the owner of the address."""
        Partner = self.env["res.partner"].sudo()
        if email_values.get("partner_id"):
            return email_values["partner_id"].sudo()
        if self.model == "res.partner" and self.res_id:
            return Partner.browse(self.res_id).exists()
        normalized = tools.email_normalize(email_values["email_to"][0], strict=False)
        return Partner.search([("email_normalized", "=", normalized)], limit=1) if normalized else Partner
