# Copyright 2026 crm_affinity developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Affinity",
    "summary": "Know each customer like a friend: information file, consent, "
    "source scoring, customer value and scheduled follow-ups",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/crm-affinity/crm_affinity",
    "author": "crm_affinity developers",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": [
        "contacts",
        "crm",
        "sale_crm",
        "sale_stock",
        "mass_mailing",
        "mass_mailing_sms",
    ],
    "external_dependencies": {"python": ["xlsxwriter", "openpyxl"]},
    "data": [
        "security/crm_affinity_security.xml",
        "security/ir.model.access.csv",
        "data/affinity_preference_category_data.xml",
        "data/affinity_date_kind_data.xml",
        "data/affinity_channel_data.xml",
        "data/ir_cron_data.xml",
        "views/affinity_preference_category_views.xml",
        "views/affinity_date_kind_views.xml",
        "views/affinity_date_views.xml",
        "views/affinity_channel_views.xml",
        "views/affinity_consent_views.xml",
        "views/affinity_marketing_spend_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/mail_composer_views.xml",
        "wizards/affinity_file_export_views.xml",
        "wizards/affinity_consent_import_views.xml",
        "views/crm_affinity_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_affinity/static/src/js/tours/*.js",
        ],
    },
}
