from collections import defaultdict

from odoo import api, fields, models

PILOT_GROUPS = [("pilot", "Pilot"), ("control", "Control"), ("rollout", "Rollout")]


class AutomationRecord(models.Model):
    _inherit = "automation.record"

    affinity_partner_id = fields.Many2one(
        "res.partner",
        string="Person Reached",
        compute="_compute_affinity_partner_id",
        store=True,
        index="btree_not_null",
        help="The person this journey's messages reach, found as Odoo's mail finds a record's partners: "
        "the consent decision is asked for this person.",
    )
    affinity_group = fields.Selection(
        PILOT_GROUPS,
        string="Pilot Group",
        readonly=True,
        help="Pilot: entered during the pilot and got its steps. Control: entered during the pilot, held out "
        "without steps to compare with. Rollout: entered when the journey was rolled out to everyone.",
    )

    @api.depends("model", "res_id")
    def _compute_affinity_partner_id(self):
        partners = self._affinity_current_partners()
        for record in self:
            record.affinity_partner_id = partners.get(record.id, False)

    def _affinity_current_partners(self):
        """{record id: partner id} as Odoo's mail finds each record's partners now; one read per model for
        the whole set: a journey enters thousands of records at once."""
        by_model = defaultdict(list)
        for record in self:
            if record.model in self.env and record.res_id:
                by_model[record.model].append(record)
        partners = {}
        for model, records in by_model.items():
            targets = self.env[model].browse([record.res_id for record in records]).exists()
            if model == "res.partner":
                found = {partner.id: partner.id for partner in targets}
            else:
                found = {res_id: found[:1].id for res_id, found in targets._mail_get_partners().items()}
            partners.update((record.id, found.get(record.res_id, False)) for record in records)
        return partners
