from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The preference centre and the contact budget on shipped channels and purposes (noupdate data)."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    # The preference centre offers what people may choose themselves: not visits, not service messages.
    visit = env.ref("crm_affinity.affinity_channel_visit", raise_if_not_found=False)
    if visit:
        visit.self_service = False
    for xmlid, description in (
        ("affinity_purpose_marketing", "News, offers and campaigns about our products and services."),
        (
            "affinity_purpose_relationship",
            "Greetings on your birthday, on holidays and on the days that matter to you.",
        ),
    ):
        purpose = env.ref(f"crm_affinity.{xmlid}", raise_if_not_found=False)
        if purpose:
            # Marketing and greetings are the commercial purposes the contact budget counts.
            purpose.write({"self_service": True, "description": description, "pressure": True})
