from odoo import api, models, tools


class AffinityCodedMixin(models.AbstractModel):
    """Configuration records that code refers to by a stable code (channels, purposes)."""

    _name = "affinity.coded.mixin"
    _description = "Affinity Record with a Code"

    def _get_by_code(self, code):
        """Resolve a code to its record, so callers may pass either."""
        if isinstance(code, models.BaseModel):
            return code
        return self.with_context(active_test=False).search([("code", "=", code)], limit=1)

    @api.model
    @tools.ormcache("self.env.lang")
    def _names_by_id(self):
        """{id: name} in the reader's language: a few rows summaries read on every partner form."""
        records = self.sudo().with_context(active_test=False).search([("code", "!=", False)])
        return {record.id: record.name for record in records}

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if "name" in vals or "active" in vals:
            self.env.registry.clear_cache()
        return super().write(vals)
