# Copyright 2026 crm_affinity developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Affinity - Dashboard",
    "summary": "The relationship dashboard in Odoo's Dashboards app: segments, consents, follow-ups, sources",
    "version": "18.0.1.1.0",
    "category": "Productivity/Dashboard",
    "website": "https://github.com/crm-affinity/crm_affinity",
    "author": "crm_affinity developers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["spreadsheet_dashboard", "crm_affinity"],
    "data": ["data/dashboards.xml"],
    "assets": {
        "web.assets_tests": [
            "spreadsheet_dashboard_crm_affinity/static/src/js/tours/*.js",
        ],
    },
}
