import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import JourneyCase

# A Monday, no public holiday: 08:00 UTC is 11:00 in Istanbul.
MONDAY = datetime.datetime(2026, 6, 1, 8, 0)


@tagged("post_install", "-at_install")
class TestJourneyGate(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        cls.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        cls.partner._affinity_set_consent("phone", "marketing", "granted", source="paper")
        cls.partner_other._affinity_set_consent("email", "marketing", "denied", source="paper")
        cls.partner_other._affinity_set_consent("sms", "marketing", "denied", source="paper")
        cls.partner_other._affinity_set_consent("phone", "marketing", "denied", source="paper")
        cls.partner_other.mobile = "+44 7911 654321"
        cls.both = cls.partner | cls.partner_other

    def mails_of(self, step):
        return self.env["mail.mail"].search([("automation_record_step_id", "=", step.id)])

    def test_a_denied_mail_step_is_rejected_with_the_decisions_reason(self):
        journey = self.journey(self.both)
        first = self.step(journey)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        sent, refused = self.step_of(journey, self.partner), self.step_of(journey, self.partner_other)
        self.assertEqual(sent.state, "done")
        self.assertEqual(self.mails_of(sent).recipient_ids, self.partner)
        self.assertEqual(sent.affinity_partner_id, self.partner)
        self.assertEqual(sent.affinity_channel_id, self.channel_email)
        self.assertEqual(refused.state, "rejected")
        self.assertFalse(self.mails_of(refused))
        self.assertEqual(refused.affinity_reason_label, "consent denied")
        self.assertEqual(refused.processed_on, MONDAY)
        self.assertEqual(refused.record_id.state, "done", "nothing left to run for the refused person")
        self.assertEqual(first.graph_error, 1)

    def test_the_journeys_record_shows_each_steps_reason(self):
        arch = self.env["automation.record"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("o_affinity_step_reason", arch)
        self.assertIn('name="affinity_reason_label"', arch)
        step_list = self.env["automation.record.step"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="affinity_reason_label"', step_list)

    def test_the_reason_reads_in_turkish(self):
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        journey = self.journey(self.partner_other)
        self.step(journey)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        refused = self.step_of(journey, self.partner_other).with_context(lang="tr_TR")
        self.assertEqual(refused.state, "rejected")
        self.assertEqual(refused.affinity_reason_label, "izin reddedildi")

    def test_a_step_that_goes_at_once_is_gated_too(self):
        """A negative interval runs the step in the same process (``do_not_wait``), not by the cron."""
        journey = self.journey(self.both)
        self.step(journey, trigger_interval=-1)
        with freeze_time(MONDAY):
            self.start(journey)
        self.assertEqual(self.step_of(journey, self.partner).state, "done")
        refused = self.step_of(journey, self.partner_other)
        self.assertEqual((refused.state, refused.affinity_reason), ("rejected", "denied"))
        self.assertFalse(self.mails_of(refused))

    def test_a_step_run_by_hand_is_gated(self):
        journey = self.journey(self.partner_other)
        self.step(journey, trigger_interval=2)
        with freeze_time(MONDAY):
            self.start(journey)
            step = self.step_of(journey, self.partner_other)
            step.run()
        self.assertEqual((step.state, step.affinity_reason), ("rejected", "denied"))

    def test_a_rejected_step_tried_again_asks_afresh(self):
        journey = self.journey(self.partner_other)
        self.step(journey)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner_other)
        self.assertEqual(step.state, "rejected")
        self.partner_other._affinity_set_consent("email", "marketing", "granted", source="paper")
        step.retry()
        self.assertFalse(step.affinity_reason)
        with freeze_time(MONDAY + datetime.timedelta(hours=1)):
            self.run_due()
        self.assertEqual(step.state, "done")
        self.assertEqual(self.mails_of(step).recipient_ids, self.partner_other)

    def test_outside_the_contact_window_the_step_waits_for_it(self):
        self.partner.tz = "Europe/Istanbul"
        self.env["affinity.contact.window"].create(
            {"partner_id": self.partner.id, "weekday": "0", "hour_from": 14.0, "hour_to": 18.0}
        )
        journey = self.journey(self.partner)
        self.step(journey)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner)
        # 14:00 in Istanbul (UTC+3) is 11:00 UTC, the same Monday.
        self.assertEqual(step.state, "scheduled")
        self.assertEqual(step.scheduled_date, datetime.datetime(2026, 6, 1, 11, 0))
        self.assertEqual(step.affinity_reason_label, "outside the contact window")
        self.assertEqual(step.affinity_first_due, MONDAY)
        self.assertFalse(self.mails_of(step))
        with freeze_time(datetime.datetime(2026, 6, 1, 10, 59)):
            self.run_due()
        self.assertEqual(step.state, "scheduled", "never sent outside the window")
        with freeze_time(datetime.datetime(2026, 6, 1, 11, 0)):
            self.run_due()
        self.assertEqual(step.state, "done")
        self.assertEqual(self.mails_of(step).recipient_ids, self.partner)

    def test_past_its_wait_at_most_a_held_step_is_skipped_with_its_reason(self):
        self.partner.affinity_quiet_until = datetime.date(2026, 6, 3)
        journey = self.journey(self.partner)
        self.step(journey, affinity_wait_max=1, affinity_wait_max_type="days")
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner)
        # Quiet until Wednesday: Thursday is the first allowed day, later than Tuesday 08:00.
        self.assertEqual((step.state, step.affinity_reason_label), ("rejected", "quiet time of the person"))
        self.assertFalse(self.mails_of(step))

    def test_within_its_wait_at_most_a_quiet_person_is_written_to_after_the_quiet_days(self):
        self.partner.affinity_quiet_until = datetime.date(2026, 6, 3)
        journey = self.journey(self.partner)
        self.step(journey, affinity_wait_max=5, affinity_wait_max_type="days")
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner)
        self.assertEqual(step.state, "scheduled")
        self.assertEqual(step.scheduled_date.date(), datetime.date(2026, 6, 4))
        with freeze_time(datetime.datetime(2026, 6, 4, 12, 0)):
            self.run_due()
        self.assertEqual(step.state, "done")

    def test_journey_messages_count_against_the_contact_budget(self):
        self.company.write(
            {"affinity_pressure_day": 1, "affinity_pressure_week": 0, "affinity_pressure_month": 0}
        )
        first_journey, second_journey = self.journey(self.partner, "A"), self.journey(self.partner, "B")
        self.step(first_journey)
        self.step(second_journey)
        with freeze_time(MONDAY):
            self.start(first_journey)
            self.run_due()
        first = self.step_of(first_journey, self.partner)
        self.assertEqual(first.state, "done")
        with freeze_time(MONDAY + datetime.timedelta(hours=2)):
            self.start(second_journey)
            self.run_due()
        second = self.step_of(second_journey, self.partner)
        self.assertEqual(
            (second.state, second.affinity_reason_label), ("scheduled", "contact budget reached")
        )
        # One a day: free again a day after the first went out.
        self.assertEqual(second.scheduled_date, first.processed_on + datetime.timedelta(days=1))
        counts = self.env["affinity.contact.pressure"]._counts(
            self.partner, MONDAY + datetime.timedelta(hours=3)
        )
        self.assertEqual(counts[self.partner.id]["week"], {"email": 1})

    def test_a_service_step_does_not_spend_the_budget(self):
        self.company.write(
            {"affinity_pressure_day": 1, "affinity_pressure_week": 0, "affinity_pressure_month": 0}
        )
        self.partner._affinity_set_consent("email", "service", "granted", source="paper")
        journey = self.journey(self.partner)
        self.step(journey, affinity_purpose_id=self.service.id)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        self.assertEqual(self.step_of(journey, self.partner).state, "done")
        counts = self.env["affinity.contact.pressure"]._counts(
            self.partner, MONDAY + datetime.timedelta(hours=1)
        )
        self.assertFalse(counts.get(self.partner.id))

    def test_a_call_step_counts_as_a_phone_contact(self):
        admin = self.env.ref("base.user_admin")
        journey = self.journey(self.both)
        self.step(journey, "activity", activity_user_type="specific", activity_user_id=admin.id)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        called, refused = self.step_of(journey, self.partner), self.step_of(journey, self.partner_other)
        self.assertEqual(called.state, "done")
        self.assertEqual(called.affinity_channel_id, self.channel_phone)
        activities = self.env["mail.activity"].search(
            [("automation_record_step_id", "in", (called | refused).ids)]
        )
        self.assertEqual(activities.res_id, self.partner.id)
        self.assertEqual((refused.state, refused.affinity_reason), ("rejected", "denied"))

    def test_an_internal_task_asks_nobody(self):
        todo = self.env.ref("mail.mail_activity_data_todo")
        self.assertFalse(todo.affinity_channel_id)
        journey = self.journey(self.partner_other)
        self.step(journey, "activity", activity_type_id=todo.id)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner_other)
        self.assertEqual(step.state, "done")
        self.assertFalse(step.affinity_reason)

    def test_sms_steps_go_through_odoo_sms_under_the_same_rules(self):
        journey = self.journey(self.both)
        self.step(journey, "sms")
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        sent, refused = self.step_of(journey, self.partner), self.step_of(journey, self.partner_other)
        self.assertEqual(sent.state, "done")
        sms = self.env["sms.sms"].search([("partner_id", "in", self.both.ids)])
        self.assertEqual(sms.partner_id, self.partner)
        self.assertEqual(sms.body, f"Hello {self.partner.name}")
        self.assertEqual((refused.state, refused.affinity_reason_label), ("rejected", "consent denied"))

    def test_a_child_step_is_gated_when_it_comes_due(self):
        """The second step of a journey asks again: a consent withdrawn in between stops it."""
        journey = self.journey(self.partner)
        first = self.step(journey)
        self.step(journey, parent=first, trigger_interval=1, trigger_interval_type="days")
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        self.partner._affinity_set_consent("email", "marketing", "denied", source="paper")
        with freeze_time(MONDAY + datetime.timedelta(days=1, minutes=1)):
            self.run_due()
        steps = self.step_of(journey, self.partner).sorted("id")
        self.assertEqual(steps.mapped("state"), ["done", "rejected"])
        self.assertEqual(steps[1].affinity_reason, "denied")

    def test_the_gate_costs_the_same_queries_for_one_customer_or_many(self):
        partners = self.Partner.create(
            [
                {"name": f"Customer {i}", "email": f"c{i}@example.com", "company_id": self.company.id}
                for i in range(32)
            ]
        )
        partners._affinity_set_consent("email", "marketing", "granted", source="paper")
        (partners[0] | partners[2:11])._affinity_set_consent("email", "marketing", "denied", source="paper")
        lone, many = self.journey(partners[:2], "two"), self.journey(partners[2:], "many")
        self.step(lone, trigger_interval=1)
        self.step(many, trigger_interval=1)
        Step = self.env["automation.record.step"]
        with freeze_time(MONDAY):
            self.start(lone)
            self.start(many)
            one = Step.search([("configuration_id", "=", lone.id)])
            others = Step.search([("configuration_id", "=", many.id)])
            self.assertEqual((len(one), len(others)), (2, 30))
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            one._affinity_gate()
            # The states written are recomputed on the journey's records at the next flush: count it too.
            self.env.flush_all()
            cost = self.cr.sql_log_count - before
            self.env.invalidate_all()
            with self.assertQueryCount(cost):
                others._affinity_gate()
        self.assertEqual(sorted(one.mapped("state")), ["rejected", "scheduled"])
        self.assertEqual(len(others.filtered(lambda s: s.state == "rejected")), 9)
        self.assertEqual(len(others.filtered("affinity_partner_id")), 21)
        self.assertLess(cost, 25)
