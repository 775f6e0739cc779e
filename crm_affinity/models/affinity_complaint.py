from odoo import api, fields, models


class AffinityComplaint(models.Model):
    """A customer's complaint, and whether they were told we are on it."""

    _name = "affinity.complaint"
    _description = "Affinity Complaint"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"

    name = fields.Char(string="Subject", required=True, tracking=True)
    partner_id = fields.Many2one("res.partner", required=True, index=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    channel_id = fields.Many2one("affinity.channel", string="Received Through")
    description = fields.Html()
    state = fields.Selection(
        [("open", "Open"), ("in_progress", "In progress"), ("resolved", "Resolved")],
        required=True,
        default="open",
        tracking=True,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, tracking=True
    )
    resolution = fields.Html()
    resolved_on = fields.Datetime(readonly=True)
    apology_given = fields.Boolean(string="Apology / Gift Given")
    apology_note = fields.Char(string="What Was Given")
    last_update_sent = fields.Datetime(
        string="Customer Last Told",
        help="When the customer was last told their complaint is being handled.",
        tracking=True,
    )
    next_update_due = fields.Date(
        compute="_compute_next_update_due",
        store=True,
        index=True,
        help="Unresolved complaints: the customer should hear from us again by this day.",
    )

    @api.depends("state", "date", "last_update_sent")
    def _compute_next_update_due(self):
        interval = 3
        for complaint in self:
            if complaint.state == "resolved" or not complaint.date:
                complaint.next_update_due = False
                continue
            last = complaint.last_update_sent or complaint.date
            complaint.next_update_due = fields.Date.add(last.date(), days=interval)

    def write(self, vals):
        if vals.get("state") == "resolved" and "resolved_on" not in vals:
            vals = dict(vals, resolved_on=fields.Datetime.now())
        return super().write(vals)

    def action_start(self):
        self.write({"state": "in_progress"})

    def action_resolve(self):
        self.write({"state": "resolved"})

    def action_customer_told(self):
        """Someone told the customer by hand: the keep-informed clock restarts."""
        self.write({"last_update_sent": fields.Datetime.now()})
