from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.affinity_contact_pressure import followup_contacts_query
from ..models.mailing_trace import WENT_OUT_STATUSES


class AffinityContactReport(models.Model):
    """Commercial contacts per person and week, read from what the contact budget counts: who is pressed."""

    _name = "affinity.contact.report"
    _description = "Affinity Commercial Contacts"
    _auto = False
    _order = "week desc, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Person", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    week = fields.Date(readonly=True)
    kind = fields.Selection(
        [("mail", "E-mail (mass mailing)"), ("sms", "SMS (mass mailing)"), ("followup", "Follow-up")],
        readonly=True,
    )
    contacts = fields.Integer(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %(view)s AS (
                    WITH contacts AS (
                        SELECT t.res_id AS partner_id, t.sent_datetime AS at, t.trace_type AS kind
                          FROM mailing_trace t
                         WHERE t.model = 'res.partner' AND t.trace_status IN %(went_out)s
                           AND t.sent_datetime IS NOT NULL AND NOT %(uncounted)s
                        UNION ALL
                        SELECT p.id, t.sent_datetime, t.trace_type
                          FROM mailing_trace t
                          JOIN res_partner p ON p.email_normalized = t.email
                         WHERE t.model != 'res.partner' AND t.trace_type = 'mail'
                           AND t.trace_status IN %(went_out)s AND t.sent_datetime IS NOT NULL
                           AND NOT %(uncounted)s
                        UNION ALL
                        SELECT f.partner_id, f.at, 'followup' FROM (%(followups)s) f
                    )
                    SELECT row_number() OVER (ORDER BY c.partner_id, date_trunc('week', c.at), c.kind) AS id,
                           c.partner_id, p.company_id, date_trunc('week', c.at)::date AS week, c.kind,
                           count(*) AS contacts
                      FROM contacts c
                      JOIN res_partner p ON p.id = c.partner_id
                     GROUP BY c.partner_id, p.company_id, date_trunc('week', c.at), c.kind
                )
                """,
                view=SQL.identifier(self._table),
                went_out=WENT_OUT_STATUSES,
                followups=followup_contacts_query(),
                # A service mailing's traces are no commercial contact.
                uncounted=SQL(
                    """EXISTS (SELECT 1 FROM mailing_mailing m
                                 JOIN affinity_purpose pu ON pu.id = m.affinity_purpose_id
                                WHERE m.id = t.mass_mailing_id AND NOT COALESCE(pu.pressure, FALSE))"""
                ),
            )
        )
