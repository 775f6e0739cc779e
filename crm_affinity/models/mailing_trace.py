from odoo import fields, models
from odoo.tools.sql import create_index

from ..tools.reasons import FAILURE_TYPES

# A trace whose message went out has one of these statuses: the budget counts only those, and the partners'
# index holds only those; the index serves a count only while both say the same (a change here needs a
# migration that drops the index, which ``init`` then builds again). Read from Odoo 18's own labels
# (mass_mailing/models/mailing_trace.py): "Sent" (pending: handed to the provider, an SMS whose delivery
# report may never come), "Delivered" (sent), "Opened" (open), "Replied" (reply). Not yet out: "Outgoing",
# "Processing"; never reached the person: "Bounced", "Exception", "Cancelled".
WENT_OUT_STATUSES = ("pending", "sent", "open", "reply")

# The contact budget counts sent traces per partner and per address: these indexes serve that count. The
# partners' one holds only the traces that went out, and every column the count reads (the mailing too, for
# the mailings whose purpose does not count, as a service mailing): a month of them is
# counted from the index alone, in partner order. Older traces are stepped over inside each partner's entries
# (PostgreSQL 15 cannot skip to a partner's month): ~17 ms per million of them for 100 000 recipients.
PRESSURE_INDEXES = [
    (
        "mailing_trace_affinity_partner_went_out_idx",
        "mailing_trace",
        ["res_id", "sent_datetime", "mass_mailing_id"],
        f"model = 'res.partner' AND sent_datetime IS NOT NULL AND trace_status IN {WENT_OUT_STATUSES}",
    ),
    (
        "mailing_trace_affinity_email_sent_idx",
        "mailing_trace",
        ["email", "sent_datetime"],
        "trace_type = 'mail' AND model != 'res.partner' AND sent_datetime IS NOT NULL",
    ),
    # Messages held for their person's best hour reserve their place in the budget: few at any time.
    (
        "mailing_trace_affinity_held_idx",
        "mailing_trace",
        ["affinity_send_after"],
        "trace_status = 'outgoing' AND affinity_send_after IS NOT NULL",
    ),
]


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    failure_type = fields.Selection(selection_add=FAILURE_TYPES)
    affinity_send_after = fields.Datetime(
        string="Held Until",
        readonly=True,
        help="A mailing sent at each person's best hour held this message until then; while its status is "
        "Outgoing, it is still waiting.",
    )

    def init(self):
        result = super().init()
        for name, table, columns, where in PRESSURE_INDEXES:
            create_index(self.env.cr, name, table, columns, where=where)
        return result
