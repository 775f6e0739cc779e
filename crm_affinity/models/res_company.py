from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    affinity_consent_mode = fields.Selection(
        [("opt_out", "Opt-out: not asked means allowed"), ("opt_in", "Opt-in: not asked means not allowed")],
        string="Consent Mode",
        default="opt_out",
        required=True,
        help="Opt-in is what KVKK/IYS and GDPR demand for marketing messages.",
    )
    affinity_relationship_commercial = fields.Boolean(
        string="Greetings Need Marketing Consent",
        compute="_compute_affinity_relationship_commercial",
        store=True,
        readonly=False,
        help="IYS counts holiday and special-day greetings as commercial messages.",
    )
    affinity_lapse_factor = fields.Float(
        string="Lapse Factor",
        default=1.5,
        help="A customer lapses after this many times their usual purchase interval without buying.",
    )
    affinity_lapse_min_days = fields.Integer(
        string="Lapse Minimum (days)", default=60, help="Never call a customer lapsing before this many days."
    )
    affinity_window_ids = fields.One2many(
        "affinity.contact.window",
        "company_id",
        string="Default Contact Windows",
        domain=[("partner_id", "=", False)],
    )

    @api.depends("country_id")
    def _compute_affinity_relationship_commercial(self):
        for company in self:
            company.affinity_relationship_commercial = company.country_id.code == "TR"

    def _affinity_default_windows(self, channel):
        """Company-wide windows for a channel: (weekday, from, to) tuples, channel rows first."""
        self.ensure_one()
        windows = self.sudo().affinity_window_ids
        chosen = windows.filtered(lambda w: w.channel_id == channel) or windows.filtered(
            lambda w: not w.channel_id
        )
        return [(int(w.weekday), w.hour_from, w.hour_to) for w in chosen]
