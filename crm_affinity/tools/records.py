"""What a record means to the people it concerns."""


def partners_of(records):
    """The partners a message about these records would reach, found the way Odoo's mail finds them."""
    partners = records.env["res.partner"]
    if not records:
        return partners
    return partners.union(*records._mail_get_partners().values())


def reopen(wizard):
    """The action that shows a wizard again, as it now is (its next step, its preview, its lines)."""
    return {
        "type": "ir.actions.act_window",
        "res_model": wizard._name,
        "res_id": wizard.id,
        "view_mode": "form",
        "target": "new",
    }
