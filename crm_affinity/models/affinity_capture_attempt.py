import datetime

from odoo import api, fields, models
from odoo.tools import SQL

# How long a post counts against its sender's and its address's hourly allowance.
WINDOW = datetime.timedelta(hours=1)


class AffinityCaptureAttempt(models.Model):
    """One post to the capture endpoint: what the hourly limits per IP and per address count."""

    _name = "affinity.capture.attempt"
    _description = "Affinity Consent Capture Attempt"
    _order = "create_date desc, id desc"

    ip_address = fields.Char(string="IP Address", index=True, readonly=True)
    address = fields.Char(index=True, readonly=True, help="The e-mail or phone the form spoke of.")
    accepted = fields.Boolean(readonly=True)

    @api.model
    def _allowed(self, ip_address, address):
        """Is one more post within the hour's limits? Every post is counted, refused ones too."""
        # Posts from one IP, or for one address, wait for each other until committed: with several workers,
        # two concurrent posts must not both see room for one more.
        for key in filter(None, (ip_address, address)):
            self.env.execute_query(
                SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", f"crm_affinity.capture:{key}")
            )
        params = self.env["ir.config_parameter"].sudo()
        limit_ip = int(params.get_param("crm_affinity.capture_limit_ip", 20))
        limit_address = int(params.get_param("crm_affinity.capture_limit_address", 3))
        since = fields.Datetime.now() - WINDOW
        attempts = self.sudo()
        if attempts.search_count([("ip_address", "=", ip_address), ("create_date", ">=", since)]) >= limit_ip:
            return False
        return not (
            address
            and attempts.search_count(
                [("address", "=", address), ("accepted", "=", True), ("create_date", ">=", since)]
            )
            >= limit_address
        )

    @api.model
    def _gc_attempts(self):
        """Attempts older than a day count for nothing any more."""
        self.sudo().search(
            [("create_date", "<", fields.Datetime.now() - datetime.timedelta(days=1))]
        ).unlink()
