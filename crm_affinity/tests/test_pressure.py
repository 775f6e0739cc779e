"""Contact pressure: the budget per person across channels, quiet days, and who obeys them."""

import datetime
import random

from freezegun import freeze_time

from odoo.addons.mail.tests.common import MockEmail
from odoo.tests import tagged

from .common import AffinityCase
from .test_followup import FollowupCase

NOW = datetime.datetime(2026, 12, 2, 10, 0, 0)


class PressureMixin:
    def trace(self, partner, when, status="sent", trace_type="mail", model="res.partner"):
        return self.env["mailing.trace"].create(
            {
                "model": model,
                "res_id": partner.id if model == "res.partner" else 1,
                "trace_type": trace_type,
                "trace_status": status,
                "sent_datetime": when,
                "email": partner.email_normalized,
                "mass_mailing_id": self.mailing.id,
            }
        )

    def decide(self, partners, channel="email", purpose="marketing", when=NOW, **kwargs):
        return partners._affinity_contact_decision(channel, purpose, when=when, check_window=False, **kwargs)


@tagged("post_install", "-at_install")
class TestPressureBudget(PressureMixin, AffinityCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"affinity_pressure_day": 0, "affinity_pressure_week": 2, "affinity_pressure_month": 0}
        )
        cls.mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "Earlier",
                "body_html": "<p>x</p>",
                "mailing_model_id": cls.env["ir.model"]._get_id("res.partner"),
            }
        )
        cls.partner.company_id = cls.company
        cls.partner._affinity_set_consent("email", "marketing", "granted", source="paper")

    def test_over_the_budget_until_the_oldest_contact_leaves_the_window(self):
        self.trace(self.partner, NOW - datetime.timedelta(days=6))
        self.assertTrue(self.decide(self.partner)[self.partner.id].allowed, "one of two")
        self.trace(self.partner, NOW - datetime.timedelta(days=2))
        decision = self.decide(self.partner)[self.partner.id]
        self.assertEqual((decision.allowed, decision.reason), (False, "pressure"))
        self.assertEqual(decision.next_allowed, NOW + datetime.timedelta(days=1))
        later = self.decide(self.partner, when=decision.next_allowed + datetime.timedelta(seconds=1))
        self.assertTrue(later[self.partner.id].allowed)

    def test_service_never_counts_nor_waits(self):
        for days in (1, 2, 3):
            self.trace(self.partner, NOW - datetime.timedelta(days=days))
        self.assertEqual(self.decide(self.partner)[self.partner.id].reason, "pressure")
        self.assertTrue(self.decide(self.partner, purpose="service")[self.partner.id].allowed)

    def test_bounced_or_cancelled_traces_do_not_count(self):
        self.trace(self.partner, NOW - datetime.timedelta(days=1), status="bounce")
        self.trace(self.partner, NOW - datetime.timedelta(days=1), status="cancel")
        self.trace(self.partner, NOW - datetime.timedelta(days=1))
        self.assertTrue(self.decide(self.partner)[self.partner.id].allowed)

    def test_a_lead_mailing_to_the_address_counts(self):
        self.trace(self.partner, NOW - datetime.timedelta(days=1), model="crm.lead")
        self.trace(self.partner, NOW - datetime.timedelta(days=2), model="crm.lead")
        self.assertEqual(self.decide(self.partner)[self.partner.id].reason, "pressure")

    def test_partner_and_segment_budgets_come_first(self):
        self.trace(self.partner, NOW - datetime.timedelta(days=1))
        self.trace(self.partner, NOW - datetime.timedelta(days=2))
        self.partner.affinity_pressure_week = 5
        self.assertTrue(self.decide(self.partner)[self.partner.id].allowed, "the partner's own budget")
        self.partner.affinity_pressure_week = 0
        segment = self.env["affinity.rfm.segment"].create({"name": "Generous", "pressure_week": 3})
        self.partner.sudo().affinity_segment_id = segment
        self.assertTrue(self.decide(self.partner)[self.partner.id].allowed, "the segment's budget")
        self.company.affinity_pressure_week = 0
        self.partner.sudo().affinity_segment_id = False
        self.assertTrue(self.decide(self.partner)[self.partner.id].allowed, "no budget at all")

    def test_mass_mailing_holds_back_and_priority_does_not(self):
        self.trace(self.partner, NOW - datetime.timedelta(days=1))
        self.trace(self.partner, NOW - datetime.timedelta(days=2))
        self.partner_other._affinity_set_consent("email", "marketing", "granted", source="paper")
        audience = self.partner | self.partner_other
        for priority, expected in ((False, ("cancel", "affinity_pressure")), (True, ("sent", False))):
            with self.subTest(priority=priority), freeze_time(NOW), self.mock_mail_gateway():
                mailing = self.env["mailing.mailing"].create(
                    {
                        "subject": "Kış",
                        "body_html": "<p>Kış indirimi</p>",
                        "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                        "mailing_domain": repr([("id", "in", audience.ids)]),
                        "affinity_priority": priority,
                    }
                )
                mailing.action_send_mail()
                traces = {t.res_id: (t.trace_status, t.failure_type) for t in mailing.mailing_trace_ids}
                self.assertEqual(traces[self.partner.id], expected)
                self.assertEqual(traces[self.partner_other.id][0], "sent")

    def test_partner_sees_the_week_against_the_budget(self):
        self.trace(self.partner, datetime.datetime.now() - datetime.timedelta(days=1))
        self.trace(self.partner, datetime.datetime.now() - datetime.timedelta(days=10), trace_type="sms")
        summary = self.partner.with_user(self.user_affinity).affinity_pressure_summary
        self.assertIn("This week: 1 of 2", summary)
        self.assertIn("This month: 2 of ∞", summary)
        self.assertIn("SMS: 1", summary)

    def test_random_histories_never_exceed_the_budget(self):
        """Random partners × contacts over 40 days × budgets: allowed exactly when every window has room,
        and next allowed is the earliest moment that is true."""
        rng = random.Random(18)
        partners = self.Partner.create(
            [
                {"name": f"Pressure {i}", "email": f"pressure{i}@example.com", "company_id": self.company.id}
                for i in range(30)
            ]
        )
        partners._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.company.write(
            {"affinity_pressure_day": 1, "affinity_pressure_week": 3, "affinity_pressure_month": 6}
        )
        history = {}
        for partner in partners:
            if rng.random() < 0.3:
                partner.affinity_pressure_week = rng.choice([2, 4])
            moments = sorted(
                NOW - datetime.timedelta(minutes=rng.randint(1, 40 * 24 * 60))
                for _i in range(rng.randint(0, 9))
            )
            history[partner.id] = moments
            for moment in moments:
                self.trace(partner, moment)
        caps_of = {p.id: (1, p.affinity_pressure_week or 3, 6) for p in partners}

        def has_room(partner_id, when):
            for cap, days in zip(caps_of[partner_id], (1, 7, 30), strict=True):
                recent = [m for m in history[partner_id] if when - datetime.timedelta(days=days) < m <= when]
                if len(recent) >= cap:
                    return False
            return True

        decisions = self.decide(partners)
        for partner in partners:
            decision = decisions[partner.id]
            with self.subTest(partner=partner.name):
                self.assertEqual(decision.allowed, has_room(partner.id, NOW))
                if not decision.allowed:
                    self.assertEqual(decision.reason, "pressure")
                    self.assertTrue(
                        has_room(partner.id, decision.next_allowed + datetime.timedelta(seconds=1))
                    )
                    self.assertFalse(
                        has_room(partner.id, decision.next_allowed - datetime.timedelta(seconds=1))
                    )


