from odoo.tools.sql import drop_index


def migrate(cr, version):
    """The traces that went out now include SMS handed to the provider (status *Sent*, ``pending``), and the
    count reads each trace's mailing (a service mailing does not count): the partners' contact-budget index
    is dropped here and built again with the new predicate and columns by the model's ``init``."""
    drop_index(cr, "mailing_trace_affinity_partner_went_out_idx", "mailing_trace")
