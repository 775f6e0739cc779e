import datetime

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from ..models.affinity_date import next_occurrence
from .common import AffinityCase


@tagged("post_install", "-at_install")
class TestImportantDates(AffinityCase):
    def _date(self, day, month, year=False, kind=None, **extra):
        return self.env["affinity.date"].create(
            dict(
                {
                    "partner_id": self.partner.id,
                    "kind_id": (kind or self.kind_wedding).id,
                    "day": day,
                    "month": str(month),
                    "year": year,
                },
                **extra,
            )
        )

    def test_next_occurrence_function(self):
        today = datetime.date(2027, 3, 10)
        self.assertEqual(next_occurrence(29, 2, 1996, True, today), datetime.date(2028, 2, 29))
        self.assertEqual(
            next_occurrence(29, 2, 1996, True, datetime.date(2027, 1, 5)), datetime.date(2027, 2, 28)
        )
        self.assertEqual(next_occurrence(10, 3, None, True, today), today)
        self.assertEqual(next_occurrence(9, 3, None, True, today), datetime.date(2028, 3, 9))
        self.assertFalse(next_occurrence(9, 3, 2026, False, today))
        self.assertEqual(next_occurrence(1, 6, 2030, False, today), datetime.date(2030, 6, 1))

    @freeze_time("2027-02-01")
    def test_29_february_in_a_non_leap_year(self):
        record = self._date(29, 2, 1996, kind=self.kind_birthday)
        self.assertEqual(record.next_date, datetime.date(2027, 2, 28))

    @freeze_time("2028-02-01")
    def test_29_february_in_a_leap_year(self):
        record = self._date(29, 2, 1996, kind=self.kind_birthday)
        self.assertEqual(record.next_date, datetime.date(2028, 2, 29))

    def test_next_occurrence_rolls_over_the_year_boundary(self):
        with freeze_time("2026-12-20"):
            record = self._date(2, 1, kind=self.kind_birthday)
            self.assertEqual(record.next_date, datetime.date(2027, 1, 2))
            self.assertEqual(self.partner.affinity_next_date, datetime.date(2027, 1, 2))
        with freeze_time("2027-01-03"):
            cron = self.env.ref("crm_affinity.ir_cron_affinity_roll_dates")
            cron.method_direct_trigger()
            self.assertEqual(record.next_date, datetime.date(2028, 1, 2))
            self.assertEqual(self.partner.affinity_next_date, datetime.date(2028, 1, 2))

    def test_invalid_dates_are_refused_and_nothing_saved(self):
        before = self.env["affinity.date"].search_count([])
        for day, month, year in (
            (31, 4, False),
            (30, 2, False),
            (29, 2, 2023),
            (0, 5, False),
            (32, 1, False),
        ):
            with self.subTest(day=day, month=month, year=year), self.assertRaises(ValidationError):
                self._date(day, month, year)
        with self.assertRaises(ValidationError):
            self._date(1, 1, datetime.date.today().year + 1, kind=self.kind_birthday)
        with self.assertRaises(ValidationError):
            self._date(1, 1, False, recurring=False)
        self.assertEqual(self.env["affinity.date"].search_count([]), before)

    def test_negative_cadence_and_lead_days_are_refused(self):
        with self.assertRaises(ValidationError):
            self.partner.affinity_cadence_days = -5
        self.assertEqual(self.partner.affinity_cadence_days, 0)
        with self.assertRaises(ValidationError):
            self._date(3, 3, lead_days=-1)
        self.assertFalse(self.partner.affinity_date_ids)


