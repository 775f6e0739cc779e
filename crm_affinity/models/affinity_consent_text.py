import hashlib

from odoo import api, fields, models
from odoo.exceptions import UserError


class AffinityConsentText(models.Model):
    """The exact words a person read when they said yes or no: kept once per version, never changed."""

    _name = "affinity.consent.text"
    _description = "Affinity Consent Text Version"
    _order = "create_date desc, id desc"
    _rec_name = "text_hash"

    text_hash = fields.Char(string="Hash (SHA-256)", required=True, readonly=True, index=True)
    body = fields.Text(string="Text", required=True, readonly=True)
    lang = fields.Char(string="Language", readonly=True)
    kind = fields.Selection(
        [("preference_centre", "Preference centre"), ("capture", "Capture form")],
        required=True,
        readonly=True,
    )
    log_ids = fields.One2many("affinity.consent.log", "text_id", string="Decisions Taken on It")

    _sql_constraints = [
        ("text_hash_uniq", "unique(text_hash)", "This text version is already kept."),
    ]

    def write(self, vals):  # pylint: disable=method-required-super
        # Never delegates to super(): the words a person agreed to are proof.
        raise UserError(self.env._("A consent text is proof: it cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("A consent text is proof: it cannot be deleted."))

    @api.model
    def _hash(self, body):
        return hashlib.sha256(body.encode()).hexdigest()

    @api.model
    def _keep(self, body, kind, lang=False):
        """The version of exactly this text, kept once whoever reads it."""
        digest = self._hash(body)
        text = self.sudo().search([("text_hash", "=", digest)], limit=1)
        return text or self.sudo().create({"text_hash": digest, "body": body, "kind": kind, "lang": lang})
