# Copyright 2026 crm_affinity developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Affinity - Inventory",
    "summary": "Post-sale check-ins when an order is delivered: the follow-up trigger that needs Inventory",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/crm-affinity/crm_affinity",
    "author": "crm_affinity developers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["crm_affinity", "sale_stock"],
    "data": ["data/affinity_followup_rule_data.xml"],
    "uninstall_hook": "uninstall_hook",
}
