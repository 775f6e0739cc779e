import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import JourneyCase

MONDAY = datetime.datetime(2026, 6, 1, 8, 0)


@tagged("post_install", "-at_install")
class TestShippedJourneys(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.env.ref("base.user_admin")
        cls.partner.user_id = cls.salesperson
        cls.partner_other.user_id = cls.salesperson

    def shipped(self, xmlid):
        journey = self.env.ref(f"crm_affinity_automation.{xmlid}")
        journey.active = True
        return journey

    def test_shipped_journeys_wait_in_draft_and_write_in_turkish(self):
        xmlids = ("journey_welcome", "journey_winback", "journey_complaint", "journey_birthday")
        journeys = self.env["automation.configuration"].browse(
            [self.env.ref(f"crm_affinity_automation.{xmlid}").id for xmlid in xmlids]
        )
        self.assertEqual(set(journeys.mapped("state")), {"draft"})
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(
            ["crm_affinity_automation"], ["tr_TR"], overwrite=True
        )
        templates = journeys.automation_step_ids.mail_template_id.with_context(lang="tr_TR")
        self.assertEqual(len(templates), 7)
        self.assertIn("Sizi özledik, {{ object.name }}", templates.mapped("subject"))
        self.assertIn("İletişimde kalabilir miyiz?", templates.mapped("subject"))

    def test_win_back_branches_on_opened_and_not_opened(self):
        at_risk = self.env.ref("crm_affinity.affinity_rfm_segment_at_risk")
        both = self.partner | self.partner_other
        both.sudo().write({"affinity_segment_id": at_risk.id})
        both._affinity_set_consent("email", "marketing", "granted", source="paper")
        both._affinity_set_consent("phone", "marketing", "granted", source="paper")
        (self.partner_other | self.partner).phone = "+90 212 555 00 00"
        journey = self.shipped("journey_winback")
        thanks = self.env.ref("crm_affinity_automation.journey_winback_step_thanks")
        call = self.env.ref("crm_affinity_automation.journey_winback_step_call")
        with freeze_time(MONDAY):
            records = self.start(journey)
            self.run_due()
        self.assertEqual(sorted(records.mapped("res_id")), sorted(both.ids))
        first = self.step_of(journey, self.partner).filtered(lambda s: not s.parent_id)
        self.assertEqual(first.state, "done")
        with freeze_time(MONDAY + datetime.timedelta(hours=3)):
            first._set_mail_open()
        with freeze_time(MONDAY + datetime.timedelta(days=5, hours=4)):
            self.run_due()
        opened_path = self.step_of(journey, self.partner)
        self.assertEqual(opened_path.filtered(lambda s: s.configuration_step_id == thanks).state, "done")
        self.assertEqual(opened_path.filtered(lambda s: s.configuration_step_id == call).state, "rejected")
        silent_path = self.step_of(journey, self.partner_other)
        self.assertEqual(silent_path.filtered(lambda s: s.configuration_step_id == call).state, "done")
        self.assertFalse(silent_path.filtered(lambda s: s.configuration_step_id == thanks).scheduled_date)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.partner_other.id)]
        )
        self.assertEqual((activity.activity_type_id, activity.user_id), (self.call_type, self.salesperson))

    def test_win_back_calls_nobody_who_refused_calls(self):
        at_risk = self.env.ref("crm_affinity.affinity_rfm_segment_at_risk")
        self.partner.sudo().affinity_segment_id = at_risk
        self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.partner._affinity_set_consent("phone", "marketing", "denied", source="paper")
        journey = self.shipped("journey_winback")
        call = self.env.ref("crm_affinity_automation.journey_winback_step_call")
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        with freeze_time(MONDAY + datetime.timedelta(days=5, hours=1)):
            self.run_due()
        step = self.step_of(journey, self.partner).filtered(lambda s: s.configuration_step_id == call)
        self.assertEqual((step.state, step.affinity_reason_label), ("rejected", "consent denied"))
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.partner.id)]
            )
        )

    def test_the_complainant_hears_from_us_until_it_is_resolved(self):
        journey = self.shipped("journey_complaint")
        with freeze_time(MONDAY):
            complaint = self.env["affinity.complaint"].create(
                {"name": "Geç teslimat", "partner_id": self.partner.id, "user_id": self.salesperson.id}
            )
            journey.editable_domain = repr([("id", "=", complaint.id), ("state", "!=", "resolved")])
            self.start(journey)
            self.run_due()
        steps = self.env["automation.record.step"].search([("configuration_id", "=", journey.id)])
        received = steps.filtered(lambda s: not s.parent_id)
        self.assertEqual(received.state, "done")
        mail = self.env["mail.mail"].search([("automation_record_step_id", "=", received.id)])
        self.assertEqual(mail.recipient_ids, self.partner)
        self.assertIn("Geç teslimat", mail.subject)
        with freeze_time(MONDAY + datetime.timedelta(days=1, hours=1)):
            self.run_due()
        call = self.env.ref("crm_affinity_automation.journey_complaint_step_call")
        call_step = self.env["automation.record.step"].search(
            [("configuration_id", "=", journey.id), ("configuration_step_id", "=", call.id)]
        )
        # A call about one's own complaint is service: it needs no marketing consent.
        self.assertEqual(call_step.state, "done")
        complaint.action_resolve()
        with freeze_time(MONDAY + datetime.timedelta(days=3, hours=1)):
            self.run_due()
        update = self.env.ref("crm_affinity_automation.journey_complaint_step_update")
        update_step = self.env["automation.record.step"].search(
            [("configuration_id", "=", journey.id), ("configuration_step_id", "=", update.id)]
        )
        self.assertEqual(update_step.state, "rejected", "resolved: no more news to send")
        self.assertFalse(update_step.affinity_reason)

    def test_birthday_reminds_the_salesperson_a_week_before(self):
        # The journey's filter reads the real clock (safe_eval's own datetime), so the birthdays are set from it.
        today = datetime.date.today()
        in_a_week, in_two = today + datetime.timedelta(days=7), today + datetime.timedelta(days=14)
        for partner, day in ((self.partner, in_a_week), (self.partner_other, in_two)):
            self.env["affinity.date"].create(
                {
                    "partner_id": partner.id,
                    "kind_id": self.kind_birthday.id,
                    "day": day.day,
                    "month": str(day.month),
                }
            )
        journey = self.shipped("journey_birthday")
        records = self.start(journey)
        self.run_due()
        self.assertEqual(records.mapped("res_id"), [self.partner.id])
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.partner.id)]
        )
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertIn("birthday", activity.summary)
        wish = self.env.ref("crm_affinity_automation.journey_birthday_step_wish")
        wish_step = self.step_of(journey, self.partner, wish)
        self.assertEqual((wish_step.state, wish_step.scheduled_date.date()), ("scheduled", in_a_week))
