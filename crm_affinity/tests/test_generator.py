import base64
import datetime
import hashlib

from odoo.tests import tagged

from ..populate.generator import SIZES, Generator, generate
from .common import AffinityCase

ANCHOR = datetime.date(2026, 6, 15)


@tagged("post_install", "-at_install")
class TestGenerator(AffinityCase):
    def _fingerprint(self):
        self.env.cr.execute(
            """SELECT string_agg(name || '|' || COALESCE(email, '') || '|' || COALESCE(mobile, ''), ',' ORDER BY id)
                 FROM res_partner WHERE email LIKE '%%@example.%%' AND customer_rank > 0
                  AND id > %s""",
            (self.before_partner,),
        )
        return hashlib.sha256((self.env.cr.fetchone()[0] or "").encode()).hexdigest()

    def setUp(self):
        super().setUp()
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM res_partner")
        self.before_partner = self.env.cr.fetchone()[0]

    def test_small_counts(self):
        counts = generate(self.env, size="small", seed=7, today=ANCHOR)
        customers = SIZES["small"]["customers"]
        self.assertEqual(counts["res_partner"], customers)
        self.assertEqual(
            self.env["res.partner"].search_count(
                [("id", ">", self.before_partner), ("customer_rank", ">", 0)]
            ),
            customers,
        )
        self.assertEqual(
            counts["crm_lead"],
            customers + SIZES["small"]["prospect_leads"] + SIZES["small"]["extra_opportunities"],
        )
        self.assertGreater(counts["sale_order"], customers)
        self.assertGreater(counts["sale_order_line"], 2.5 * customers)
        self.assertEqual(counts["account_move_line"], 2 * counts["account_move"])
        self.assertEqual(counts["affinity_consent"], counts["affinity_consent_log"])
        self.assertGreater(counts["affinity_date"], customers * 0.5)
        self.assertGreater(counts["affinity_marketing_spend"], 50)
        # Data reads back through the ORM with consistent totals.
        order = self.env["sale.order"].search([("partner_id", ">", self.before_partner)], limit=1)
        self.assertAlmostEqual(order.amount_untaxed, sum(order.order_line.mapped("price_subtotal")), places=2)
        self.env.cr.execute(
            """SELECT count(*) FILTER (WHERE affinity_paid_date > invoice_date_due), count(*)
                 FROM account_move WHERE partner_id > %s AND payment_state = 'paid'""",
            (self.before_partner,),
        )
        late, paid = self.env.cr.fetchone()
        self.assertTrue(0.05 < late / paid < 0.4, f"share paid late {late}/{paid}")
        sources = self.env["crm.lead"].read_group(
            [("partner_id", ">", self.before_partner)], ["source_id"], ["source_id"]
        )
        self.assertGreaterEqual(len(sources), 7)
        turkish = self.env["res.partner"].search_count(
            [("id", ">", self.before_partner), ("country_id.code", "=", "TR")]
        )
        self.assertTrue(0.6 * customers < turkish < 0.8 * customers)
        dates = self.env["affinity.date"].search([("partner_id", ">", self.before_partner)])
        self.assertTrue(all(d.next_date >= ANCHOR for d in dates))
        partner = dates[0].partner_id
        self.assertEqual(partner.affinity_next_date, min(partner.affinity_date_ids.mapped("next_date")))
        # Every seeded customer knows where it came from; scoring the seeded data ranks the paid sources.
        seeded = self.env["res.partner"].search([("id", ">", self.before_partner), ("customer_rank", ">", 0)])
        self.assertTrue(all(seeded.mapped("affinity_acquired_on")))
        self.assertEqual(len(seeded.affinity_source_id), 7)
        score = self.env["affinity.campaign.score"].create(
            {"date_from": ANCHOR.replace(year=ANCHOR.year - 3), "date_to": ANCHOR, "dimension": "source"}
        )
        lines = [line for line in score._ranked_lines() if line["source_id"] in seeded.affinity_source_id.ids]
        self.assertEqual(len(lines), 7)
        self.assertEqual(sum(line["new_customers"] for line in lines), customers)
        self.assertTrue(all(line["spend"] > 0 and line["has_roi"] for line in lines))
        self.assertEqual([line["rank"] for line in lines], sorted(line["rank"] for line in lines))
        # On the seeded data, the totals a manager reads are ratios of sums: the scoring pivot's ...
        score.action_compute()
        mine = [("score_id", "=", score.id), ("source_id", "in", seeded.affinity_source_id.ids)]
        [total] = self.env["affinity.campaign.score.line"].read_group(mine, ["cac:avg", "roi:avg"], [])
        spend, new = sum(line["spend"] for line in lines), sum(line["new_customers"] for line in lines)
        margin = sum(line["margin"] for line in lines)
        # (The lines keep their amounts in cents.)
        self.assertAlmostEqual(total["cac"], spend / new, places=2)
        self.assertAlmostEqual(total["roi"], 100 * (margin - spend) / spend, places=2)
        # ... and the Sources report's (the dashboard's), from the tables themselves.
        self.env.flush_all()
        source_ids = seeded.affinity_source_id.ids
        self.env.cr.execute(
            """SELECT count(*), sum(COALESCE(affinity_rfm_monetary, 0)) FROM res_partner
                WHERE active AND affinity_source_id = ANY(%s)""",
            (source_ids,),
        )
        customers, revenue = self.env.cr.fetchone()
        self.env.cr.execute(
            "SELECT sum(amount) FROM affinity_marketing_spend WHERE source_id = ANY(%s)", (source_ids,)
        )
        [spent] = self.env.cr.fetchone()
        [sources] = self.env["affinity.source.performance"].read_group(
            [("source_id", "in", source_ids)], ["cac:avg", "revenue_return:avg"], []
        )
        self.assertAlmostEqual(sources["cac"], float(spent) / customers, places=2)
        self.assertAlmostEqual(
            sources["revenue_return"], 100 * (float(revenue) - float(spent)) / float(spent), places=2
        )

    def test_derived_figures_are_right_after_seeding(self):
        """The Affinity tab agrees with the sales before any nightly job has run."""
        generate(self.env, size="small", seed=11, today=ANCHOR)
        self.env.cr.execute(
            """SELECT so.partner_id, max(so.date_order)::date,
                      CASE WHEN count(*) > 1
                           THEN (max(so.date_order)::date - min(so.date_order)::date)::float / (count(*) - 1)
                      END
                 FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                WHERE so.state = 'sale' AND p.id > %s
                GROUP BY so.partner_id""",
            (self.before_partner,),
        )
        rows = self.env.cr.fetchall()
        self.assertTrue(rows)
        partners = self.env["res.partner"].browse([row[0] for row in rows])
        for (_partner_id, last_order, interval), partner in zip(rows, partners, strict=True):
            self.assertEqual(partner.affinity_last_order_date, last_order)
            self.assertAlmostEqual(partner.affinity_order_interval, interval or 0.0)
            self.assertTrue(partner.affinity_lapse_date)

    def test_same_seed_same_data(self):
        fingerprints = []
        for _run in range(2):
            with self.env.cr.savepoint(flush=False) as savepoint:
                generate(self.env, size="small", seed=11, today=ANCHOR)
                fingerprints.append(self._fingerprint())
                savepoint.rollback()
            self.env.invalidate_all()
        self.assertEqual(fingerprints[0], fingerprints[1])
        with self.env.cr.savepoint(flush=False) as savepoint:
            generate(self.env, size="small", seed=12, today=ANCHOR)
            self.assertNotEqual(self._fingerprint(), fingerprints[0])
            savepoint.rollback()

    def test_demo_company_starts_with_the_kvkk_defaults(self):
        """The demo's Turkish company shows what a Turkish company starts with: opt-in and the scope."""
        employees = self.env.ref("base.group_user")
        scope = self.env.ref("crm_affinity.group_affinity_own_only")
        employees._remove_group(scope)
        self.env.company.affinity_consent_mode = "opt_out"
        self.env.company.country_id = self.env.ref("base.be")
        Generator(self.env, size="small", seed=7, today=ANCHOR, setup_company=True).ensure_company()
        self.assertEqual(self.env.company.country_id.code, "TR")
        self.assertEqual(self.env.company.affinity_consent_mode, "opt_in")
        self.assertIn(scope, employees.implied_ids)

    def test_demo_is_a_turkish_company(self):
        """#34 item 8: the demo's company looks like the seeds' Turkish business, and its mail does not fail."""
        self.env["res.lang"]._activate_lang("tr_TR")
        mails_before = self.env["mail.mail"].search([]).ids
        generate(self.env, size="small", seed=7, today=ANCHOR, setup_company=True)
        company = self.env.company
        self.assertEqual(company.name, "Affinity Demo A.Ş.")
        self.assertEqual(company.country_id.code, "TR")
        self.assertEqual(company.currency_id.name, "TRY")
        self.assertEqual(
            (company.street, company.zip, company.city, company.state_id.name),
            ("Büyükdere Caddesi No: 185", "34394", "İstanbul", "İstanbul"),
        )
        self.assertEqual(company.email, "iletisim@affinity-demo.example.com")
        self.assertEqual(base64.b64decode(company.logo)[:8], b"\x89PNG\r\n\x1a\n")
        # Odoo's own mails leave from the company's domain: a sender, a catchall and a bounce address.
        self.assertEqual(company.default_from_email, "bildirim@affinity-demo.example.com")
        self.assertEqual(company.catchall_email, "catchall@affinity-demo.example.com")
        # The administrator and the salespeople work in Istanbul; all in Turkish but one, in English.
        admin = self.env.ref("base.user_admin")
        self.assertEqual((admin.tz, admin.lang), ("Europe/Istanbul", "tr_TR"))
        users = self.env["res.users"].search(
            [("login", "in", ["ayse.satis", "mehmet.satis", "elif.satis", "john.sales"])]
        )
        self.assertEqual(set(users.mapped("tz")), {"Europe/Istanbul"})
        self.assertEqual(
            {user.login: user.lang for user in users},
            {"ayse.satis": "tr_TR", "mehmet.satis": "tr_TR", "elif.satis": "tr_TR", "john.sales": "en_US"},
        )
        self.assertTrue(all(user.email.endswith("@affinity-demo.example.com") for user in users))
        # No mail waits to fail: the seed queued none, and a demo without a mail server keeps what its
        # follow-ups send in the outgoing queue instead of trying to deliver to invented addresses.
        self.assertFalse(self.env["mail.mail"].search([("id", "not in", mails_before)]))
        self.assertFalse(self.env.ref("mail.ir_cron_mail_scheduler_action").active)
        self.env["affinity.followup.rule"]._cron_plan()
        self.assertFalse(self.env["mail.mail"].search([("state", "=", "exception")]))
