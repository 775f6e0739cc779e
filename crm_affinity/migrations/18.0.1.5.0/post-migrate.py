from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """IYS deadlines counted again: from the day in Turkish time, over Turkey's public holidays of any year."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    consents = env["affinity.consent"].search([("iys_deadline", "!=", False)])
    consents._compute_iys_deadline()
    env.flush_all()
