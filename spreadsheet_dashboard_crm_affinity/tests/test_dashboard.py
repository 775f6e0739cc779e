import json

from babel.messages.pofile import read_po

from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import file_open


def dashboard_data():
    with file_open("spreadsheet_dashboard_crm_affinity/data/files/relationship_dashboard.json") as data:
        return json.load(data)


@tagged("post_install", "-at_install")
class TestRelationshipDashboard(TransactionCase):
    def test_every_pivot_reads_real_fields(self):
        """Each pivot names a model, groupable rows and columns, and measures Odoo can aggregate."""
        for pivot in dashboard_data()["pivots"].values():
            with self.subTest(pivot=pivot["name"]):
                model = self.env[pivot["model"]]
                groupby = [
                    f"{dim['fieldName']}:{dim['granularity']}" if "granularity" in dim else dim["fieldName"]
                    for dim in pivot["rows"] + pivot["columns"]
                ]
                aggregates = [
                    "__count" if measure["fieldName"] == "__count" else f"{measure['fieldName']}:sum"
                    for measure in pivot["measures"]
                ]
                for name in [dim["fieldName"] for dim in pivot["rows"] + pivot["columns"]]:
                    self.assertTrue(model._fields[name]._description_groupable(self.env), name)
                model._read_group(pivot["domain"], groupby, aggregates)

    def test_figures_come_from_the_data(self):
        source = self.env["utm.source"].create({"name": "Dashboard fair"})
        partner = self.env["res.partner"].create({"name": "Fair visitor", "affinity_source_id": source.id})
        partner.sudo().affinity_rfm_monetary = 1200
        self.env["affinity.marketing.spend"].create(
            {"source_id": source.id, "date_from": "2026-01-01", "date_to": "2026-01-31", "amount": 400}
        )
        self.env.flush_all()
        [line] = self.env["affinity.source.performance"].search([("source_id", "=", source.id)])
        self.assertEqual((line.customers, line.spend, line.cac, line.revenue_return), (1, 400, 400, 200))

    def test_sources_total_is_the_ratio_of_the_sums(self):
        """The Sources pivot of the dashboard, read as the spreadsheet reads it (its measures with the
        aggregators the fields declare, per row and for the total): the total CAC is the total spend over
        the total new customers, the total revenue return (Σ revenue − Σ spend) / Σ spend, by hand."""
        [pivot] = [
            p for p in dashboard_data()["pivots"].values() if p["model"] == "affinity.source.performance"
        ]
        fair = self.env["utm.source"].create({"name": "Dashboard fair"})
        radio = self.env["utm.source"].create({"name": "Dashboard radio"})
        for source, revenues in ((fair, [1200]), (radio, [100, 300, 200])):
            for revenue in revenues:
                partner = self.env["res.partner"].create(
                    {"name": f"{source.name} {revenue}", "affinity_source_id": source.id}
                )
                partner.sudo().affinity_rfm_monetary = revenue
        for source, amount in ((fair, 400), (radio, 900)):
            self.env["affinity.marketing.spend"].create(
                {"source_id": source.id, "date_from": "2026-01-01", "date_to": "2026-01-31", "amount": amount}
            )
        self.env.flush_all()
        model = self.env[pivot["model"]]
        fields = model.fields_get([m["fieldName"] for m in pivot["measures"]], ["aggregator"])
        specs = [f"{m['fieldName']}:{fields[m['fieldName']]['aggregator']}" for m in pivot["measures"]]
        domain = pivot["domain"] + [("source_id", "in", (fair | radio).ids)]
        [total] = model.read_group(domain, specs, [])
        self.assertEqual(total["customers"], 4)
        self.assertAlmostEqual(total["spend"], 1300)
        self.assertAlmostEqual(total["cac"], 1300 / 4)
        measures = {m["fieldName"] for m in pivot["measures"]}
        self.assertIn("revenue_return", measures)
        self.assertAlmostEqual(total["revenue_return"], 100 * (1800 - 1300) / 1300)
        rows = {row["source_id"][0]: row for row in model.read_group(domain, specs, ["source_id"])}
        self.assertAlmostEqual(rows[radio.id]["cac"], 900 / 3)

    def test_only_affinity_administrators_see_it(self):
        dashboard = self.env.ref("spreadsheet_dashboard_crm_affinity.spreadsheet_dashboard_affinity")
        user = new_test_user(self.env, "dash_user", groups="base.group_user,crm_affinity.group_affinity_user")
        manager = new_test_user(
            self.env, "dash_manager", groups="base.group_user,crm_affinity.group_affinity_manager"
        )
        Dashboard = self.env["spreadsheet.dashboard"]
        self.assertNotIn(dashboard, Dashboard.with_user(user).search([]))
        self.assertIn(dashboard, Dashboard.with_user(manager).search([]))
        data = dashboard.with_user(manager).get_readonly_dashboard()
        self.assertTrue(data)

    def test_pivot_names_in_the_readers_language(self):
        """The corner of each pivot table shows its name, "(#1) Customers per RFM segme…" before: short, and
        in the reader's language (the expected Turkish is the catalog's)."""
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(
            ["spreadsheet_dashboard_crm_affinity"], ["tr_TR"], overwrite=True
        )
        with file_open("spreadsheet_dashboard_crm_affinity/i18n/tr.po", "rb") as po_file:
            po = {message.id: message.string for message in read_po(po_file) if message.id}
        dashboard = self.env.ref("spreadsheet_dashboard_crm_affinity.spreadsheet_dashboard_affinity")
        english = {key: pivot["name"] for key, pivot in dashboard_data()["pivots"].items()}
        data = dashboard.with_context(lang="tr_TR").get_readonly_dashboard()
        turkish = {key: pivot["name"] for key, pivot in data["snapshot"]["pivots"].items()}
        for key, name in english.items():
            with self.subTest(pivot=name):
                self.assertTrue(po.get(name), f"no Turkish for the pivot name {name!r}")
                self.assertEqual(turkish[key], po[name])
                # "(#1) " and the name fit the narrowest column the tables start in.
                self.assertLessEqual(len(f"(#{key}) {turkish[key]}"), 18)
        english_read = dashboard.with_context(lang="en_US").get_readonly_dashboard()
        self.assertEqual({k: p["name"] for k, p in english_read["snapshot"]["pivots"].items()}, english)


@tagged("post_install", "-at_install")
class TestTurkishTour(HttpCase):
    def test_turkish_tour(self):
        """A Turkish administrator's day: the Affinity and Communication tabs, then the dashboard."""
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(
            ["crm_affinity", "spreadsheet_dashboard_crm_affinity", "spreadsheet_dashboard"],
            ["tr_TR"],
            overwrite=True,
        )
        admin = self.env.ref("base.user_admin")
        admin.write({"lang": "tr_TR", "tour_enabled": False})
        partner = self.env["res.partner"].create({"name": "Ayşe Yılmaz", "email": "ayse.tour@example.com"})
        self.env["affinity.preference"].create(
            {
                "partner_id": partner.id,
                "category_id": self.env.ref("crm_affinity.affinity_preference_category_flowers").id,
                "name": "Papatya",
            }
        )
        partner._affinity_set_consent("email", "marketing", "granted", source="web_form")
        self.start_tour(f"/odoo/contacts/{partner.id}", "crm_affinity_turkish_tour", login="admin")
