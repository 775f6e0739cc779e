from odoo import api, fields, models
from odoo.osv import expression

from ..tools.reasons import FAILURE_TYPES


class SmsSms(models.Model):
    _inherit = "sms.sms"

    failure_type = fields.Selection(selection_add=FAILURE_TYPES)
    affinity_send_after = fields.Datetime(
        string="Held Until",
        index="btree_not_null",
        readonly=True,
        help="Held in the queue until this moment: a mailing sent at each person's best hour.",
    )

    def _affinity_due_domain(self):
        """What the queue may send now: any SMS not held, or held until a moment that has come."""
        return [
            "|",
            ("affinity_send_after", "=", False),
            ("affinity_send_after", "<=", fields.Datetime.now()),
        ]

    @api.model
    def _search(self, domain, *args, **kwargs):
        # The queue's own search (limited to 10 000) must not fill up with SMS held for later.
        if self.env.context.get("affinity_due_sms"):
            domain = expression.AND([domain, self._affinity_due_domain()])
        return super()._search(domain, *args, **kwargs)

    @api.model
    def _process_queue(self, ids=None):
        """Odoo's SMS queue, leaving the SMS held for their recipient's best hour until it comes."""
        return super(SmsSms, self.with_context(affinity_due_sms=True))._process_queue(ids=ids)

    def send(self, unlink_failed=False, unlink_sent=True, auto_commit=False, raise_exception=False):
        """A held SMS leaves at its moment, even when a mailing asks to send at once."""
        now = fields.Datetime.now()
        due = self.filtered(lambda sms: not sms.affinity_send_after or sms.affinity_send_after <= now)
        due._affinity_cancel_withdrawn()
        return super(SmsSms, due).send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            auto_commit=auto_commit,
            raise_exception=raise_exception,
        )

    def _affinity_cancel_withdrawn(self):
        """A held SMS asks the decision again when it leaves: the ones a withdrawn consent or a full contact
        budget now forbids are cancelled with its reason (``mailing.mailing._affinity_release_held``)."""
        held = self.filtered(
            lambda sms: sms.state == "outgoing" and sms.affinity_send_after and sms.mailing_id
        )
        self.env["mailing.mailing"]._affinity_release_held(
            held, "sms", lambda sms: sms.mailing_trace_ids[:1].res_id
        )