@tagged("post_install", "-at_install")
class TestQuietDays(PressureMixin, AffinityCase):
    def test_the_persons_quiet_time(self):
        self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.partner.write(
            {"affinity_quiet_until": datetime.date(2026, 12, 10), "affinity_quiet_note": "Yas"}
        )
        decision = self.decide(self.partner)[self.partner.id]
        self.assertEqual(
            (decision.reason, decision.next_allowed), ("quiet_until", datetime.datetime(2026, 12, 11))
        )
        self.assertEqual(
            self.decide(self.partner, purpose="relationship")[self.partner.id].reason, "quiet_until"
        )
        self.assertTrue(self.decide(self.partner, purpose="service")[self.partner.id].allowed)

    def test_public_holiday_waits_but_a_greeting_goes(self):
        self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.partner._affinity_set_consent("email", "relationship", "granted", source="paper")
        self.partner.company_id = self.company
        calendar = self.company.resource_calendar_id
        for day in (datetime.date(2027, 3, 20), datetime.date(2027, 3, 21)):
            self.env["resource.calendar.leaves"].create(
                {
                    "name": "Ramazan Bayramı",
                    "calendar_id": calendar.id,
                    "date_from": datetime.datetime.combine(day, datetime.time()),
                    "date_to": datetime.datetime.combine(day, datetime.time(23, 59, 59)),
                }
            )
        bayram = datetime.datetime(2027, 3, 20, 9, 0)
        decision = self.decide(self.partner, when=bayram)[self.partner.id]
        self.assertEqual(
            (decision.reason, decision.next_allowed), ("quiet_day", datetime.datetime(2027, 3, 22))
        )
        self.assertTrue(
            self.decide(self.partner, purpose="relationship", when=bayram)[self.partner.id].allowed
        )


@tagged("post_install", "-at_install")
class TestFollowupsWait(PressureMixin, FollowupCase):
    def test_a_greeting_over_budget_waits_then_is_skipped_past_the_limit(self):
        self.env.company.affinity_pressure_week = 1
        self.partner.company_id = self.env.company
        self.partner._affinity_set_consent("email", "relationship", "granted", source="paper")
        self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Earlier",
                "body_html": "<p>x</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        self.birthday(self.partner, 15, 1, 1980)
        self.plan(self.birthday_rule, "2027-01-10")
        followup = self.followups(self.birthday_rule)
        self.trace(self.partner, datetime.datetime(2027, 1, 13, 12, 0))
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 9, 0))
        self.assertEqual((followup.state, followup.reason), ("planned", "pressure"))
        self.assertEqual(followup.due_datetime, datetime.datetime(2027, 1, 20, 12, 0))
        # Another budget use keeps it waiting past the rule's limit: skipped, with the reason.
        self.birthday_rule.max_wait_days = 2
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 9, 0))
        self.assertEqual(followup.state, "skipped")
        self.assertIn("email:pressure", followup.reason)
