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
        by_model = defaultdict(set)
        for record in self:
            by_model[record.model].add(record.res_id)
        partners = {model: self._affinity_partners_of(model, res_ids) for model, res_ids in by_model.items()}
        for record in self:
            record.affinity_partner_id = partners[record.model].get(record.res_id, False)

    @api.model
    def _affinity_partners_of(self, model, res_ids):
        """{res id: partner id} of a model's records, as Odoo's mail finds a record's partners now; one read
        for the whole set: a journey enters thousands of records at once."""
        res_ids = [res_id for res_id in res_ids if res_id]
        if not model or model not in self.env or not res_ids:
            return {}
        targets = self.env[model].sudo().browse(res_ids).exists()
        if model == "res.partner":
            return {partner.id: partner.id for partner in targets}
        return {res_id: found[:1].id for res_id, found in targets._mail_get_partners().items()}
