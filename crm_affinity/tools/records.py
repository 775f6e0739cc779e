"""What a record means to the people it concerns."""


def partners_of(records):
    """The partners a message about these records would reach, found the way Odoo's mail finds them."""
    partners = records.env["res.partner"]
    if not records:
        return partners
    return partners.union(*records._mail_get_partners().values())
