from odoo import models


class AffinityCodedMixin(models.AbstractModel):
    """Configuration records that code refers to by a stable code (channels, purposes)."""

    _name = "affinity.coded.mixin"
    _inherit = ["affinity.cached.names.mixin"]
    _description = "Affinity Record with a Code"

    def _get_by_code(self, code):
        """Resolve a code to its record, so callers may pass either."""
        if isinstance(code, models.BaseModel):
            return code
        return self.with_context(active_test=False).search([("code", "=", code)], limit=1)
