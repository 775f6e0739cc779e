"""Each concept answers at its one home, and the two-way syncs stop by state, not by context flags."""

import datetime

from odoo.tests import tagged

from ..models.affinity_customer_value import AUTOMATIC_KINDS, FLAG_RULES
from .common import AffinityCase
from .test_followup import FollowupCase


@tagged("post_install", "-at_install")
class TestHomes(AffinityCase):
    def test_the_partner_asks_the_decision_engine(self):
        partners = self.partner | self.partner_other
        self.partner._affinity_set_consent("email", "marketing", "denied")
        through_partner = partners._affinity_contact_decision("email", "marketing", check_window=False)
        from_engine = self.env["affinity.contact.decision"]._decide(
            partners, "email", "marketing", check_window=False
        )
        self.assertEqual(through_partner, from_engine)
        self.assertEqual(from_engine[self.partner.id].reason, "denied")

    def test_every_trigger_has_its_candidates_method(self):
        Rule = self.env["affinity.followup.rule"]
        for trigger, _label in Rule._fields["trigger"].selection:
            with self.subTest(trigger=trigger):
                self.assertTrue(callable(getattr(Rule, f"_candidates_{trigger}", None)))

    def test_flag_kinds_come_from_one_table(self):
        kinds = dict(self.env["affinity.review.flag"]._fields["kind"].selection)
        self.assertEqual(AUTOMATIC_KINDS, tuple(FLAG_RULES))
        self.assertLessEqual(set(AUTOMATIC_KINDS), set(kinds))
        self.assertNotIn("fraud", AUTOMATIC_KINDS, "fraud is a person's judgement only")
        for kind in AUTOMATIC_KINDS:
            with self.subTest(kind=kind):
                self.assertTrue(
                    callable(getattr(self.env["affinity.review.flag"], f"_evidence_{kind}", None))
                )

    def test_blacklist_echo_stops_by_state(self):
        """Blacklisting is one denial; the denial does not come back as a second blacklist change."""
        self.env["mail.blacklist"]._add("ayse@example.com")
        consent = self.partner.affinity_consent_ids
        self.assertEqual((consent.state, len(consent.log_ids)), ("denied", 1))
        entries = (
            self.env["mail.blacklist"]
            .with_context(active_test=False)
            .search([("email", "=", "ayse@example.com")])
        )
        self.assertEqual(len(entries), 1)
        # A grant lifts the blacklist; lifting it does not touch the grant it came from.
        self.partner._affinity_set_consent("email", "marketing", "granted", source="web_form")
        self.assertFalse(entries.active)
        self.assertEqual((consent.state, len(consent.log_ids)), ("granted", 2))
        # Lifting an entry whose partner has no denial changes no consent.
        self.env["mail.blacklist"]._remove("ayse@example.com")
        self.assertEqual((consent.state, len(consent.log_ids)), ("granted", 2))


@tagged("post_install", "-at_install")
class TestFollowupActivityOrigin(FollowupCase):
    def _handed_call(self):
        self.env.company.affinity_consent_mode = "opt_in"
        self.partner.affinity_channel_ids = [(0, 0, {"channel_id": self.channel_phone.id, "sequence": 3})]
        self.partner.phone = "+90 212 555 00 11"
        self.partner._affinity_set_consent("email", "marketing", "denied")
        self.partner._affinity_set_consent("sms", "marketing", "denied")
        self.partner._affinity_set_consent("phone", "marketing", "granted")
        self.birthday(self.partner, 15, 1, 1980)
        self.plan(self.birthday_rule, "2027-01-10")
        followup = self.followups(self.birthday_rule)
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 6, 0))
        self.assertEqual(followup.channel_id, self.channel_phone)
        return followup

    def test_closing_the_followup_closes_its_activity_once(self):
        followup = self._handed_call()
        activity = followup.activity_id
        followup.action_set_outcome_no_answer()
        self.assertFalse(activity.exists(), "the activity is done (done activities leave the list)")
        self.assertEqual((followup.state, followup.outcome), ("done", "no_answer"))
        done = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.partner.id),
                ("mail_activity_type_id", "!=", False),
            ]
        )
        self.assertEqual(len(done), 1, "one activity done, one message: no echo")

    def test_closing_the_activity_is_the_followups_outcome(self):
        followup = self._handed_call()
        followup.activity_id.action_feedback(feedback="She was delighted")
        self.assertEqual((followup.state, followup.outcome), ("done", "successful"))
        self.assertIn("delighted", followup.outcome_note)
