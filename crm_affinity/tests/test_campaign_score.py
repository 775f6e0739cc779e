import base64
import datetime
import io
import zipfile

import openpyxl

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import AffinityCase


@tagged("post_install", "-at_install")
class TestCampaignScoring(AffinityCase):
    """A fixture small enough to compute by hand (amounts in the company currency):

    Ads: A (won opportunity, acquired 8 Jan; orders 100 on 10 Jan and 50 on 10 Feb, costs 40 and 20),
    B (first order 5 Feb from Ads, 200 in a currency at rate 2 = 100, cost 30); D was acquired in December,
    before the period. Leads from Ads created in the period: 4 (3 opportunities), 2 won.
    Spend on Ads: 620 over 1 Dec–31 Jan (10 a day, 31 days inside the period = 310) and 90 EUR in March
    at 1.5 EUR per unit = 60. Referral: C, set by hand, acquired 1 March, one order of 50 costing 10.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.ads = env["utm.source"].create({"name": "Test Ads"})
        cls.referral = env["utm.source"].create({"name": "Test Referral"})
        product = env["product.product"]
        cls.p100 = product.create({"name": "P100", "list_price": 100, "standard_price": 40})
        cls.p50 = product.create({"name": "P50", "list_price": 50, "standard_price": 20})
        cls.p200 = product.create({"name": "P200", "list_price": 200, "standard_price": 30})
        cls.p50c = product.create({"name": "P50c", "list_price": 50, "standard_price": 10})
        Partner = env["res.partner"]
        cls.a, cls.b, cls.c, cls.d = (Partner.create({"name": name}) for name in "ABCD")
        won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
        Lead = env["crm.lead"]
        leads = [
            Lead.create(
                {
                    "name": "A deal",
                    "type": "opportunity",
                    "partner_id": cls.a.id,
                    "source_id": cls.ads.id,
                    "stage_id": won.id,
                    "probability": 100,
                }
            ),
            Lead.create({"name": "Lost", "type": "opportunity", "source_id": cls.ads.id}),
            Lead.create({"name": "Enquiry", "type": "lead", "source_id": cls.ads.id}),
            Lead.create(
                {
                    "name": "C deal",
                    "type": "opportunity",
                    "partner_id": cls.c.id,
                    "source_id": cls.ads.id,
                    "stage_id": won.id,
                    "probability": 100,
                }
            ),
        ]
        leads[1].action_set_lost()
        for lead, created, closed in zip(
            leads,
            ("2026-01-02", "2026-01-15", "2026-01-20", "2026-03-01"),
            ("2026-01-08", "2026-01-16", None, "2026-03-02"),
            strict=True,
        ):
            env.cr.execute(
                "UPDATE crm_lead SET create_date = %s, date_closed = %s WHERE id = %s",
                (created, closed, lead.id),
            )
        cls.c.write({"affinity_source_id": cls.referral.id, "affinity_acquired_on": "2026-03-01"})

        def order(partner, day, product, source=None):
            so = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "source_id": source.id if source else False,
                    "order_line": [(0, 0, {"product_id": product.id, "price_unit": product.list_price})],
                }
            )
            so.write({"state": "sale", "date_order": f"{day} 10:00:00"})
            return so

        order(cls.a, "2026-01-10", cls.p100)
        order(cls.a, "2026-02-10", cls.p50)
        cls.order_b = order(cls.b, "2026-02-05", cls.p200, cls.ads)
        order(cls.c, "2026-03-05", cls.p50c)
        order(cls.d, "2025-12-20", cls.p100, cls.ads)
        env.flush_all()
        # B bought in a foreign currency: 200 at 2 units per company unit.
        env.cr.execute("UPDATE sale_order SET currency_rate = 2 WHERE id = %s", (cls.order_b.id,))
        env.invalidate_all()
        (cls.a | cls.b | cls.c | cls.d)._affinity_fill_attribution()

        eur = env.ref("base.EUR")
        eur.active = True
        cls.other_currency = eur if eur != env.company.currency_id else env.ref("base.GBP")
        cls.other_currency.active = True
        env["res.currency.rate"].create(
            {
                "currency_id": cls.other_currency.id,
                "name": "2026-03-01",
                "rate": 1.5,
                "company_id": env.company.id,
            }
        )
        Spend = env["affinity.marketing.spend"]
        Spend.create(
            {"date_from": "2025-12-01", "date_to": "2026-01-31", "source_id": cls.ads.id, "amount": 620}
        )
        Spend.create(
            {
                "date_from": "2026-03-01",
                "date_to": "2026-03-31",
                "source_id": cls.ads.id,
                "amount": 90,
                "currency_id": cls.other_currency.id,
            }
        )
        cls.company_b = env["res.company"].create({"name": "Company B"})
        Spend.create(
            {
                "date_from": "2026-01-01",
                "date_to": "2026-01-31",
                "source_id": cls.ads.id,
                "amount": 5000,
                "company_id": cls.company_b.id,
            }
        )

    def score(self, dimension="source", **extra):
        wizard = self.env["affinity.campaign.score"].create(
            dict(
                {
                    "date_from": "2026-01-01",
                    "date_to": "2026-03-31",
                    "dimension": dimension,
                    "company_ids": [(6, 0, self.env.company.ids)],
                },
                **extra,
            )
        )
        wizard.action_compute()
        return wizard

    def test_attribution_rules(self):
        # First won opportunity wins; its closing day is the acquisition day.
        self.assertEqual(
            (self.a.affinity_source_id, self.a.affinity_acquired_on), (self.ads, datetime.date(2026, 1, 8))
        )
        # No opportunity: the first confirmed order tells.
        self.assertEqual(
            (self.b.affinity_source_id, self.b.affinity_acquired_on), (self.ads, datetime.date(2026, 2, 5))
        )
        # Set by a person: kept, although C's won opportunity came from Ads.
        self.assertTrue(self.c.affinity_attribution_manual)
        self.assertEqual(
            (self.c.affinity_source_id, self.c.affinity_acquired_on),
            (self.referral, datetime.date(2026, 3, 1)),
        )
        self.c._affinity_fill_attribution()
        self.assertEqual(self.c.affinity_source_id, self.referral)
        # Referral count on the referrer.
        self.b.affinity_referred_by_id = self.a
        self.assertEqual(self.a.affinity_referral_count, 1)

    def test_scores_by_source(self):
        lines = {line.source_id: line for line in self.score().line_ids}
        ads = lines[self.ads]
        self.assertEqual((ads.leads, ads.opportunities, ads.won), (4, 3, 2))
        self.assertAlmostEqual(ads.conversion_rate, 50.0)
        self.assertEqual(ads.new_customers, 2)
        self.assertAlmostEqual(ads.revenue, 250.0)
        self.assertAlmostEqual(ads.margin, 160.0)
        self.assertAlmostEqual(ads.spend, 370.0)
        self.assertAlmostEqual(ads.cac, 185.0)
        self.assertAlmostEqual(ads.roi, 100 * (160 - 370) / 370)
        self.assertAlmostEqual(ads.revenue_per_customer, 125.0)
        self.assertAlmostEqual(ads.value_12m_per_customer, 125.0)
        self.assertAlmostEqual(ads.repeat_share, 50.0)
        # A: first contact 2 January 00:00, first order 10 January 10:00; B bought on first contact.
        self.assertAlmostEqual(ads.days_to_purchase, (8 + 10 / 24) / 2)
        referral = lines[self.referral]
        self.assertEqual(
            (referral.new_customers, referral.revenue, referral.margin, referral.spend), (1, 50.0, 40.0, 0.0)
        )
        self.assertFalse(referral.has_roi)
        self.assertEqual(
            ads.rank, 1, "a source that spent and returns is ranked before one that did not spend"
        )

    def test_cohorts_and_partial_spend(self):
        lines = {line.cohort: line for line in self.score("cohort").line_ids}
        self.assertEqual((lines["2026-01"].new_customers, lines["2026-01"].leads), (1, 3))
        self.assertAlmostEqual(lines["2026-01"].spend, 310.0)
        self.assertEqual(lines["2026-02"].new_customers, 1)
        self.assertAlmostEqual(lines["2026-03"].spend, 60.0)
        self.assertEqual((lines["2026-03"].new_customers, lines["2026-03"].leads), (1, 1))
        # Half of January: half of January's spend.
        line = self.score("source", date_to="2026-01-15").line_ids.filtered(
            lambda line: line.source_id == self.ads
        )
        self.assertAlmostEqual(line.spend, 150.0)

    def test_rank_by_value(self):
        lines = self.score(rank_by="value").line_ids.sorted("rank")
        self.assertEqual(lines[0].source_id, self.ads)
        self.assertGreaterEqual(lines[0].revenue, lines[1].revenue)

    def test_drill_down(self):
        line = self.score().line_ids.filtered(lambda line: line.source_id == self.ads)
        customers = self.env["res.partner"].search(line.action_open_customers()["domain"])
        self.assertEqual(customers, self.a | self.b)
        orders = self.env["sale.order"].search(line.action_open_orders()["domain"])
        self.assertEqual(orders.partner_id, self.a | self.b)
        self.assertEqual(len(orders), 3)

    def test_other_company_spend_stays_there(self):
        both = self.score(company_ids=[(6, 0, (self.env.company | self.company_b).ids)])
        ads = both.line_ids.filtered(lambda line: line.source_id == self.ads)
        self.assertAlmostEqual(ads.spend, 370.0 + 5000.0 * 31 / 31)
        user = new_test_user(
            self.env,
            "aff_spend_a",
            groups="crm_affinity.group_affinity_manager",
            company_id=self.env.company.id,
            company_ids=[(6, 0, self.env.company.ids)],
        )
        spends = self.env["affinity.marketing.spend"].with_user(user).search([])
        self.assertNotIn(self.company_b, spends.company_id)
        with self.assertRaises(AccessError):
            self.env["affinity.marketing.spend"].with_user(self.user_plain).search([])

    def test_workbook(self):
        self.a.name = '=HYPERLINK("http://evil.example","click")'
        wizard = self.env["affinity.campaign.score"].create(
            {
                "date_from": "2026-01-01",
                "date_to": "2026-03-31",
                "company_ids": [(6, 0, self.env.company.ids)],
            }
        )
        action = wizard.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        content = base64.b64decode(attachment.datas)
        book = openpyxl.load_workbook(io.BytesIO(content))
        self.assertEqual(book.sheetnames[0], "Summary by ROI")
        self.assertTrue({"Medium", "Campaign", "Acquisition month", "Customers"} <= set(book.sheetnames))
        summary = book["Summary by ROI"]
        header = [cell.value for cell in summary[1]]
        rows = {
            row[1]: dict(zip(header, row, strict=True))
            for row in summary.iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(rows["Test Ads"]["New customers"], 2)
        self.assertAlmostEqual(rows["Test Ads"]["Spend"], 370.0)
        # Per cents as fractions in percent-formatted cells: 47.3 % is 0.473 shown with a % format.
        self.assertAlmostEqual(rows["Test Ads"]["ROI %"], (160 - 370) / 370)
        self.assertAlmostEqual(rows["Test Ads"]["Conversion %"], 0.5)
        header_index = {title: index for index, title in enumerate(header)}
        ads_row = next(row for row in summary.iter_rows(min_row=2) if row[1].value == "Test Ads")
        for title in ("ROI %", "Conversion %", "Repeat buyers %"):
            self.assertIn("%", ads_row[header_index[title]].number_format, title)
        # The total row: figures summed, ratios from the sums (Ads 2 new, margin 160, spend 370, 4 leads, 2 won,
        # 1 repeat buyer; Referral 1 new, margin 40, no spend, no lead).
        total = rows["Total"]
        self.assertEqual((total["New customers"], total["Leads"], total["Won"]), (3, 4, 2))
        self.assertAlmostEqual(total["Spend"], 370.0)
        self.assertAlmostEqual(total["CAC"], 370.0 / 3)
        self.assertAlmostEqual(total["ROI %"], (160 + 40 - 370) / 370)
        self.assertAlmostEqual(total["Conversion %"], 2 / 4)
        self.assertAlmostEqual(total["Repeat buyers %"], 1 / 3)
        self.assertIsNone(total["Rank"])
        self.assertEqual(summary.freeze_panes, "A2")
        self.assertTrue(summary.auto_filter.ref)
        # A native Excel chart, not a picture.
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        self.assertTrue(any(name.startswith("xl/charts/chart") for name in names))
        # The formula-looking customer name is stored as text, never as a formula.
        customers = book["Customers"]
        cell = next(
            c for row in customers.iter_rows(min_row=2) for c in row[:1] if "HYPERLINK" in str(c.value)
        )
        self.assertEqual(cell.data_type, "s")
        self.assertTrue(cell.value.startswith("=HYPERLINK"))

    def test_totals_of_ratios_are_ratios_of_sums(self):
        """The pivot's grand total and the graph's groups of the scoring lines: each ratio is computed from
        the summed figures, as the fixture's figures give it by hand, never averaged over the lines."""
        score = self.score()
        Line = self.env["affinity.campaign.score.line"]
        domain = [("score_id", "=", score.id)]
        # By hand, from the fixture: Ads 4 leads, 2 won, 2 new customers (A, B), revenue 250, margin 160,
        # spend 370, A bought twice, 12-month value 250; days to first purchase A 8 d 10 h, B 0. Referral:
        # C, 1 new customer, revenue 50, margin 40, no spend, no lead; C's first contact (the Ads lead of
        # 1 March 00:00) to first order (5 March 10:00): 4 d 10 h.
        expected = {
            "cac": 370 / 3,
            "roi": 100 * (200 - 370) / 370,
            "conversion_rate": 100 * 2 / 4,
            "revenue_per_customer": 300 / 3,
            "value_12m_per_customer": 300 / 3,
            "repeat_share": 100 * 1 / 3,
            "days_to_purchase": ((8 + 10 / 24) + 0 + (4 + 10 / 24)) / 3,
        }
        lines = score.line_ids
        averages = {name: sum(lines.mapped(name)) / len(lines) for name in expected}
        self.assertNotAlmostEqual(averages["roi"], expected["roi"], msg="the fixture tells both apart")
        # As the pivot asks: each measure with the aggregator the field declares.
        aggregators = {name: Line.fields_get([name], ["aggregator"])[name]["aggregator"] for name in expected}
        specs = [f"{name}:{aggregator}" for name, aggregator in aggregators.items()]
        [total] = Line.read_group(domain, specs, [])
        for name, value in expected.items():
            with self.subTest(view="pivot", measure=name):
                self.assertAlmostEqual(total[name], value)
        # As the graph asks (web_read_group, one measure at a time), grouped by whether a line has a ROI:
        # the group of both lines is their subtotal.
        for name, value in expected.items():
            with self.subTest(view="graph", measure=name):
                groups = Line.web_read_group(
                    domain, ["__count", specs[list(expected).index(name)]], ["score_id"]
                )
                [group] = groups["groups"]
                self.assertAlmostEqual(group[name], value)
        # A subtotal of lines without spend has no ROI, not a 0 % averaged in.
        [no_spend] = Line.read_group(domain + [("has_roi", "=", False)], ["roi:avg", "cac:avg"], [])
        self.assertEqual((no_spend["roi"], no_spend["cac"]), (0.0, 0.0))

    def test_sources_report_totals_are_ratios_of_sums(self):
        """Sources: Cost and Return, its list's group rows and pivot's total: CAC = Σ spend / Σ customers,
        revenue return = (Σ revenue − Σ spend) / Σ spend, by hand."""
        fair = self.env["utm.source"].create({"name": "Report fair"})
        radio = self.env["utm.source"].create({"name": "Report radio"})
        Partner = self.env["res.partner"]
        for source, revenues in ((fair, [1200]), (radio, [100, 300, 200])):
            for revenue in revenues:
                partner = Partner.create(
                    {"name": f"{source.name} {revenue}", "affinity_source_id": source.id}
                )
                partner.sudo().affinity_rfm_monetary = revenue
        Spend = self.env["affinity.marketing.spend"]
        Spend.create(
            {"source_id": fair.id, "date_from": "2026-01-01", "date_to": "2026-01-31", "amount": 400}
        )
        Spend.create(
            {"source_id": radio.id, "date_from": "2026-01-01", "date_to": "2026-01-31", "amount": 900}
        )
        self.env.flush_all()
        Report = self.env["affinity.source.performance"]
        domain = [("source_id", "in", (fair | radio).ids)]
        rows = {row.source_id: row for row in Report.search(domain)}
        self.assertAlmostEqual(rows[fair].cac, 400.0)
        self.assertAlmostEqual(rows[radio].cac, 300.0)
        self.assertAlmostEqual(rows[fair].revenue_return, 100 * (1200 - 400) / 400)
        aggregators = Report.fields_get(["cac", "revenue_return"], ["aggregator"])
        [total] = Report.read_group(
            domain, [f"{name}:{spec['aggregator']}" for name, spec in aggregators.items()], []
        )
        self.assertAlmostEqual(total["cac"], (400 + 900) / (1 + 3))
        self.assertAlmostEqual(total["revenue_return"], 100 * (1800 - 1300) / 1300)

    def test_pilot_and_rollout_side_by_side(self):
        rollout = self.env["utm.campaign"].create({"title": "Spring 2026"})
        pilot = self.env["utm.campaign"].create(
            {"title": "Spring 2026 pilot", "affinity_pilot_of_id": rollout.id}
        )
        self.a.write({"affinity_campaign_id": pilot.id})
        self.b.write({"affinity_campaign_id": rollout.id})
        self.env["affinity.marketing.spend"].create(
            {"date_from": "2026-01-01", "date_to": "2026-01-10", "campaign_id": pilot.id, "amount": 50}
        )
        action = pilot.action_affinity_compare_pilot()
        lines = self.env["affinity.campaign.score.line"].search(action["domain"])
        by_campaign = {line.campaign_id: line for line in lines}
        self.assertEqual(set(by_campaign), {pilot, rollout})
        self.assertEqual(by_campaign[pilot].pilot_of_id, rollout)
        self.assertAlmostEqual(by_campaign[pilot].revenue, 150.0)
        self.assertAlmostEqual(by_campaign[pilot].spend, 50.0)
        self.assertAlmostEqual(by_campaign[rollout].revenue, 100.0)


