from odoo import SUPERUSER_ID, api

# Activity types that reach the customer, as data/mail_activity_type_data.xml sets them on a new install.
CHANNEL_OF_TYPE = {
    "mail.mail_activity_data_call": "crm_affinity.affinity_channel_phone",
    "mail.mail_activity_data_meeting": "crm_affinity.affinity_channel_visit",
    "mail.mail_activity_data_email": "crm_affinity.affinity_channel_email",
}


def migrate(cr, version):
    """Existing databases: a call, a meeting and an e-mail task reach the customer by their channel."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    for type_xmlid, channel_xmlid in CHANNEL_OF_TYPE.items():
        activity_type = env.ref(type_xmlid, raise_if_not_found=False)
        channel = env.ref(channel_xmlid, raise_if_not_found=False)
        if activity_type and channel and not activity_type.affinity_channel_id:
            activity_type.affinity_channel_id = channel
