from odoo.tools.sql import drop_index

from .models.automation_record_step import CONTACT_INDEX


def uninstall_hook(env):
    """automation_oca stays: its steps table keeps no trace of the contact budget's index."""
    drop_index(env.cr, CONTACT_INDEX, "automation_record_step")
