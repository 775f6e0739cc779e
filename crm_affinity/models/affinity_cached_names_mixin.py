from odoo import api, models, tools


class AffinityCachedNamesMixin(models.AbstractModel):
    """A few configuration rows whose names every partner form shows: read once per language, cached."""

    _name = "affinity.cached.names.mixin"
    _description = "Affinity Names Read from a Cache"

    @api.model
    @tools.ormcache("self.env.lang")
    def _names_by_id(self):
        """{id: name} in the reader's language."""
        records = self.sudo().with_context(active_test=False).search([("name", "!=", False)])
        return {record.id: record.name for record in records}

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if {"name", "code"} & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