@tagged("post_install", "-at_install")
class TestProfile(AffinityCase):
    def test_profile_fields_round_trip(self):
        partner = self.partner.with_user(self.user_affinity)
        with Form(partner, view="crm_affinity.res_partner_view_form_affinity_file") as form:
            form.affinity_salutation = "Ayşe Hanım"
            form.affinity_nickname = "Ayşecik"
            form.affinity_cadence_days = 30
            with form.affinity_preference_ids.new() as line:
                line.category_id = self.category_flowers
                line.polarity = "like"
                line.name = "Daisies"
        self.assertEqual(self.partner.affinity_salutation, "Ayşe Hanım")
        self.assertEqual(len(self.partner.affinity_profile_ids), 1)
        self.assertEqual(self.partner.affinity_preference_ids.name, "Daisies")
        self.assertTrue(self.partner.affinity_next_contact_due)

    def test_the_file_stays_while_the_form_is_edited(self):
        """Changing the salesperson recomputes the file's fields on the form's draft: they show the saved file."""
        self.partner.affinity_salutation = "Ayşe Hanım"
        with Form(self.partner.with_user(self.user_affinity)) as form:
            form.user_id = self.user_manager
            self.assertEqual(form.affinity_salutation, "Ayşe Hanım")
        self.assertEqual(self.partner.affinity_salutation, "Ayşe Hanım")
        self.assertEqual(self.partner.user_id, self.user_manager)

    def test_openers_written_on_the_partner_are_sanitized_in_the_file(self):
        """The partner's mirrors are not sanitized on read: the file sanitizes whatever reaches it."""
        partner = self.partner.with_user(self.user_affinity)
        partner.write(
            {
                "affinity_conversation_openers": '<p onclick="steal()">Ask about Bodrum<script>steal()</script></p>',
                "affinity_notes": "<p>Her brother reads her SMS<iframe src='https://evil.example'></iframe></p>",
            }
        )
        profile = self.partner.affinity_profile_ids
        for stored in (profile.conversation_openers, profile.notes):
            self.assertNotIn("script", stored)
            self.assertNotIn("onclick", stored)
            self.assertNotIn("iframe", stored)
        self.assertIn("Ask about Bodrum", profile.conversation_openers)
        partner.invalidate_recordset()
        self.assertEqual(partner.affinity_conversation_openers, profile.conversation_openers)
        self.assertEqual(partner.affinity_notes, profile.notes)

    def test_gift_reaction_becomes_a_preference(self):
        gift = self.env["affinity.gift"].create(
            {"partner_id": self.partner.id, "name": "Red roses", "reaction": "disliked", "cost": 30}
        )
        gift.action_reaction_to_preference()
        self.assertEqual(gift.preference_id.polarity, "dislike")
        self.assertEqual(gift.preference_id.partner_id, self.partner)
        gift.reaction = "loved"
        gift.action_reaction_to_preference()
        self.assertEqual(gift.preference_id.polarity, "like")
        self.assertEqual(len(self.partner.affinity_preference_ids), 1)
        fine = self.env["affinity.gift"].create(
            {"partner_id": self.partner.id, "name": "Pen", "reaction": "fine"}
        )
        with self.assertRaises(UserError):
            fine.action_reaction_to_preference()


