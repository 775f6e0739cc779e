from odoo import models


class Base(models.AbstractModel):
    _inherit = "base"

    def _affinity_partners_of_record(self):
        """The partners a message about this record would reach."""
        if self._name == "res.partner":
            return self
        if "partner_id" in self._fields and self._fields["partner_id"].comodel_name == "res.partner":
            return self.partner_id
        return self.env["res.partner"]
