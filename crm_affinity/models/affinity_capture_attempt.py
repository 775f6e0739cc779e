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
    address = fields.Char(index=True, readonly=True, help="The e-mail the form spoke of, else its number.")
    phone_key = fields.Char(index=True, readonly=True, help="The number the form spoke of (its line).")
    grants = fields.Boolean(readonly=True, help="The post asked for a grant (a confirmation message).")
    accepted = fields.Boolean(readonly=True)

    @api.model
    def _record(self, ip_address, email, phone_key, grants):
        """Count one post, if the hour's limits leave room for it: (attempt, allowed).

        Every post counts against its IP, refused ones too. Only posts that ask for a grant count against
        the e-mail and the number they name, both: a grant sends that person a message, a withdrawal must
        never be refused because others wrote about the same person.
        """
        self._serialize([ip_address, *sorted(filter(None, {email, phone_key}))])
        params = self.env["ir.config_parameter"].sudo()
        limit_ip = int(params.get_param("crm_affinity.capture_limit_ip", 20))
        limit_address = int(params.get_param("crm_affinity.capture_limit_address", 3))
        since = fields.Datetime.now() - WINDOW
        attempts = self.sudo()
        allowed = (
            attempts.search_count([("ip_address", "=", ip_address), ("create_date", ">=", since)]) < limit_ip
        )
        for field, key in (("address", email or phone_key), ("phone_key", phone_key)):
            if allowed and grants and key:
                domain = [
                    (field, "=", key),
                    ("accepted", "=", True),
                    ("grants", "=", True),
                    ("create_date", ">=", since),
                ]
                allowed = attempts.search_count(domain) < limit_address
        attempt = attempts.create(
            {
                "ip_address": ip_address,
                "address": email or phone_key,
                "phone_key": phone_key,
                "grants": grants,
            }
        )
        return attempt, allowed

    @api.model
    def _serialize(self, keys):
        """Posts from one IP, or about one person, one after the other, each reading what the one before
        committed. Odoo reads a request's data as of its start: a request that had to wait for another is
        replayed by Odoo (as on any serialization failure) with a fresh view, so no limit is overshot and no
        person created twice, whatever the number of workers."""
        for key in keys:
            lock = f"crm_affinity.capture:{key}"
            [[free]] = self.env.execute_query(SQL("SELECT pg_try_advisory_xact_lock(hashtext(%s))", lock))
            if not free:
                self.env.execute_query(SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", lock))
                self.env.cr.execute(
                    "DO $$ BEGIN RAISE EXCEPTION 'another post about the same sender or person committed first' "
                    "USING ERRCODE = 'serialization_failure'; END $$",
                    log_exceptions=False,
                )

    @api.model
    def _gc_attempts(self):
        """Attempts older than a day count for nothing any more."""
        self.sudo().search(
            [("create_date", "<", fields.Datetime.now() - datetime.timedelta(days=1))]
        ).unlink()