@tagged("post_install", "-at_install")
class TestLastInteraction(AffinityCase):
    def setUp(self):
        super().setUp()
        self.partner.affinity_cadence_days = 30

    def _truth(self):
        self.partner.affinity_last_interaction = False
        self.partner._affinity_refresh_last_interaction()
        return self.partner.affinity_last_interaction

    def test_logged_note_counts(self):
        with freeze_time("2026-03-01 10:00:00"):
            self.partner.with_user(self.user_affinity).message_post(
                body="Called about the order", message_type="comment", subtype_xmlid="mail.mt_note"
            )
        self.assertEqual(self.partner.affinity_last_interaction, datetime.datetime(2026, 3, 1, 10, 0))
        self.assertEqual(self._truth(), datetime.datetime(2026, 3, 1, 10, 0))
        self.assertEqual(self.partner.affinity_next_contact_due, datetime.date(2026, 3, 31))

    def test_mass_mailing_and_robot_messages_do_not_count(self):
        self.env["mail.message"].create(
            {
                "model": "res.partner",
                "res_id": self.partner.id,
                "message_type": "email_outgoing",
                "body": "Autumn offers",
                "author_id": self.env.user.partner_id.id,
            }
        )
        self.partner.with_user(self.env.ref("base.user_root")).message_post(
            body="Happy birthday!",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            author_id=self.env.ref("base.partner_root").id,
        )
        self.assertFalse(self.partner.affinity_last_interaction)
        self.assertFalse(self._truth())

    def test_done_activity_counts(self):
        activity = self.partner.activity_schedule(
            "mail.mail_activity_data_call", summary="Call Ayşe", user_id=self.user_affinity.id
        )
        with freeze_time("2026-04-02 09:30:00"):
            activity.with_user(self.user_affinity).action_feedback(feedback="She is happy")
        self.assertEqual(self._truth(), datetime.datetime(2026, 4, 2, 9, 30))

    def test_confirmed_sale_order_counts(self):
        product = self.env["product.product"].create({"name": "Cezve", "list_price": 20})
        order = self.env["sale.order"].create(
            {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
        )
        with freeze_time("2026-05-05 12:00:00"):
            order.date_order = "2026-05-05 12:00:00"
            order.action_confirm()
        self.assertEqual(self.partner.affinity_last_interaction.date(), datetime.date(2026, 5, 5))
        self.assertEqual(self._truth(), datetime.datetime(2026, 5, 5, 12, 0))

    def test_won_opportunity_counts(self):
        lead = self.env["crm.lead"].create(
            {"name": "Espresso machine", "partner_id": self.partner.id, "type": "opportunity"}
        )
        with freeze_time("2026-06-06 16:00:00"):
            lead.action_set_won()
        self.assertEqual(self._truth(), datetime.datetime(2026, 6, 6, 16, 0))

    def test_contact_of_a_company_counts_for_the_company(self):
        company = self.Partner.create({"name": "Yılmaz Tekstil A.Ş.", "is_company": True})
        self.partner.parent_id = company
        with freeze_time("2026-07-07 08:00:00"):
            self.partner.with_user(self.user_affinity).message_post(
                body="Met at the fair", message_type="comment", subtype_xmlid="mail.mt_note"
            )
        self.assertEqual(
            company._affinity_interaction_dates()[company.id], datetime.datetime(2026, 7, 7, 8, 0)
        )

    def test_cron_refreshes(self):
        self.partner.with_user(self.user_affinity).message_post(
            body="hello", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.partner.affinity_last_interaction = False
        self.env.ref("crm_affinity.ir_cron_affinity_relationships").method_direct_trigger()
        self.assertTrue(self.partner.affinity_last_interaction)


@tagged("post_install", "-at_install")
class TestPartnerFilters(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = datetime.date(2026, 11, 23)
        with freeze_time(cls.today):
            vals = []
            for index in range(3000):
                day = cls.today + datetime.timedelta(days=index % 60)
                vals.append(
                    {
                        "name": f"Filter partner {index}",
                        "affinity_cadence_days": 10,
                        "affinity_last_interaction": datetime.datetime.combine(
                            cls.today - datetime.timedelta(days=5), datetime.time(12)
                        ),
                        "affinity_date_ids": [
                            (
                                0,
                                0,
                                {
                                    "kind_id": cls.env.ref("crm_affinity.affinity_date_kind_custom").id,
                                    "day": day.day,
                                    "month": str(day.month),
                                    "year": day.year,
                                },
                            )
                        ],
                    }
                )
            for values in vals[:1000]:
                values["affinity_last_interaction"] -= datetime.timedelta(days=20)
            cls.filter_partners = cls.env["res.partner"].create(vals)
            # Stored computes run at flush: flush while today is still frozen.
            cls.env.flush_all()

    def _filter_domain(self, name):
        view = self.env.ref("crm_affinity.res_partner_view_search")
        node = etree.fromstring(view.arch).xpath(f"//filter[@name='{name}']")[0]
        context = {"context_today": lambda: self.today, "relativedelta": relativedelta, "uid": self.env.uid}
        return safe_eval(node.get("domain"), context)

    def test_important_date_filters(self):
        scope = [("id", "in", self.filter_partners.ids)]
        with freeze_time(self.today):
            in7 = self.env["res.partner"].search(scope + self._filter_domain("affinity_date_7"))
            in30 = self.env["res.partner"].search(scope + self._filter_domain("affinity_date_30"))
        # index % 60 in 0..7 and 0..30, out of 3000 partners: 8 and 31 of every 60.
        self.assertEqual(len(in7), 50 * 8)
        self.assertEqual(len(in30), 50 * 31)

    def test_contact_due_filters(self):
        scope = [("id", "in", self.filter_partners.ids)]
        overdue = self.env["res.partner"].search(scope + self._filter_domain("affinity_contact_overdue"))
        self.assertEqual(len(overdue), 1000)
        week = self.env["res.partner"].search(scope + self._filter_domain("affinity_contact_week"))
        self.assertEqual(len(week), 2000)
