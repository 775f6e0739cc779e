from odoo.tools.sql import column_exists, convert_column_translatable, drop_index

from .models.automation_record_step import CONTACT_INDEX

# The names this addon makes translatable: automation_oca's own columns, given back as it made them.
TRANSLATED_NAMES = ("automation_configuration", "automation_configuration_step")


def uninstall_hook(env):
    """automation_oca stays: its names become plain text again (English), and the budget's index goes."""
    for table in TRANSLATED_NAMES:
        if column_exists(env.cr, table, "name"):
            convert_column_translatable(env.cr, table, "name", "varchar")
    drop_index(env.cr, CONTACT_INDEX, "automation_record_step")
