"""A mail or SMS step at the person's best hour: the real learner, from answers written by hand."""

import datetime

from freezegun import freeze_time

from odoo.addons.crm_affinity.tests.common import set_blacklist_rows, sms_answers
from odoo.tests import tagged

from .common import JourneyCase

LEARNED_AT = datetime.datetime(2026, 6, 8, 12, 0)  # Monday noon UTC, 15:00 in Istanbul
# Nine SMS on the Tuesdays before, at 19:10 in Istanbul (16:10 UTC); the first seven opened twenty minutes later.
TUESDAYS = [datetime.datetime(2026, 6, 2, 16, 10) - datetime.timedelta(weeks=w) for w in range(9)]
# The next Tuesday 19:00 in Istanbul.
BEST = datetime.datetime(2026, 6, 9, 16, 0)


@tagged("post_install", "-at_install")
class TestJourneyBestHour(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_blacklist_rows(cls.env, "phone.blacklist", active=False)
        cls.env["affinity.reachability"]._forget()
        cls.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        sms_answers(cls.env, cls.partner, TUESDAYS, 7)
        with freeze_time(LEARNED_AT):
            cls.env["affinity.reachability"]._learn()

    def sms_journey(self, **step_values):
        journey = self.journey(self.partner)
        step = self.step(journey, "sms", **step_values)
        with freeze_time(LEARNED_AT):
            self.start(journey)
            self.run_due()
        return self.step_of(journey, self.partner, step)

    def sms_of(self):
        return self.env["sms.sms"].search([("partner_id", "=", self.partner.id)])

    def test_the_step_waits_for_the_hour_the_person_reads(self):
        step = self.sms_journey(affinity_best_hour=True)
        self.assertEqual((step.state, step.scheduled_date), ("scheduled", BEST))
        self.assertIn("7", step.affinity_best_reason)
        self.assertFalse(self.sms_of())
        with freeze_time(BEST):
            self.run_due()
        self.assertEqual(step.state, "done")
        self.assertEqual(self.sms_of().partner_id, self.partner)

    def test_at_its_best_hour_a_withdrawn_person_is_not_written_to(self):
        step = self.sms_journey(affinity_best_hour=True)
        self.partner._affinity_set_consent("sms", "marketing", "denied", source="paper")
        with freeze_time(BEST):
            self.run_due()
        self.assertEqual((step.state, step.affinity_reason_label), ("rejected", "consent denied"))
        self.assertFalse(self.sms_of())

    def test_without_the_option_the_step_goes_at_once(self):
        step = self.sms_journey()
        self.assertEqual(step.state, "done")
        self.assertFalse(step.affinity_best_reason)

    def test_a_step_that_may_not_wait_goes_at_once(self):
        # Tuesday 19:00 is 28 hours away; the step may not wait at all, and may be sent now.
        step = self.sms_journey(affinity_best_hour=True, affinity_wait_max=0)
        self.assertEqual(step.state, "done")
        self.assertEqual(self.sms_of().partner_id, self.partner)