@tagged("post_install", "-at_install")
class TestSpendImport(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["utm.source"].create({"name": "Newspaper banner test"})

    def wizard(self, text):
        return (
            self.env["affinity.spend.import"]
            .with_user(self.user_manager)
            .create({"file": base64.b64encode(text.encode()), "filename": "spend.csv"})
        )

    def test_good_file(self):
        self.wizard(
            "date_from,date_to,amount,source,currency,description\n"
            "2026-01-01,2026-01-31,1200.50,Newspaper banner test,,January banner\n"
            "01.02.2026,28.02.2026,900,newspaper banner test,EUR,February\n"
        ).action_import()
        spends = self.env["affinity.marketing.spend"].search(
            [("source_id", "=", self.source.id)], order="date_from"
        )
        self.assertEqual(spends.mapped("amount"), [1200.5, 900.0])
        self.assertEqual(spends[1].currency_id, self.env.ref("base.EUR"))
        self.assertEqual(spends[0].name, "January banner")

    def test_bad_file_writes_nothing(self):
        wizard = self.wizard(
            "date_from,date_to,amount,source\n"
            "2026-01-01,2026-01-31,100,Newspaper banner test\n"
            "2026-13-01,2026-01-31,100,Newspaper banner test\n"
            "2026-02-01,2026-01-31,-5,Nowhere\n"
        )
        with self.assertRaises(UserError) as error:
            wizard.action_import()
        message = str(error.exception)
        self.assertIn("Line 3", message)
        self.assertIn("is not a date", message)
        self.assertIn("Line 4", message)
        self.assertIn("unknown source 'Nowhere'", message)
        self.assertIn("cannot be negative", message)
        self.assertFalse(self.env["affinity.marketing.spend"].search([("source_id", "=", self.source.id)]))
