import base64
import datetime
import io
import json
import re

import openpyxl

from odoo import fields
from odoo.tests import HttpCase, tagged

from .iys_standin import IysStandIn
from .test_translations import ALLOWED_ENGLISH, MODULES, NOT_WORDS, WORDS, catalog


@tagged("post_install", "-at_install")
class TestTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's own onboarding tours would run beside ours for an admin without demo data.
        cls.env.ref("base.user_admin").tour_enabled = False

    def test_menu_tour(self):
        self.start_tour("/odoo", "crm_affinity_menu_tour", login="admin")

    def test_profile_tour(self):
        partner = self.env["res.partner"].create({"name": "Tour Ayşe", "email": "tour@example.com"})
        self.start_tour(f"/odoo/contacts/{partner.id}", "crm_affinity_profile_tour", login="admin")
        self.assertEqual(partner.affinity_salutation, "Ayşe Hanım")
        self.assertEqual(partner.affinity_cadence_days, 30)
        self.assertEqual(partner.affinity_preference_ids.name, "Daisies, never roses")
        self.assertEqual(partner.affinity_preference_ids.category_id.code, "flowers")

    def test_caution_tour(self):
        partner = self.env["res.partner"].create(
            {
                "name": "Careful Ayşe",
                "mobile": "+90 532 999 88 77",
                "affinity_channel_ids": [
                    (
                        0,
                        0,
                        {
                            "channel_id": self.env.ref("crm_affinity.affinity_channel_sms").id,
                            "caution": "Her brother reads her SMS: keep it neutral",
                        },
                    )
                ],
            }
        )
        self.start_tour(f"/odoo/contacts/{partner.id}", "crm_affinity_caution_tour", login="admin")

    def test_followup_tour(self):
        admin = self.env.ref("base.user_admin")
        partner = self.env["res.partner"].create({"name": "Tour Mehmet", "affinity_owner_id": admin.id})
        rule = self.env.ref("crm_affinity.followup_rule_cadence_call")
        today = fields.Date.context_today(rule)
        followup = self.env["affinity.followup"].create(
            {
                "rule_id": rule.id,
                "partner_id": partner.id,
                "company_id": self.env.company.id,
                "occurrence_date": today,
                "due_date": today,
                "due_datetime": datetime.datetime.combine(today, datetime.time()),
                "user_id": admin.id,
            }
        )
        self.start_tour(
            "/odoo/action-crm_affinity.affinity_followup_rule_action",
            "crm_affinity_followup_tour",
            login="admin",
        )
        created = self.env["affinity.followup.rule"].search([("name", "=", "Call lapsed VIPs")])
        self.assertEqual((created.trigger, created.action), ("cadence", "activity"))
        self.assertEqual((followup.state, followup.outcome), ("done", "successful"))

    def test_scoring_tour(self):
        source = self.env["utm.source"].create({"name": "Tour Billboard"})
        today = fields.Date.context_today(source)
        self.env["res.partner"].create(
            {"name": "Tour customer", "affinity_source_id": source.id, "affinity_acquired_on": today}
        )
        self.env["affinity.marketing.spend"].create(
            {"date_from": today.replace(day=1), "date_to": today, "source_id": source.id, "amount": 100}
        )
        self.start_tour("/odoo", "crm_affinity_scoring_tour", login="admin")
        # The same wizard's download: a workbook, as the button hands it to the browser.
        wizard = self.env["affinity.campaign.score"].search([], order="id desc", limit=1)
        response = self.url_open(wizard.action_export_xlsx()["url"])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content[:2], b"PK")

    def test_value_review_tour(self):
        partner = self.env["res.partner"].create({"name": "Tour Late Payer", "email": "late@example.com"})
        flag = self.env["affinity.review.flag"].create(
            {"partner_id": partner.id, "kind": "late_payer", "measure": 75, "measure_secondary": 12}
        )
        self.start_tour("/odoo", "crm_affinity_value_review_tour", login="admin")
        self.assertEqual(flag.state, "offboarded")
        self.assertEqual(partner.affinity_offboard_strategy, "price_review")
        self.assertIn("new prices", partner.affinity_offboard_reason)
        decision = partner._affinity_contact_decision("email", "marketing", check_window=False)[partner.id]
        self.assertEqual(decision.reason, "denied")
        self.assertTrue(partner.activity_ids)

    def test_skipped_followup_tour(self):
        """Opt-in mode: the win-back nobody may receive is skipped, and the list says why in words."""
        self.env.company.affinity_consent_mode = "opt_in"
        partner = self.env["res.partner"].create(
            {
                "name": "Tour Lapsing",
                "email": "lapsing@example.com",
                "mobile": "+90 532 777 66 55",
                "phone": "+90 212 777 66 55",
            }
        )
        today = fields.Date.context_today(partner)
        followup = self.env["affinity.followup"].create(
            {
                "rule_id": self.env.ref("crm_affinity.followup_rule_winback").id,
                "partner_id": partner.id,
                "company_id": self.env.company.id,
                "occurrence_date": today,
                "due_date": today,
                "due_datetime": datetime.datetime.combine(today, datetime.time()),
                "user_id": self.env.ref("base.user_admin").id,
            }
        )
        followup._dispatch()
        self.assertEqual(followup.state, "skipped")
        self.assertFalse(partner.activity_ids)
        self.start_tour(
            "/odoo/action-crm_affinity.affinity_followup_action",
            "crm_affinity_skipped_followup_tour",
            login="admin",
        )

    def test_preference_centre_tour(self):
        """A person withdraws SMS marketing on their Turkish page; the back office shows the decision flip."""
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        self.env.company.affinity_consent_mode = "opt_in"
        partner = self.env["res.partner"].create(
            {
                "name": "Tur Tercih",
                "email": "tur.tercih@example.com",
                "mobile": "+90 532 999 88 77",
                "lang": "tr_TR",
            }
        )
        partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        link = self.env["affinity.preference.centre"]._link(partner)
        self.start_tour(link.split(partner.get_base_url(), 1)[1], "crm_affinity_preference_centre_tour")
        decision = partner._affinity_contact_decision("sms", "marketing", check_window=False)[partner.id]
        self.assertEqual(decision.reason, "denied")
        self.env.ref("base.user_admin").lang = "tr_TR"
        self.start_tour(f"/odoo/contacts/{partner.id}", "crm_affinity_decision_matrix_tour", login="admin")

    def test_iys_account_tour(self):
        """An administrator configures the IYS account in the UI and the stand-in answers the test."""
        iys = IysStandIn().start()
        self.addCleanup(iys.stop)
        self.env["ir.config_parameter"].set_param("crm_affinity.iys_base_url", iys.url)
        # A grant given before the account: saving the account does not block it, switching on registers it.
        partner = self.env["res.partner"].create({"name": "Tur IYS", "mobile": "+90 532 444 55 66"})
        partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.start_tour(
            "/odoo/action-crm_affinity.affinity_iys_account_action",
            "crm_affinity_iys_account_tour",
            login="admin",
        )
        account = self.env["affinity.iys.account"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual((account.base_url, account.brand_code), (iys.url, "654321"))
        self.assertTrue(iys.token_requests)
        self.assertEqual((account.state, iys.status_requests), ("on", 1))
        consent = partner.affinity_consent_ids.filtered(lambda c: c.channel_id.code == "sms")
        self.assertEqual(consent.iys_push_ids.status, "ONAY")

    def test_turkish_capitals_tour(self):
        """Uppercase section titles follow Turkish casing: the page is marked Turkish, the browser does the rest."""
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        admin = self.env.ref("base.user_admin")
        admin.lang = "tr_TR"
        partner = self.env["res.partner"].create({"name": "Tur Büyük Harf"})
        self.start_tour(f"/odoo/contacts/{partner.id}", "crm_affinity_turkish_capitals_tour", login="admin")
        # An English reader's page says English.
        admin.lang = "en_US"
        self.authenticate("admin", "admin")
        self.assertIn('<html lang="en-US"', self.url_open("/odoo").text)

    def test_turkish_screens_tour(self):
        """A Turkish admin walks the partner form, the settings, a consent import from a Turkish workbook and the
        offboarding wizard: no English word is visible on those screens (issue #34).

        The oracle is the addon's catalog: the words of its English texts that have a Turkish translation other
        than themselves, less every word its Turkish uses and a short allow-list, none computed by the screens."""
        installed = self.env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
        self.env["res.lang"]._activate_lang("tr_TR")
        # Odoo's own screens in Turkish too, as a Turkish admin has them: what is English is then ours.
        self.env["ir.module.module"]._load_module_terms(installed, ["tr_TR"], overwrite=True)
        admin = self.env.ref("base.user_admin")
        admin.write({"lang": "tr_TR", "tz": "Europe/Istanbul"})
        english, turkish = set(), set()

        def words_of(text):
            # Placeholders, markup, addresses, links and paths are not words of a language.
            text = re.sub(r"\S+@\S+|\S*://\S+|(?<!\S)/\S+", " ", NOT_WORDS.sub(" ", text or ""))
            return set(WORDS.findall(text.lower()))

        for module in MODULES:
            for source, translation in catalog(module).items():
                turkish |= words_of(translation)
                if translation and translation != source:
                    english |= words_of(source)
        # Names of people and companies are nobody's English, nor Odoo's names of languages ("Turkish / Türkçe",
        # not translated by Odoo); abbreviations and brands read the same in Turkish.
        languages = self.env["res.lang"].search([]).mapped("name")
        names = " ".join([self.env.company.name, admin.name, "Deniz Yıldız", *languages]).lower()
        allowed = ALLOWED_ENGLISH | {"iys", "kvkk", "sms", "gdpr"} | set(WORDS.findall(names))
        words = sorted(word for word in english - turkish - allowed if len(word) > 2)
        self.assertLessEqual({"wedding", "anniversary", "consent", "offboard"}, set(words))
        self.env["ir.config_parameter"].set_param("crm_affinity.tour_english_words", json.dumps(words))

        # A partner whose file, consents, dates and value fill the three tabs, entered by a Turkish admin.
        tr = self.env(context=dict(self.env.context, lang="tr_TR"))
        today = fields.Date.context_today(admin)
        ref = self.env.ref
        sms = ref("crm_affinity.affinity_channel_sms")
        dates = [("affinity_date_kind_wedding", 14, "2", 2001), ("affinity_date_kind_birthday", 3, "9", 1970)]
        partner = tr["res.partner"].create(
            {
                "name": "Deniz Yıldız",
                "email": "deniz@example.com",
                "mobile": "+90 532 111 22 33",
                "lang": "tr_TR",
                "affinity_salutation": "Deniz Bey",
                "affinity_nickname": "Dede",
                "affinity_cadence_days": 30,
                "affinity_acquired_on": today - datetime.timedelta(days=400),
                "affinity_conversation_openers": "Kızı Ankara'da üniversiteye başladı.",
                "affinity_date_ids": [
                    (
                        0,
                        0,
                        {"kind_id": ref(f"crm_affinity.{kind}").id, "day": day, "month": month, "year": year},
                    )
                    for kind, day, month, year in dates
                ],
                "affinity_preference_ids": [
                    (
                        0,
                        0,
                        {
                            "category_id": ref("crm_affinity.affinity_preference_category_flowers").id,
                            "name": "Papatya",
                        },
                    )
                ],
                "affinity_gift_ids": [
                    (
                        0,
                        0,
                        {
                            "date": today,
                            "occasion": "Yeni yıl",
                            "name": "Lokum",
                            "cost": 450,
                            "reaction": "loved",
                        },
                    )
                ],
                "affinity_channel_ids": [
                    (0, 0, {"channel_id": sms.id, "caution": "Akşamları mesaj atmayın."})
                ],
                "affinity_window_ids": [
                    (0, 0, {"channel_id": sms.id, "weekday": "0", "hour_from": 9, "hour_to": 18})
                ],
            }
        )
        partner.write(
            {
                "affinity_value_date": today,
                "affinity_segment_id": ref("crm_affinity.affinity_rfm_segment_champions").id,
                "affinity_rfm_score": "555",
                "affinity_ltv": 12500,
                "affinity_value_rank": 1,
            }
        )
        partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        tr["affinity.review.flag"].create(
            {"partner_id": partner.id, "kind": "late_payer", "measure": 75, "measure_secondary": 12}
        )
        partner._affinity_set_consent("email", "service", "denied", source="call_centre")
        self.start_tour(f"/odoo/contacts/{partner.id}", "crm_affinity_turkish_partner_tour", login="admin")
        self.assertEqual(partner.affinity_offboard_strategy, "end_relationship")
        decision = partner._affinity_contact_decision("sms", "marketing", check_window=False)[partner.id]
        self.assertEqual(decision.reason, "denied")

        self.start_tour("/odoo/settings", "crm_affinity_turkish_settings_tour", login="admin")

        # Consents as Turkish Excel writes them: Turkish labels, Turkish date and date-time; first a file with
        # mistakes, whose errors the preview explains in Turkish.
        header = ["partner", "channel", "purpose", "state", "date"]
        workbooks = {
            "crm_affinity.tour_consent_xlsx_wrong": [
                header,
                ["deniz@example.com", "Faks", "Pazarlama", "Verildi", "31.02.2026"],
                ["yok@example.com", "SMS", "Hizmet", "Belki", "06.11.2026"],
            ],
            "crm_affinity.tour_consent_xlsx": [
                header,
                ["deniz@example.com", "E-posta", "Pazarlama", "Verildi", "06.11.2026 14:30"],
                ["0532 111 22 33", "SMS", "Hizmet", "Verildi", "06.11.2026"],
            ],
        }
        for key, rows in workbooks.items():
            book = openpyxl.Workbook()
            for row in rows:
                book.active.append(row)
            content = io.BytesIO()
            book.save(content)
            self.env["ir.config_parameter"].set_param(key, base64.b64encode(content.getvalue()).decode())
        self.start_tour(
            "/odoo/action-crm_affinity.affinity_consent_import_action",
            "crm_affinity_turkish_import_tour",
            login="admin",
        )
        consents = partner.affinity_consent_ids
        email = consents.filtered(lambda c: (c.channel_id.code, c.purpose_id.code) == ("email", "marketing"))
        sms = consents.filtered(lambda c: (c.channel_id.code, c.purpose_id.code) == ("sms", "service"))
        self.assertEqual((email.state, sms.state), ("granted", "granted"))
        # 14:30 in Istanbul (UTC+3) is 11:30 UTC.
        self.assertEqual(email.date_given, datetime.datetime(2026, 11, 6, 11, 30))
