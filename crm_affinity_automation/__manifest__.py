# Copyright 2026 crm_affinity developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Affinity - Journeys",
    "summary": "Customer journeys on OCA's automation_oca that keep the promise: every step asks the "
    "consent decision, waits for the person's allowed moment, and a pilot goes before the rollout",
    "version": "18.0.1.0.0",
    "category": "Marketing/Automation",
    "website": "https://github.com/crm-affinity/crm_affinity",
    "author": "crm_affinity developers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["crm_affinity", "automation_oca", "sms"],
    "data": [
        "views/automation_configuration_step_views.xml",
        "views/automation_record_step_views.xml",
        "views/automation_configuration_views.xml",
        "data/mail_template_data.xml",
        "data/automation_configuration_data.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "assets": {
        "web.assets_tests": ["crm_affinity_automation/static/src/js/tours/*.js"],
    },
}
