"""Learned reachability (issue #31): the numbers a person reads, checked against evidence built by hand."""

import datetime
import re
from unittest.mock import patch

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import AffinityCase

# A Sunday noon UTC: the week ahead starts on Monday 8 June 2026.
NOW = datetime.datetime(2026, 6, 7, 12, 0)
# Tuesdays of the weeks before NOW.
TUESDAYS = [datetime.datetime(2026, 6, 2) - datetime.timedelta(weeks=w) for w in range(9)]
PRIVATE_TABLES = re.compile(r"\baffinity_(profile|preference|gift|date)\b")


@tagged("post_install", "-at_install")
class TestReachability(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Reach = cls.env["affinity.reachability"]
        cls.mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "Reach",
                "mailing_type": "sms",
                "body_plaintext": "Hi",
                "mailing_model_id": cls.env.ref("base.model_res_partner").id,
            }
        )
        for channel in ("email", "sms"):
            cls.partner._affinity_set_consent(channel, "marketing", "granted", source="paper")
            cls.partner_other._affinity_set_consent(channel, "marketing", "granted", source="paper")
        cls.Reach._forget()

    def trace(self, partner, sent, opened=None, trace_type="sms"):
        return self.env["mailing.trace"].create(
            {
                "model": "res.partner",
                "res_id": partner.id,
                "trace_type": trace_type,
                "trace_status": "open" if opened else "sent",
                "sent_datetime": sent,
                "open_datetime": opened,
                "email": partner.email_normalized,
                "mass_mailing_id": self.mailing.id,
            }
        )

    def nine_tuesday_evenings(self, partner):
        """9 SMS on Tuesdays at 19:10 Istanbul time (16:10 UTC), the first 7 opened 20 minutes later."""
        for week, tuesday in enumerate(TUESDAYS):
            sent = tuesday.replace(hour=16, minute=10)
            self.trace(partner, sent, sent + datetime.timedelta(minutes=20) if week < 7 else None)

    def learn(self):
        with freeze_time(NOW):
            return self.Reach._learn()

    def best(self, partners, channels, purpose=None, start=NOW, days=7):
        with freeze_time(NOW):
            return self.Reach._best_moments(
                partners, channels, start, start + datetime.timedelta(days=days), purpose=purpose
            )

    def test_reason_shows_the_counts_built_by_hand(self):
        self.nine_tuesday_evenings(self.partner)
        self.learn()
        result = self.best(self.partner, self.channel_sms)
        moment = result[self.partner.id]
        # The next Tuesday, 19:00 in Istanbul = 16:00 UTC.
        self.assertEqual(moment.when, datetime.datetime(2026, 6, 9, 16, 0))
        self.assertEqual(moment.channel_id, self.channel_sms.id)
        self.assertTrue(moment.learned)
        # All nine are recent (the oldest 8 weeks old, half-life 90 days): weights round to whole counts? No:
        # 2^(-56/90) = 0.65 for the oldest; the sum of the nine weights and the seven is computed by hand.
        weights = [
            2 ** (-((NOW - t.replace(hour=16, minute=10)).total_seconds() / 86400) / 90) for t in TUESDAYS
        ]
        self.assertEqual(moment.observations, round(sum(weights)))
        self.assertEqual(moment.responses, round(sum(weights[:7])))
        self.assertIn(f"{round(sum(weights[:7]))} answers of {round(sum(weights))} contacts", moment.reason)
        self.assertIn("Tue", moment.reason)
        self.assertIn("SMS", moment.reason)

    def test_recent_evidence_reads_as_whole_counts(self):
        # Nine contacts in the last hour: weights are 1 to the rounding, the sentence says 7 of 9.
        for i in range(9):
            sent = NOW - datetime.timedelta(minutes=50 - i)
            self.trace(self.partner, sent, sent + datetime.timedelta(minutes=1) if i < 7 else None)
        self.learn()
        # Sunday 14:xx Istanbul = 11:xx UTC: the slot of the evidence; the range starts at it.
        result = self.best(self.partner, self.channel_sms, start=NOW.replace(hour=11))
        self.assertEqual(result[self.partner.id].when, NOW.replace(hour=11))
        self.assertIn("7 answers of 9 contacts", result[self.partner.id].reason)
        self.assertEqual((result[self.partner.id].observations, result[self.partner.id].responses), (9, 7))

    def test_no_evidence_is_the_company_default_said_as_such(self):
        self.learn()
        result = self.best(self.partner, self.channel_email | self.channel_sms)
        moment = result[self.partner.id]
        self.assertFalse(moment.learned)
        self.assertEqual((moment.observations, moment.responses), (0, 0))
        self.assertIn("No answers yet", moment.reason)
        # Nothing learned anywhere: all moments alike, the earliest hour and the caller's first channel.
        self.assertEqual(moment.when, NOW)
        self.assertEqual(moment.channel_id, self.channel_email.id)

    def test_no_evidence_follows_the_company_pattern(self):
        # Others answer e-mail on Thursdays at 10:00 London time: a newcomer there is tried then, unlearned.
        others = self.Partner.create(
            [{"name": f"Other {i}", "email": f"o{i}@example.com", "tz": "Europe/London"} for i in range(5)]
        )
        for partner in others:
            for week in range(4):
                sent = datetime.datetime(2026, 6, 4, 9, 5) - datetime.timedelta(weeks=week)
                self.trace(partner, sent, sent + datetime.timedelta(minutes=10), trace_type="mail")
        self.learn()
        result = self.best(self.partner_other, self.channel_email)
        moment = result[self.partner_other.id]
        self.assertFalse(moment.learned)
        self.assertEqual(moment.when, datetime.datetime(2026, 6, 11, 9, 0))

    def test_withdrawn_channel_is_never_returned(self):
        self.nine_tuesday_evenings(self.partner)
        self.learn()
        self.partner._affinity_set_consent("sms", "marketing", "denied", source="paper")
        result = self.best(self.partner, self.channel_sms | self.channel_email)
        self.assertEqual(result[self.partner.id].channel_id, self.channel_email.id)
        only_sms = self.best(self.partner, self.channel_sms)
        self.assertNotIn(
            self.partner.id, only_sms, "no allowed moment: absent, the caller asks the decision why"
        )

    def test_narrow_window_falls_back_visibly_never_outside(self):
        self.nine_tuesday_evenings(self.partner)
        self.learn()
        # Only Mondays 9:00-10:00 Istanbul time: the learned Tuesday evening is not allowed.
        self.env["affinity.contact.window"].create(
            {"partner_id": self.partner.id, "weekday": "0", "hour_from": 9.0, "hour_to": 10.0}
        )
        moment = self.best(self.partner, self.channel_sms)[self.partner.id]
        self.assertEqual(moment.when, datetime.datetime(2026, 6, 8, 6, 0))  # Monday 9:00 Istanbul
        self.assertIn("none of this person's", moment.reason)
        decision = self.partner._affinity_contact_decision(self.channel_sms, self.marketing, when=moment.when)
        self.assertTrue(decision[self.partner.id].allowed)

    def test_time_zone_change_keeps_the_local_hours(self):
        self.nine_tuesday_evenings(self.partner)
        self.learn()
        self.partner.tz = "America/New_York"
        moment = self.best(self.partner, self.channel_sms)[self.partner.id]
        # Tuesday 19:00 in New York (EDT, UTC-4) = 23:00 UTC.
        self.assertEqual(moment.when, datetime.datetime(2026, 6, 9, 23, 0))

    def test_incremental_learning_equals_learning_from_scratch(self):
        self.nine_tuesday_evenings(self.partner)
        with freeze_time(NOW - datetime.timedelta(days=3)):
            self.Reach._learn()
        sent = NOW - datetime.timedelta(days=1)
        self.trace(self.partner, sent, sent + datetime.timedelta(hours=5))
        self.learn()
        incremental = self.env.execute_query(self._rows_sql())
        with freeze_time(NOW):
            self.Reach._forget()
            self.Reach._learn()
        scratch = self.env.execute_query(self._rows_sql())
        self.assertEqual(len(incremental), len(scratch))
        for (slot_a, n_a, k_a), (slot_b, n_b, k_b) in zip(incremental, scratch, strict=True):
            self.assertEqual(slot_a, slot_b)
            self.assertAlmostEqual(n_a, n_b, places=6)
            self.assertAlmostEqual(k_a, k_b, places=6)

    def _rows_sql(self):
        return SQL(
            """SELECT r.slot, r.weight_n * power(2, -EXTRACT(EPOCH FROM %s - e.v::timestamp) / 86400 / 90),
                      r.weight_k * power(2, -EXTRACT(EPOCH FROM %s - e.v::timestamp) / 86400 / 90)
                 FROM affinity_reachability r, (SELECT value AS v FROM ir_config_parameter
                                                 WHERE key = 'crm_affinity.reach_epoch') e
                WHERE r.partner_id = %s ORDER BY r.slot""",
            NOW,
            NOW,
            self.partner.id,
        )

    def test_a_late_answer_marks_the_hour_it_was_read(self):
        # Sent Monday 9:00 London, opened at 21:00: a contact without prompt answer at 9, a later answer at 21.
        sent = datetime.datetime(2026, 6, 1, 8, 0)
        self.trace(self.partner_other, sent, sent + datetime.timedelta(hours=12), trace_type="mail")
        self.learn()
        rows = self.Reach.search([("partner_id", "=", self.partner_other.id)])
        self.assertEqual(sorted(rows.mapped("slot")), [9, 21])
        by_slot = {row.slot: row for row in rows}
        self.assertEqual((by_slot[9].weight_k, by_slot[9].weight_a), (0.0, 0.0))
        self.assertGreater(by_slot[9].weight_n, 0.0)
        self.assertEqual((by_slot[21].weight_n, by_slot[21].weight_k), (0.0, 0.0))
        self.assertGreater(by_slot[21].weight_a, 0.0)

    def test_a_reply_to_a_mailing_counts_once(self):
        # Sent Monday 9:00 London; the reply comes in at 21:00 London (20:00 UTC): the gateway writes the
        # message and stamps the trace's reply in the same run (mass_mailing's _message_route_process). A
        # second message written in a day later, with no trace replied then, is activity of its own.
        sent = datetime.datetime(2026, 6, 1, 8, 0)
        replied = datetime.datetime(2026, 6, 1, 20, 0)
        written = replied + datetime.timedelta(days=1)
        trace = self.trace(self.partner_other, sent, trace_type="mail")
        messages = self.env["mail.message"]
        for when, body in ((replied, "Re: Reach"), (written, "Another thing")):
            with freeze_time(when):
                messages |= self.partner_other.message_post(
                    body=body, author_id=self.partner_other.id, message_type="email"
                )
        trace.write({"trace_status": "reply", "reply_datetime": replied})
        messages.flush_recordset()
        for message in messages:
            self.env.cr.execute(
                "UPDATE mail_message SET create_date = date + interval '20 seconds' WHERE id = %s",
                [message.id],
            )
        self.learn()
        rows = self.Reach.search([("partner_id", "=", self.partner_other.id), ("weight_a", ">", 0)])
        self.assertEqual(rows.channel_id, self.channel_email)
        by_slot = {row.slot: row.weight_a for row in rows}
        self.assertEqual(sorted(by_slot), [21, 24 + 21])
        # One later answer each, weighted 2^(-age / 90 days) at NOW: 5 days 16 hours and 4 days 16 hours.
        self.assertAlmostEqual(by_slot[21], 2 ** (-(5 + 16 / 24) / 90), places=9)
        self.assertAlmostEqual(by_slot[24 + 21], 2 ** (-(4 + 16 / 24) / 90), places=9)

    def test_level_prior_strength_is_fitted_by_moments(self):
        # Two customers, 8 SMS each nine days before NOW, answered 6 and 2 times within 20 minutes: rates 3/4
        # and 1/4. Worked by hand from the README's formula, all weights 2^(-9/90) (the prompt answers land at
        # their send): mean 1/2, variance 1/16, of which chance 1/2 × 1/2 × 1/(8 w); the rest is τ².
        sent = NOW - datetime.timedelta(days=9)
        for partner, answered in ((self.partner, 6), (self.partner_other, 2)):
            for i in range(8):
                self.trace(partner, sent, sent + datetime.timedelta(minutes=20) if i < answered else None)
        with patch("odoo.addons.crm_affinity.tools.reachability.LEVEL_MIN_PEOPLE", 2):
            self.learn()
        w = 2 ** (-9 / 90)
        between = 1 / 16 - 1 / 4 / (8 * w)
        expected = 1 / 4 / between - 1
        domain = [("company_id", "=", self.company.id), ("channel_id", "=", self.channel_sms.id)]
        rows = self.env["affinity.reachability.pattern"].search(domain)
        # The company's rows (one per local hour the SMS went out in) carry it; the segments' follow them.
        company_rows = rows.filtered(lambda row: not row.segment_id)
        self.assertTrue(company_rows)
        for strength in company_rows.mapped("level_strength"):
            self.assertAlmostEqual(strength, expected, places=6)
        self.assertFalse(any((rows - company_rows).mapped("level_strength")))
        # Below the people a fit needs, the learner keeps the default four pseudo-contacts.
        self.learn()
        rows = self.env["affinity.reachability.pattern"].search(domain + [("segment_id", "=", False)])
        self.assertEqual(set(rows.mapped("level_strength")), {4.0})

    def test_followup_outcomes_and_incoming_mail(self):
        rule = self.env["affinity.followup.rule"].search([], limit=1)
        base = {
            "rule_id": rule.id,
            "partner_id": self.partner.id,
            "company_id": self.company.id,
            "due_date": NOW.date(),
            "state": "done",
            "channel_id": self.channel_phone.id,
        }
        # Thursday 11:xx Istanbul: answered twice, not once.
        thursday = datetime.datetime(2026, 6, 4, 8, 15)
        followups = self.env["affinity.followup"].create(
            [
                dict(base, occurrence_date=thursday.date() - datetime.timedelta(days=i), outcome=outcome)
                for i, outcome in enumerate(["successful", "unsuccessful", "no_answer"])
            ]
        )
        followups.write({"done_date": thursday})
        with freeze_time(NOW - datetime.timedelta(days=1)):
            self.partner.message_post(
                body="Thanks!",
                author_id=self.partner.id,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        self.learn()
        phone = self.Reach.search(
            [("partner_id", "=", self.partner.id), ("channel_id", "=", self.channel_phone.id)]
        )
        self.assertEqual(phone.mapped("slot"), [3 * 24 + 11])
        with freeze_time(NOW):
            now = self.Reach._propensity_now(
                self.partner, self.channel_phone, thursday + datetime.timedelta(weeks=1)
            )
        propensity, observations, responses, learned = now[self.partner.id]
        self.assertEqual((observations, responses, learned), (3, 2, True))
        self.assertTrue(0 < propensity < 1)
        email = self.Reach.search(
            [("partner_id", "=", self.partner.id), ("channel_id", "=", self.channel_email.id)]
        )
        # The message the person wrote in: a later answer by e-mail, no contact.
        self.assertEqual(len(email), 1)
        self.assertEqual((email.weight_n, email.weight_k), (0.0, 0.0))
        self.assertGreater(email.weight_a, 0.0)

    def test_private_file_is_never_read(self):
        self.nine_tuesday_evenings(self.partner)
        with patch.object(self.env.cr, "execute", wraps=self.env.cr.execute) as execute:
            self.learn()
            self.best(self.partner, self.channel_sms | self.channel_email)
            queries = [str(call.args[0]) for call in execute.call_args_list]
        self.assertTrue(queries)
        self.assertFalse([q for q in queries if PRIVATE_TABLES.search(q)])

    def test_cron_learns(self):
        self.nine_tuesday_evenings(self.partner)
        with freeze_time(NOW):
            self.env.ref("crm_affinity.ir_cron_affinity_learn_reachability").method_direct_trigger()
        self.assertTrue(self.Reach.search_count([("partner_id", "=", self.partner.id)]))
        patterns = self.env["affinity.reachability.pattern"].search([("segment_id", "=", False)])
        self.assertTrue(patterns)
        self.assertTrue(all(0 < rate < 100 for rate in patterns.mapped("rate")))

    def test_half_life_setting(self):
        with self.assertRaises(ValidationError):
            self.company.affinity_reach_half_life = 3
        self.nine_tuesday_evenings(self.partner)
        self.learn()
        self.company.affinity_reach_half_life = 30
        self.assertFalse(self.Reach.search_count([]), "a new half-life: learned again from nothing")

    def test_who_can_see_it(self):
        self.nine_tuesday_evenings(self.partner)
        self.learn()
        with self.assertRaises(AccessError):
            self.Reach.with_user(self.user_plain).search([])
        self.assertTrue(
            self.Reach.with_user(self.user_affinity).search([("partner_id", "=", self.partner.id)])
        )
        self.assertFalse(
            self.Reach.with_user(self.user_scoped).search([("partner_id", "=", self.partner.id)])
        )
        with self.assertRaises(AccessError):
            self.Reach.with_user(self.user_affinity).search([]).unlink()
        with self.assertRaises(AccessError):
            self.Reach.with_user(self.user_affinity).action_relearn()
        # The partner's company decides: moved to a company the user is not in, their rows are hidden.
        other_company = self.env["res.company"].create({"name": "Other Co"})
        self.partner.company_id = other_company
        self.assertTrue(self.Reach.search([("partner_id", "=", self.partner.id)]))
        self.assertFalse(
            self.Reach.with_user(self.user_affinity).search([("partner_id", "=", self.partner.id)])
        )

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        windows=st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(1, 6)), min_size=0, max_size=3
        ),
        denied=st.sets(st.sampled_from(["email", "sms"])),
        quiet_days=st.integers(0, 8),
        hours=st.integers(1, 60),
        purpose=st.sampled_from(["marketing", "service"]),
    )
    def test_never_a_moment_the_decision_denies(self, windows, denied, quiet_days, hours, purpose):
        partner = self.Partner.create(
            {"name": "Prop", "email": "prop@example.com", "mobile": "+90 532 000 00 00", "tz": "Asia/Tokyo"}
        )
        for channel in ("email", "sms"):
            partner._affinity_set_consent(
                channel, "marketing", "denied" if channel in denied else "granted", source="paper"
            )
        for day, start, length in windows:
            self.env["affinity.contact.window"].create(
                {
                    "partner_id": partner.id,
                    "weekday": str(day),
                    "hour_from": start,
                    "hour_to": min(24, start + length),
                }
            )
        if quiet_days:
            partner.affinity_quiet_until = NOW.date() + datetime.timedelta(days=quiet_days - 1)
        purpose = self.env.ref(f"crm_affinity.affinity_purpose_{purpose}")
        channels = self.channel_sms | self.channel_email
        result = self.best(partner | self.partner, channels, purpose=purpose, days=hours / 24)
        for partner_id, moment in result.items():
            self.assertTrue(NOW <= moment.when < NOW + datetime.timedelta(hours=hours))
            channel = self.env["affinity.channel"].browse(moment.channel_id)
            decision = self.Partner.browse(partner_id)._affinity_contact_decision(
                channel, purpose, when=moment.when
            )
            self.assertTrue(decision[partner_id].allowed, moment)

    def test_seen_on_the_communication_tab_and_page(self):
        self.nine_tuesday_evenings(self.partner)
        self.learn()
        partner = self.partner.with_user(self.user_affinity)
        with freeze_time(NOW):
            lines = {line["name"]: line["value"] for line in partner.affinity_summary_lines("communication")}
            self.assertIn("Best reached Tue", lines["affinity_reach_summary"])
            self.assertIn("by SMS", lines["affinity_reach_summary"])
            strip = str(partner.affinity_reach_strip)
        # One row per channel shown and weekday, one cell per hour.
        channels = self.env["affinity.channel"].search(
            [("code", "in", ("email", "sms", "phone", "whatsapp"))]
        )
        self.assertEqual(strip.count("<tr>"), 7 * len(channels))
        self.assertEqual(strip.count("<td "), 7 * 24 * len(channels))
        self.assertIn("Tue 19:00", strip)
        # A plain employee sees neither.
        plain = {
            line["name"]
            for line in self.partner.with_user(self.user_plain).affinity_summary_lines("communication")
        }
        self.assertNotIn("affinity_reach_summary", plain)

    def test_strip_greys_the_hours_outside_the_windows(self):
        self.env["affinity.contact.window"].create(
            {"partner_id": self.partner.id, "weekday": "0", "hour_from": 9.0, "hour_to": 10.0}
        )
        with freeze_time(NOW):
            strip = str(self.partner.affinity_reach_strip)
        channels = self.env["affinity.channel"].search(
            [("code", "in", ("email", "sms", "phone", "whatsapp"))]
        )
        self.assertEqual(strip.count("repeating-linear-gradient"), (7 * 24 - 1) * len(channels))

    def test_a_call_done_on_an_opportunity_counts(self):
        call = self.env["mail.activity.type"].create(
            {"name": "Reach call", "affinity_channel_id": self.channel_phone.id}
        )
        lead = self.env["crm.lead"].create({"name": "Reach deal", "partner_id": self.partner.id})
        # Wednesday 15:xx Istanbul (12:xx UTC).
        with freeze_time(datetime.datetime(2026, 6, 3, 12, 20)):
            activity = lead.activity_schedule(activity_type_id=call.id, user_id=self.env.uid)
            activity.action_feedback(feedback="Picked up")
        self.learn()
        rows = self.Reach.search(
            [("partner_id", "=", self.partner.id), ("channel_id", "=", self.channel_phone.id)]
        )
        self.assertEqual(rows.mapped("slot"), [2 * 24 + 15])
        self.assertGreater(rows.weight_n, 0)
        self.assertAlmostEqual(rows.weight_n, rows.weight_k)

    def test_a_newcomer_follows_their_segment_before_the_company(self):
        segment = self.env["affinity.rfm.segment"].search([], limit=1)
        london = {"tz": "Europe/London"}
        crowd = self.Partner.create(
            [dict(london, name=f"Crowd {i}", email=f"c{i}@example.com") for i in range(6)]
        )
        members = self.Partner.create(
            [dict(london, name=f"Member {i}", email=f"m{i}@example.com") for i in range(3)]
        )
        newcomer = self.Partner.create(
            {"name": "Newcomer", "email": "new@example.com", "tz": "Europe/London"}
        )
        crowd.write({"affinity_segment_id": False})
        (members | newcomer).write({"affinity_segment_id": segment.id})
        for week in range(4):
            # The crowd answers on Thursdays at 10:00 London time, the segment on Fridays at 20:00.
            for partner in crowd:
                sent = datetime.datetime(2026, 6, 4, 9, 5) - datetime.timedelta(weeks=week)
                self.trace(partner, sent, sent + datetime.timedelta(minutes=10), trace_type="mail")
            for partner in members:
                sent = datetime.datetime(2026, 6, 5, 19, 5) - datetime.timedelta(weeks=week)
                self.trace(partner, sent, sent + datetime.timedelta(minutes=10), trace_type="mail")
        self.learn()
        result = self.best(newcomer | self.partner_other, self.channel_email)
        self.assertEqual(
            result[newcomer.id].when, datetime.datetime(2026, 6, 12, 19, 0)
        )  # Friday 20:00 London
        self.assertFalse(result[newcomer.id].learned)
        self.assertEqual(result[self.partner_other.id].when, datetime.datetime(2026, 6, 11, 9, 0))
        patterns = self.env["affinity.reachability.pattern"].search(
            [("segment_id", "=", segment.id), ("channel_id", "=", self.channel_email.id)]
        )
        best = max(patterns, key=lambda p: p.rate)
        self.assertEqual((best.weekday, best.hour), ("4", 20))

    def test_a_manager_relearns_and_other_companies_patterns_stay_hidden(self):
        self.nine_tuesday_evenings(self.partner)
        with freeze_time(NOW):
            self.Reach.with_user(self.user_manager).action_relearn()
        self.assertTrue(self.Reach.search_count([("partner_id", "=", self.partner.id)]))
        other_company = self.env["res.company"].create({"name": "Other Co"})
        self.env["affinity.reachability.pattern"].flush_model()
        self.env.cr.execute(
            "UPDATE affinity_reachability_pattern SET company_id = %s WHERE segment_id IS NULL",
            (other_company.id,),
        )
        self.env["affinity.reachability.pattern"].invalidate_model()
        visible = self.env["affinity.reachability.pattern"].with_user(self.user_affinity).search([])
        self.assertFalse(visible.filtered(lambda p: p.company_id == other_company))
        self.assertTrue(
            self.env["affinity.reachability.pattern"].search([("company_id", "=", other_company.id)])
        )

    def test_weights_are_rebased_before_they_grow_too_large(self):
        self.company.affinity_reach_half_life = 7
        self.nine_tuesday_evenings(self.partner)
        # An epoch 3 000 days back: 428 half-lives of 7 days, past the 400 that call for a rebase.
        old_epoch = NOW - datetime.timedelta(days=3000)
        self.env["ir.config_parameter"].set_param("crm_affinity.reach_epoch", str(old_epoch))
        with freeze_time(NOW - datetime.timedelta(days=3)):
            self.Reach._learn()
        before = self._decayed(self.channel_sms)
        self.learn()
        self.assertEqual(self.env["ir.config_parameter"].get_param("crm_affinity.reach_epoch"), str(NOW))
        after = self._decayed(self.channel_sms)
        # The same evidence read at the same moment, whichever epoch it is stored at.
        self.assertEqual(set(before), set(after))
        for slot, (n, k) in before.items():
            self.assertAlmostEqual(n, after[slot][0], places=9)
            self.assertAlmostEqual(k, after[slot][1], places=9)
        self.assertAlmostEqual(
            after[24 + 19][0],
            sum(2 ** (-(NOW - t.replace(hour=16, minute=10)).total_seconds() / 86400 / 7) for t in TUESDAYS),
            places=2,
        )

    def _decayed(self, channel):
        """{slot: (n, k)} of the partner on ``channel``, read at NOW."""
        nka, _activity = self.Reach._evidence([self.partner.id], [channel.id], NOW)
        return {slot: (nka[0, 0, 0, slot], nka[0, 0, 1, slot]) for slot in range(168) if nka[0, 0, 0, slot]}
