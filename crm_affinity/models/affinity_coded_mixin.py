from odoo import api, models, tools


class AffinityCodedMixin(models.AbstractModel):
    """Configuration records that code refers to by a stable code (channels, purposes)."""

    _name = "affinity.coded.mixin"
    _inherit = ["affinity.cached.names.mixin"]
    _description = "Affinity Record with a Code"

    def _get_by_code(self, code):
        """Resolve a code to its record, so callers may pass either."""
        if isinstance(code, models.BaseModel):
            return code
        return self.browse(self._id_by_code(code))

    @api.model
    @tools.ormcache("code")
    def _id_by_code(self, code):
        """The id of a code, read once: a sync resolves the same few codes for every page it writes."""
        return self.sudo().with_context(active_test=False).search([("code", "=", code)], limit=1).id

    @api.model
    @tools.ormcache("self.env.lang")
    def _names_by_code(self):
        """{code: name} in the reader's language, from the same cache policy as ``_names_by_id``."""
        records = self.sudo().with_context(active_test=False).search([("code", "!=", False)])
        return {record.code: record.name for record in records}
