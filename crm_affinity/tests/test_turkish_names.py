"""Names a person sees are in their language wherever they are built: a computed label, a workbook's sheets
and chart, a page sent to a customer, the search filters. Each is rendered in tr_TR; the expected Turkish is
read from the catalog (i18n/tr.po), never from the code that builds the name."""

import base64
import io
import re
import zipfile

import openpyxl
from lxml import etree

from odoo.tests import HttpCase, TransactionCase, tagged

from .test_translations import catalog


class TurkishMixin:
    @classmethod
    def load_turkish(cls):
        cls.env["res.lang"]._activate_lang("tr_TR")
        cls.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        cls.po = catalog("crm_affinity")
        cls.tr_env = cls.env(context=dict(cls.env.context, lang="tr_TR"))

    def tr(self, english):
        """The catalog's Turkish for an English term (a missing entry fails here, not later)."""
        self.assertTrue(self.po.get(english), f"no Turkish for {english!r} in tr.po")
        return self.po[english]


@tagged("post_install", "-at_install")
class TestTurkishNames(TurkishMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_turkish()

    def test_next_occasion_is_named_in_the_readers_language(self):
        """ "Sıradaki Vesile: Wedding anniversary": an occasion without a label of its own is named by its
        kind, in the language of whoever reads the partner, not of whoever saved the date."""
        wedding = self.env.ref("crm_affinity.affinity_date_kind_wedding")
        partner = self.env["res.partner"].create(
            {
                "name": "Selin Kaya",
                "affinity_date_ids": [(0, 0, {"kind_id": wedding.id, "day": 5, "month": "6"})],
            }
        )
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(
            partner.with_context(lang="tr_TR").affinity_next_date_label, self.tr("Wedding anniversary")
        )
        self.assertEqual(partner.with_context(lang="en_US").affinity_next_date_label, "Wedding anniversary")
        # A label of the person's own is theirs, in every language.
        partner.affinity_date_ids.name = "Evlilik yıldönümü (Selin & Can)"
        self.assertEqual(
            partner.with_context(lang="en_US").affinity_next_date_label, "Evlilik yıldönümü (Selin & Can)"
        )

    def _workbook(self, action):
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        return base64.b64decode(attachment.datas)

    def test_campaign_workbook_speaks_turkish(self):
        """ "Medium / Campaign / Acquisition month" and "Source bazında…": the sheets are named and the chart
        titled with the dimensions' Turkish names."""
        score = self.tr_env["affinity.campaign.score"].create(
            {"date_from": "2026-01-01", "date_to": "2026-03-31", "dimension": "source"}
        )
        content = self._workbook(score.action_export_xlsx())
        book = openpyxl.load_workbook(io.BytesIO(content))
        self.assertEqual(book.sheetnames[0], self.tr("Summary by ROI"))
        expected = {self.tr(term) for term in ("Medium", "Campaign", "Acquisition month", "Customers")}
        self.assertLessEqual(expected, set(book.sheetnames))
        self.assertFalse({"Medium", "Acquisition month"} & set(book.sheetnames))
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            charts = [
                archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/charts/")
            ]
        titles = [" ".join(re.findall(r"<a:t>([^<]*)</a:t>", chart)) for chart in charts]
        self.assertIn(self.tr("Return on investment by %s") % self.tr("Source"), titles)
        # The window the scoring opens is titled in Turkish too: "Kampanya puanlama: Kaynak".
        self.assertEqual(score.action_compute()["name"], self.tr("Campaign scoring: %s") % self.tr("Source"))

    def test_value_workbook_speaks_turkish(self):
        wizard = self.tr_env["affinity.value.export"].create({})
        book = openpyxl.load_workbook(io.BytesIO(self._workbook(wizard.action_export_xlsx())))
        self.assertEqual(
            set(book.sheetnames),
            {self.tr(term) for term in ("Segments", "Customers by value", "Review flags")},
        )

    def test_follow_up_searches_are_translated(self):
        """The seed's questions are search filters, translated; a shared favourite's name would not be."""
        arch = self.tr_env["affinity.followup"].get_views([(False, "search")])["views"]["search"]["arch"]
        strings = {node.get("name"): node.get("string") for node in etree.fromstring(arch).iter("filter")}
        self.assertEqual(strings["next_appointment"], self.tr("With a next appointment"))
        self.assertEqual(strings["done_last_week"], self.tr("Done last week"))
        self.assertEqual(strings["next_month"], self.tr("Planned next month"))
        self.assertEqual(strings["by_due_day"], self.tr("Due day"))
        self.assertEqual(strings["by_due_week"], self.tr("Due week"))
        self.assertFalse(
            self.env["ir.model.data"].search([("module", "=", "crm_affinity"), ("model", "=", "ir.filters")])
        )


@tagged("post_install", "-at_install")
class TestTurkishConfirmation(TurkishMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_turkish()
        cls.env.company.write(
            {"affinity_consent_mode": "opt_in", "affinity_double_optin": True, "email": "info@example.com"}
        )
        cls.partner = cls.env["res.partner"].create(
            {"name": "Deniz Onay", "email": "deniz.onay@example.com", "lang": "tr_TR"}
        )
        cls.centre = cls.env["affinity.preference.centre"]
        # The visitor's session is in English: the page follows the person the link is for.
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env.ref("base.public_user").lang = "en_US"

    def test_confirmation_names_channel_and_purpose_in_the_persons_language(self):
        """ "E-mail — Marketing" on a Turkish customer's confirmation page, mail and SMS."""
        email = self.env.ref("crm_affinity.affinity_channel_email")
        marketing = self.env.ref("crm_affinity.affinity_purpose_marketing")
        consent, sent = self.centre._request_confirmation(
            self.partner, email, marketing, "preference_centre", {}
        )
        self.assertTrue(sent)
        what = f"{self.tr('E-mail')} — {self.tr('Marketing')}"
        mail = self.env["mail.mail"].search([("email_to", "ilike", "deniz.onay@example.com")], limit=1)
        self.assertIn(what, mail.body_html)
        link = self.centre._confirm_link(consent).split(self.partner.get_base_url(), 1)[1]
        html = self.url_open(link).text
        self.assertIn(self.tr("Confirm your subscription"), html)
        self.assertIn(what, html)
        self.assertNotIn("E-mail — Marketing", html)
