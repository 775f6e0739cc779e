from odoo.tools.sql import drop_index


def migrate(cr, version):
    """The partners' contact-budget index now holds only the traces that went out: rebuilt under a new name."""
    drop_index(cr, "mailing_trace_affinity_partner_sent_idx", "mailing_trace")
