from odoo.tests import tagged

from .common import AffinityCase


@tagged("post_install", "-at_install")
class TestInstall(AffinityCase):
    def test_every_model_has_access_rules(self):
        models = self.env["ir.model"].search([("model", "like", "affinity.%")])
        self.assertGreaterEqual(len(models), 14)
        for model in models.filtered(lambda m: not self.env[m.model]._abstract):
            self.assertTrue(
                self.env["ir.model.access"].search_count([("model_id", "=", model.id)]),
                f"{model.model} has no access rule",
            )

    def test_company_scoped_models_have_company_rules(self):
        for model_name in (
            "affinity.consent",
            "affinity.consent.log",
            "affinity.marketing.spend",
            "affinity.profile",
            "affinity.date",
            "affinity.contact.window",
        ):
            rules = self.env["ir.rule"].search([("model_id.model", "=", model_name), ("global", "=", True)])
            self.assertTrue(
                any("company_ids" in rule.domain_force for rule in rules), f"{model_name} has no company rule"
            )

    def test_groups(self):
        user_group = self.env.ref("crm_affinity.group_affinity_user")
        manager_group = self.env.ref("crm_affinity.group_affinity_manager")
        self.assertIn(user_group, manager_group.implied_ids)
        self.assertEqual(manager_group.category_id, self.env.ref("crm_affinity.module_category_affinity"))
        self.assertTrue(self.env.ref("base.user_admin").has_group("crm_affinity.group_affinity_manager"))

    def test_menus_open_working_actions(self):
        root = self.env.ref("crm_affinity.crm_affinity_menu")
        menus = self.env["ir.ui.menu"].search([("id", "child_of", root.id)])
        self.assertGreaterEqual(len(menus), 10)
        names = set(root.child_id.mapped("name"))
        self.assertTrue({"Follow-ups", "Campaign Scoring", "Customer Value", "Configuration"} <= names)
        for menu in menus.filtered("action"):
            action = menu.action
            if action._name == "ir.actions.act_window":
                model = self.env[action.res_model]
                for view_type in action.view_mode.split(","):
                    # Raises if a view of that type is broken or missing for the model.
                    model.get_view(view_type=view_type)

    def test_crons_are_active_and_daily(self):
        for xmlid in (
            "crm_affinity.ir_cron_affinity_roll_dates",
            "crm_affinity.ir_cron_affinity_relationships",
        ):
            cron = self.env.ref(xmlid)
            self.assertTrue(cron.active)
            self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
