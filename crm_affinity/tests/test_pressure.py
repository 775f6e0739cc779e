"""Contact pressure: the budget per person across channels, quiet days, and who obeys them."""

import datetime
import random
import re
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.mail.tests.common import MockEmail
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..tools import sql as sql_tools
from .common import TURKISH_HALF_DAYS_2026, TURKISH_HOLIDAYS_2026, AffinityCase
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

    def test_a_fraction_of_a_second_waits_for_the_next_whole_second(self):
        """Moments written by SQL keep microseconds (a follow-up's write date does): next allowed is the first
        whole second after the budget frees, never a moment still inside the window."""
        oldest = self.trace(self.partner, NOW - datetime.timedelta(days=6))
        self.trace(self.partner, NOW - datetime.timedelta(days=2))
        self.env["mailing.trace"].flush_model()
        self.env.cr.execute(
            "UPDATE mailing_trace SET sent_datetime = %s WHERE id = %s",
            [NOW - datetime.timedelta(days=6) + datetime.timedelta(milliseconds=250), oldest.id],
        )
        self.env["mailing.trace"].invalidate_model()
        for large in (False, True):
            with (
                self.subTest(large=large),
                patch.object(sql_tools, "LARGE_ID_SET", 1 if large else sql_tools.LARGE_ID_SET),
            ):
                decision = self.decide(self.partner)[self.partner.id]
                self.assertEqual(decision.next_allowed, NOW + datetime.timedelta(days=1, seconds=1))
                self.assertFalse(
                    self.decide(self.partner, when=NOW + datetime.timedelta(days=1))[self.partner.id].allowed
                )
                self.assertTrue(
                    self.decide(self.partner, when=decision.next_allowed)[self.partner.id].allowed
                )

    def test_service_never_counts_nor_waits(self):
        for days in (1, 2, 3):
            self.trace(self.partner, NOW - datetime.timedelta(days=days))
        self.assertEqual(self.decide(self.partner)[self.partner.id].reason, "pressure")
        self.assertTrue(self.decide(self.partner, purpose="service")[self.partner.id].allowed)

    def test_a_service_mailing_does_not_count(self):
        """Service messages never count (the purpose's help): the traces of a service mailing neither."""
        service_mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Your order",
                "body_html": "<p>x</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "affinity_purpose_id": self.service.id,
            }
        )
        self.assertIn("Service messages never count", self.env["affinity.purpose"]._fields["pressure"].help)
        self.trace(self.partner, NOW - datetime.timedelta(days=1))
        for days in (2, 3):
            self.trace(self.partner, NOW - datetime.timedelta(days=days)).mass_mailing_id = service_mailing
        self.assertTrue(self.decide(self.partner)[self.partner.id].allowed, "one of two")
        counts = self.env["affinity.contact.pressure"]._counts(self.partner, NOW)[self.partner.id]
        self.assertEqual(counts["week"], {"mail": 1})
        self.env.flush_all()
        report = self.env["affinity.contact.report"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual(sum(report.mapped("contacts")), 1)

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

    def test_an_sms_handed_to_the_provider_counts(self):
        """Odoo 18 labels ``pending`` "Sent": the SMS left for the provider, whether or not a delivery report
        ever comes. Two of them use a budget of two."""
        labels = dict(self.env["mailing.trace"]._fields["trace_status"]._description_selection(self.env))
        self.assertEqual(labels["pending"], "Sent")
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.trace(self.partner, NOW - datetime.timedelta(days=1), status="pending", trace_type="sms")
        self.assertTrue(self.decide(self.partner, channel="sms")[self.partner.id].allowed, "one of two")
        self.trace(self.partner, NOW - datetime.timedelta(days=3), status="pending", trace_type="sms")
        decision = self.decide(self.partner, channel="sms")[self.partner.id]
        self.assertEqual(
            (decision.reason, decision.next_allowed), ("pressure", NOW + datetime.timedelta(days=4))
        )
        self.assertEqual(
            self.env["affinity.contact.pressure"]._counts(self.partner, NOW)[self.partner.id]["week"],
            {"sms": 2},
        )

    def test_a_followup_message_counts_when_it_went_out(self):
        """An e-mail a follow-up sent eight days ago is out of the week's window, even when its outcome is
        recorded yesterday: the contact happened when the message went out."""
        self.company.affinity_pressure_week = 1
        rule = self.env["affinity.followup.rule"].create(
            {
                "name": "Offer",
                "trigger": "partner_domain",
                "action": "activity",
                "purpose_id": self.marketing.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
            }
        )
        sent_at = NOW - datetime.timedelta(days=8)
        message = self.env["mail.message"].create(
            {"model": "res.partner", "res_id": self.partner.id, "body": "Offer", "date": sent_at}
        )
        followup = self.env["affinity.followup"].create(
            {
                "rule_id": rule.id,
                "partner_id": self.partner.id,
                "company_id": self.company.id,
                "occurrence_date": sent_at.date(),
                "due_date": sent_at.date(),
                "state": "sent",
                "channel_id": self.channel_email.id,
                "message_id": message.id,
            }
        )
        with freeze_time(NOW - datetime.timedelta(days=1)):
            followup.action_set_outcome_no_answer()
        self.assertEqual(followup.done_date, NOW - datetime.timedelta(days=1))
        self.assertTrue(self.decide(self.partner)[self.partner.id].allowed, "eight days ago: out of the week")
        counts = self.env["affinity.contact.pressure"]._counts(self.partner, NOW)[self.partner.id]
        self.assertEqual((counts["week"], counts["month"]), ({"email": 0}, {"email": 1}))
        # A task handed to a person counts when it was done.
        followup.write({"channel_id": self.channel_phone.id, "message_id": False})
        self.assertEqual(self.decide(self.partner)[self.partner.id].reason, "pressure")

    def test_over_the_budget_next_allowed_waits_for_the_channel_cap_too(self):
        """Over the budget until an e-mail leaves the week, and over the SMS cap until an SMS leaves the
        month: the next allowed moment for an SMS is the later, and at that moment an SMS may go."""
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.company.affinity_pressure_week = 1
        self.env["affinity.pressure.cap"].create(
            {"company_id": self.company.id, "channel_id": self.channel_sms.id, "period": "month", "limit": 1}
        )
        self.trace(self.partner, NOW - datetime.timedelta(days=20), trace_type="sms")
        self.trace(self.partner, NOW - datetime.timedelta(days=3))
        decision = self.decide(self.partner, channel="sms")[self.partner.id]
        self.assertEqual(
            (decision.reason, decision.next_allowed), ("pressure", NOW + datetime.timedelta(days=10))
        )
        self.assertTrue(
            self.decide(self.partner, channel="sms", when=decision.next_allowed)[self.partner.id].allowed
        )
        email = self.decide(self.partner)[self.partner.id]
        self.assertEqual(email.next_allowed, NOW + datetime.timedelta(days=4), "no cap on e-mail")

    def test_random_histories_never_exceed_the_budget(self):
        """Random partners × contacts of every kind and status over 40 days × budgets × channel caps × quiet
        days, against a count written from what Odoo and the settings say, not from the statement under test:

        - a trace counts when Odoo's label of its status says the message left (Sent: handed to the
          provider; Delivered; Opened; Replied), never when it says it did not (Outgoing, Processing,
          Bounced, Exception, Cancelled);
        - a follow-up of a purpose that counts against the budget counts when its message went out (the
          message's date, whatever was recorded later), a task when it was done;
        - each budget and channel cap holds "at most this many ... in any <period>", the period read from
          the setting's own label, 0 meaning no cap as its help says.

        Allowed exactly when no quiet time holds and every window has room; next allowed the earliest
        moment that is true (and the decision then allows); two mailings never give anyone more than their
        budget had room for."""
        rng = random.Random(18)
        Trace = self.env["mailing.trace"]
        company_fields = self.env["res.company"]._fields
        cap_labels = dict(
            self.env["affinity.pressure.cap"]._fields["period"]._description_selection(self.env)
        )

        def period(label):
            number, unit = re.search(r"per (\d+) (hour|day)", label, re.IGNORECASE).groups()
            return datetime.timedelta(**{unit.lower() + "s": int(number)})

        # Odoo's labels of a trace's status: which of them say the message left for the person.
        status_labels = dict(Trace._fields["trace_status"]._description_selection(self.env))
        went_out_labels = {"Sent", "Delivered", "Opened", "Replied"}
        self.assertLessEqual(went_out_labels, set(status_labels.values()))
        self.assertIn("0: no cap", company_fields["affinity_pressure_week"].help)
        self.assertIn("over every channel", company_fields["affinity_pressure_day"].help)
        self.assertIn("Service messages never count", self.env["affinity.purpose"]._fields["pressure"].help)

        partners = self.Partner.create(
            [
                {
                    "name": f"Pressure {i}",
                    "email": f"pressure{i}@example.com",
                    "mobile": f"+90 532 000 {i:02d} 00",
                    "company_id": self.company.id,
                }
                for i in range(30)
            ]
        )
        partners._affinity_set_consent("email", "marketing", "granted", source="paper")
        partners._affinity_set_consent("sms", "marketing", "granted", source="paper")
        budget = {"affinity_pressure_day": 2, "affinity_pressure_week": 4, "affinity_pressure_month": 0}
        self.company.write(budget)
        channel_caps = {"email": {"month": 5}, "sms": {"week": 1, "month": 2}}
        for code, caps in channel_caps.items():
            for name, limit in caps.items():
                self.env["affinity.pressure.cap"].create(
                    {
                        "company_id": self.company.id,
                        "channel_id": self.env.ref(f"crm_affinity.affinity_channel_{code}").id,
                        "period": name,
                        "limit": limit,
                    }
                )
        rules = {
            purpose.code: self.env["affinity.followup.rule"].create(
                {
                    "name": f"Random {purpose.code}",
                    "trigger": "partner_domain",
                    "action": "activity",
                    "purpose_id": purpose.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                }
            )
            for purpose in (self.marketing, self.service)
        }
        channels = {"email": self.channel_email, "sms": self.channel_sms, "phone": self.channel_phone}
        # Every contact as the oracle sees it: (moment, channel code) of what reached the person.
        history, quiet, own_week = {}, {}, {}
        later_edits = []

        def random_moment():
            return NOW - datetime.timedelta(minutes=rng.randint(1, 40 * 24 * 60))

        for partner in partners:
            if rng.random() < 0.3:
                own_week[partner.id] = partner.affinity_pressure_week = rng.choice([2, 6])
            if rng.random() < 0.2:
                quiet[partner.id] = NOW.date() + datetime.timedelta(days=rng.randint(-5, 5))
                partner.affinity_quiet_until = quiet[partner.id]
            contacts = []
            for _i in range(rng.randint(0, 6)):
                moment, status = random_moment(), rng.choice(list(status_labels))
                trace_type, model = rng.choice(
                    [("mail", "res.partner"), ("sms", "res.partner"), ("mail", "crm.lead")]
                )
                self.trace(partner, moment, status=status, trace_type=trace_type, model=model)
                if status_labels[status] in went_out_labels:
                    contacts.append((moment, "email" if trace_type == "mail" else "sms"))
            for _i in range(rng.randint(0, 4)):
                moment, code = random_moment(), rng.choice(list(channels))
                purpose = rng.choice(["marketing", "marketing", "service"])
                state = rng.choice(["sent", "done", "done", "skipped"])
                values = {
                    "rule_id": rules[purpose].id,
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    # One follow-up per rule, partner and occurrence: each its own occurrence.
                    "occurrence_date": datetime.date(2026, 1, 1) + datetime.timedelta(days=len(later_edits)),
                    "due_date": moment.date(),
                    "state": state,
                    "channel_id": channels[code].id,
                }
                # Recorded later: an outcome, a note; never the moment the contact happened.
                edited = moment + (NOW - moment) * rng.random()
                if code in ("email", "sms"):
                    values["message_id"] = (
                        self.env["mail.message"]
                        .create({"model": "res.partner", "res_id": partner.id, "body": "x", "date": moment})
                        .id
                    )
                    if state == "done":
                        values["done_date"] = edited.replace(microsecond=0)
                    counts = state in ("sent", "done")
                else:
                    if state == "done":
                        values["done_date"] = moment
                    counts = state == "done"
                followup = self.env["affinity.followup"].create(values)
                later_edits.append((followup.id, edited))
                if counts and self.env["affinity.purpose"]._get_by_code(purpose).pressure:
                    contacts.append((moment, code))
            history[partner.id] = contacts
        self.env.flush_all()
        for followup_id, edited in later_edits:
            self.env.cr.execute(
                "UPDATE affinity_followup SET write_date = %s WHERE id = %s", [edited, followup_id]
            )

        def budget_caps(partner_id):
            caps = []
            for fname, cap in budget.items():
                if fname == "affinity_pressure_week":
                    cap = own_week.get(partner_id) or cap
                if cap:
                    caps.append((cap, period(company_fields[fname].string), None))
            return caps

        def has_room(partner_id, when, channel, budget=True, cap=True):
            if quiet.get(partner_id) and quiet[partner_id] >= when.date():
                return False
            limits = (budget_caps(partner_id) if budget else []) + [
                (limit, period(cap_labels[name]), channel)
                for name, limit in channel_caps[channel].items()
                if cap
            ]
            for cap, length, only in limits:
                recent = [
                    m for m, code in history[partner_id] if when - length < m <= when and only in (None, code)
                ]
                if len(recent) >= cap:
                    return False
            return True

        # What the draw must cover for the check to mean something.
        covered = set()
        for contacts in history.values():
            covered.update(code for _moment, code in contacts)
        covered.update(
            status for status in Trace.search([("res_id", "in", partners.ids)]).mapped("trace_status")
        )
        for channel in ("email", "sms"):
            decisions = self.decide(partners, channel=channel)
            # The same answers for a set as large as a mass mailing's, whose id array the planner does not see.
            with patch.object(sql_tools, "LARGE_ID_SET", 1):
                self.assertEqual(self.decide(partners, channel=channel), decisions)
            for partner in partners:
                decision = decisions[partner.id]
                with self.subTest(partner=partner.name, channel=channel):
                    self.assertEqual(decision.allowed, has_room(partner.id, NOW, channel))
                    if not decision.allowed and decision.reason == "quiet_until":
                        self.assertGreaterEqual(quiet[partner.id], NOW.date())
                        self.assertEqual(
                            decision.next_allowed.date(), quiet[partner.id] + datetime.timedelta(days=1)
                        )
                    elif not decision.allowed:
                        self.assertEqual(decision.reason, "pressure")
                        over_both = not has_room(partner.id, NOW, channel, cap=False) and not has_room(
                            partner.id, NOW, channel, budget=False
                        )
                        if over_both and not has_room(
                            partner.id,
                            decision.next_allowed - datetime.timedelta(seconds=1),
                            channel,
                            cap=False,
                        ):
                            covered.add("the budget frees first, the channel's cap later")
                        elif over_both:
                            covered.add("over the budget and the channel's cap")
                        self.assertTrue(has_room(partner.id, decision.next_allowed, channel))
                        self.assertFalse(
                            has_room(
                                partner.id, decision.next_allowed - datetime.timedelta(seconds=1), channel
                            )
                        )
                        self.assertTrue(
                            self.decide(partner, channel=channel, when=decision.next_allowed)[
                                partner.id
                            ].allowed
                        )
        self.assertLessEqual(
            {
                "email",
                "sms",
                "phone",
                "pending",
                "bounce",
                "cancel",
                "outgoing",
                "over the budget and the channel's cap",
            },
            covered,
            "the random draw covers statuses, follow-ups of each channel and both caps at once",
        )
        self.assertTrue(
            self.decide(partners, purpose="service")[partners[0].id].allowed, "service never held"
        )
        # Two mailings at that moment: after them, no one received more than their budget had room for.
        before = {pid: list(contacts) for pid, contacts in history.items()}
        for subject in ("Kış", "Yılbaşı"):
            with freeze_time(NOW), self.mock_mail_gateway():
                mailing = self.env["mailing.mailing"].create(
                    {
                        "subject": subject,
                        "body_html": "<p>Kampanya</p>",
                        "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                        "mailing_domain": repr([("id", "in", partners.ids)]),
                    }
                )
                mailing.action_send_mail()
            for trace in mailing.mailing_trace_ids:
                if status_labels[trace.trace_status] in went_out_labels:
                    history[trace.res_id].append((NOW, "email"))
        for partner in partners:
            new = len(history[partner.id]) - len(before[partner.id])
            limits = budget_caps(partner.id) + [
                (limit, period(cap_labels[name]), "email") for name, limit in channel_caps["email"].items()
            ]
            for cap, length, only in limits:
                earlier = [
                    m for m, code in before[partner.id] if NOW - length < m <= NOW and only in (None, code)
                ]
                with self.subTest(partner=partner.name, length=length, only=only):
                    self.assertLessEqual(new, max(cap - len(earlier), 0))
            if quiet.get(partner.id) and quiet[partner.id] >= NOW.date():
                self.assertEqual(new, 0, "a quiet time holds every commercial message back")


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

    def test_a_quiet_time_ending_before_a_holiday(self):
        """Quiet until Wednesday 28 October 2026: Thursday 29 is Republic Day (Turkey's holidays come by
        themselves), so commercial messages wait for Friday 30; with a day the company adds of its own on
        the 30th, for Saturday 31. Greetings still go out on the holiday."""
        self.company.write({"country_id": self.env.ref("base.tr").id, "affinity_consent_mode": "opt_out"})
        self.company.resource_calendar_id.tz = "Europe/Istanbul"
        self.partner.company_id = self.company
        self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.partner._affinity_set_consent("email", "relationship", "granted", source="paper")
        self.partner.affinity_quiet_until = datetime.date(2026, 10, 28)
        tuesday = datetime.datetime(2026, 10, 27, 9, 0)
        decision = self.decide(self.partner, when=tuesday)[self.partner.id]
        self.assertEqual(
            (decision.reason, decision.next_allowed), ("quiet_until", datetime.datetime(2026, 10, 30))
        )
        greeting = self.decide(self.partner, purpose="relationship", when=tuesday)[self.partner.id]
        self.assertEqual(greeting.next_allowed, datetime.datetime(2026, 10, 29))
        # The company's own day off, entered in Istanbul time: 30 October from 00:00 to 23:59.
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Bridge day",
                "calendar_id": self.company.resource_calendar_id.id,
                "date_from": datetime.datetime(2026, 10, 29, 21, 0),
                "date_to": datetime.datetime(2026, 10, 30, 20, 59, 59),
            }
        )
        decision = self.decide(self.partner, when=tuesday)[self.partner.id]
        self.assertEqual(decision.next_allowed, datetime.datetime(2026, 10, 31))
        # On the holiday itself, with the quiet time over: the same next moment.
        self.partner.affinity_quiet_until = False
        decision = self.decide(self.partner, when=datetime.datetime(2026, 10, 29, 9, 0))[self.partner.id]
        self.assertEqual(
            (decision.reason, decision.next_allowed), ("quiet_day", datetime.datetime(2026, 10, 31))
        )
        # The eve of the holiday is a half day: messages go.
        self.assertTrue(
            self.decide(self.partner, when=datetime.datetime(2026, 10, 28, 9, 0))[self.partner.id].allowed
        )

    def test_a_holiday_west_of_utc(self):
        """A company in New York closed on Friday 3 July 2026 (entered as time off in its calendar, New York
        time, UTC-4 in summer): its holiday runs from 04:00 UTC on the 3rd to 04:00 UTC on the 4th. At
        21:00 in New York (01:00 UTC on the 4th) it is still the holiday; the next allowed moment is
        midnight in New York, not midnight in UTC (20:00 on the holiday there)."""
        self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.partner.company_id = self.company
        calendar = self.company.resource_calendar_id
        calendar.tz = "America/New_York"
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Independence Day",
                "calendar_id": calendar.id,
                "date_from": datetime.datetime(2026, 7, 3, 4, 0),
                "date_to": datetime.datetime(2026, 7, 4, 3, 59, 59),
            }
        )
        midnight_in_new_york = datetime.datetime(2026, 7, 4, 4, 0)
        for when in (datetime.datetime(2026, 7, 3, 15, 0), datetime.datetime(2026, 7, 4, 1, 0)):
            decision = self.decide(self.partner, when=when)[self.partner.id]
            self.assertEqual((decision.reason, decision.next_allowed), ("quiet_day", midnight_in_new_york))
        self.assertTrue(self.decide(self.partner, when=midnight_in_new_york)[self.partner.id].allowed)
        self.assertTrue(
            self.decide(self.partner, when=datetime.datetime(2026, 7, 3, 3, 0))[self.partner.id].allowed,
            "23:00 on Thursday in New York",
        )

    def test_random_quiet_times_next_to_holidays(self):
        """Random quiet times and moments around Turkey's public holidays of 2026 (written by hand in
        ``common.py``) and a bridge day the company adds, against an oracle written from the texts a user
        reads, not from the code under test:

        - *No Commercial Contact Until*: "no marketing or greeting before the day after";
        - a purpose that *Counts Against the Contact Budget* (marketing, greetings) "waits on quiet days";
          the module's usage: the company's public holidays make commercial messages wait, the moment they
          may go is never on a holiday, greetings still go out on one; the eves are half days (working
          days); a day of the company's own time off counts as a holiday; a weekend is no quiet day;
        - service messages never wait;
        - a day is the company's: read in its calendar's time zone, Istanbul (UTC+3 all year since 2016),
          so 22:00 UTC on the eve is already the holiday, and 22:00 UTC on the holiday the day after.

        The next allowed moment is the first moment of the first day the oracle allows, in Istanbul and in
        UTC alike (follow-ups read its date in UTC), and the decision then allows."""
        rng = random.Random(33)
        quiet_help = self.Partner._fields["affinity_quiet_until"].help
        self.assertIn("no marketing or greeting before the day after", quiet_help)
        self.assertIn("wait on quiet days", self.env["affinity.purpose"]._fields["pressure"].help)
        self.assertTrue(self.marketing.pressure and self.relationship.pressure and not self.service.pressure)
        self.company.write(
            {
                "country_id": self.env.ref("base.tr").id,
                "affinity_consent_mode": "opt_out",
                "affinity_pressure_day": 0,
                "affinity_pressure_week": 0,
                "affinity_pressure_month": 0,
            }
        )
        calendar = self.company.resource_calendar_id
        calendar.tz = "Europe/Istanbul"
        # A bridge day of the company's own: Monday 18 May 2026, in Istanbul time, before the 19 May holiday.
        bridge = datetime.date(2026, 5, 18)
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Köprü izni",
                "calendar_id": calendar.id,
                "date_from": datetime.datetime(2026, 5, 17, 21, 0),
                "date_to": datetime.datetime(2026, 5, 18, 20, 59, 59),
            }
        )
        holidays = set(TURKISH_HOLIDAYS_2026) | {bridge}
        day, istanbul = datetime.timedelta(days=1), datetime.timedelta(hours=3)

        def local_date(when):
            return (when + istanbul).date()

        def free(purpose, quiet_until, date):
            """May a message of this purpose go on this day, by the texts."""
            if purpose == "service":
                return True
            if quiet_until and date <= quiet_until:  # not before the day after
                return False
            return purpose == "relationship" or date not in holidays

        def oracle(purpose, quiet_until, when):
            date = local_date(when)
            if free(purpose, quiet_until, date):
                return True, None
            while not free(purpose, quiet_until, date):
                date += day
            midnight = datetime.datetime.combine(date, datetime.time())
            return False, max(midnight - istanbul, midnight)

        def off_run(date):
            """The days off (weekend or holiday) from ``date`` on."""
            run = []
            while date.weekday() >= 5 or date in holidays:
                run.append(date)
                date += day
            return run

        partners = self.Partner.create(
            [
                {
                    "name": f"Quiet {i}",
                    "email": f"quiet{i}@example.com",
                    "mobile": f"+90 532 100 {i:02d} 00",
                    "company_id": self.company.id,
                    "tz": "Europe/Istanbul",
                }
                for i in range(30)
            ]
        )
        for channel in ("email", "sms"):
            for purpose in ("marketing", "relationship"):
                partners._affinity_set_consent(channel, purpose, "granted", source="paper")
        anchors = sorted(holidays | TURKISH_HALF_DAYS_2026)
        covered, compared = set(), 0
        # Twice round every holiday, eve and the bridge day, in a random order.
        for anchor in rng.sample(anchors * 2, len(anchors) * 2):
            # A moment near it, at any hour of the day in UTC, often after 21:00 UTC (the next day in
            # Istanbul).
            hour = rng.choice([rng.randint(0, 23), rng.randint(21, 23)])
            when = datetime.datetime.combine(
                anchor + rng.choice([0, rng.randint(-4, 2)]) * day, datetime.time(hour, rng.choice([0, 30]))
            )
            quiet = {}
            for partner in partners:
                if rng.random() < 0.75:
                    quiet[partner.id] = local_date(when) + rng.randint(-2, 6) * day
            by_value = {}
            for partner in partners:
                by_value.setdefault(quiet.get(partner.id, False), []).append(partner.id)
            for value, ids in by_value.items():
                self.Partner.browse(ids).affinity_quiet_until = value
            channel = rng.choice(["email", "sms"])
            for purpose in ("marketing", "relationship", "service"):
                decisions = self.decide(partners, channel=channel, purpose=purpose, when=when)
                again = {}
                for partner in partners:
                    decision, quiet_until = decisions[partner.id], quiet.get(partner.id)
                    allowed, next_allowed = oracle(purpose, quiet_until, when)
                    compared += 1
                    with self.subTest(when=when, purpose=purpose, quiet_until=quiet_until):
                        self.assertEqual((decision.allowed, decision.next_allowed), (allowed, next_allowed))
                        if not allowed:
                            held_by_quiet = quiet_until and quiet_until >= local_date(when)
                            self.assertEqual(decision.reason, "quiet_until" if held_by_quiet else "quiet_day")
                            again.setdefault(next_allowed, []).append(partner.id)
                    # What this case stands for.
                    date, commercial = local_date(when), purpose == "marketing"
                    holding = quiet_until and quiet_until >= date
                    if holding and quiet_until + day in holidays:
                        covered.add(f"{purpose}: a quiet time ending the day before a holiday")
                    if holding and {d.weekday() >= 5 for d in off_run(quiet_until + day)} == {True, False}:
                        covered.add(f"{purpose}: a quiet time ending before a weekend and holiday bridge")
                    if not holding and date in holidays:
                        covered.add(f"{purpose}: on a holiday")
                    if commercial and not allowed and (next_allowed.date() - day) in holidays - {date}:
                        if next_allowed.date() - 2 * day in holidays:
                            covered.add("marketing: waits out a holiday of several days")
                    if commercial and not allowed and bridge < next_allowed.date() and date <= bridge:
                        covered.add("marketing: waits out the company's own day off")
                    if commercial and not allowed and next_allowed.date().weekday() >= 5:
                        covered.add("marketing: may go on a weekend after a holiday")
                    if commercial and not holding and date in TURKISH_HALF_DAYS_2026:
                        covered.add("marketing: the eve of a holiday is a working day")
                    if commercial and not holding and date != when.date():
                        if date in holidays and when.date() not in holidays:
                            covered.add("marketing: 22:00 UTC on the eve is the holiday in Istanbul")
                        if when.date() in holidays and date not in holidays:
                            covered.add("marketing: 22:00 UTC on the holiday is the day after in Istanbul")
                # At the moment given, the decision allows.
                for moment, ids in again.items():
                    later = self.decide(
                        self.Partner.browse(ids), channel=channel, purpose=purpose, when=moment
                    )
                    self.assertTrue(all(later[pid].allowed for pid in ids), f"{purpose} at {moment}")
        expected = {
            f"{purpose}: {kind}"
            for purpose in ("marketing", "relationship")
            for kind in (
                "a quiet time ending the day before a holiday",
                "a quiet time ending before a weekend and holiday bridge",
                "on a holiday",
            )
        } | {
            "marketing: waits out a holiday of several days",
            "marketing: waits out the company's own day off",
            "marketing: may go on a weekend after a holiday",
            "marketing: the eve of a holiday is a working day",
            "marketing: 22:00 UTC on the eve is the holiday in Istanbul",
            "marketing: 22:00 UTC on the holiday is the day after in Istanbul",
        }
        self.assertLessEqual(expected, covered, f"the draw covers each kind ({compared} cases)")


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


@tagged("post_install", "-at_install")
class TestFairDaysWork(FollowupCase):
    def test_500_calls_for_3_people(self):
        """A cap of 15: 45 calls today, the rest on the next working days in value order, none lost or twice."""
        self.env.company.affinity_tasks_per_day = 15
        users = [
            self.env["res.users"].create(
                {
                    "name": f"Caller {i}",
                    "login": f"caller{i}",
                    "groups_id": [(4, self.env.ref("base.group_user").id)],
                }
            )
            for i in range(3)
        ]
        rule = self.env["affinity.followup.rule"].create(
            {
                "name": "Call everyone",
                "trigger": "partner_domain",
                "action": "activity",
                "purpose_id": self.env.ref("crm_affinity.affinity_purpose_service").id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
            }
        )
        partners = self.Partner.create([{"name": f"Customer {i}"} for i in range(500)])
        today = datetime.date(2026, 12, 2)  # a Wednesday
        followups = self.env["affinity.followup"].create(
            [
                {
                    "rule_id": rule.id,
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "occurrence_date": today,
                    "due_date": today - datetime.timedelta(days=i % 5),
                    "due_datetime": datetime.datetime(2026, 12, 2, 6, 0),
                    "user_id": users[i % 3].id,
                }
                for i, partner in enumerate(partners)
            ]
        )
        # Value order: the customer with the highest lifetime value is called first.
        for i, partner in enumerate(partners):
            partner.sudo().affinity_ltv = (i * 37) % 500
        followups._dispatch(now=datetime.datetime(2026, 12, 2, 9, 0))
        handed = followups.filtered(lambda f: f.state == "sent")
        self.assertEqual(len(handed), 45)
        for user in users:
            mine = followups.filtered(lambda f, user=user: f.user_id == user)
            today_mine = mine.filtered(lambda f: f.state == "sent")
            self.assertEqual(len(today_mine), 15)
            waiting = mine - today_mine
            self.assertEqual(set(waiting.mapped("state")), {"planned"})
            self.assertEqual(set(waiting.mapped("reason")), {"workload"})
            self.assertGreaterEqual(
                min(today_mine.mapped(lambda f: f.partner_id.affinity_ltv)),
                max(waiting.mapped(lambda f: f.partner_id.affinity_ltv)),
            )
            days = sorted(set(waiting.mapped(lambda f: f.due_datetime.date())))
            self.assertEqual(days[0], datetime.date(2026, 12, 3))
            self.assertNotIn(5, [d.weekday() for d in days])
            self.assertNotIn(6, [d.weekday() for d in days])
            per_day = [len(waiting.filtered(lambda f, d=d: f.due_datetime.date() == d)) for d in days]
            self.assertTrue(all(count <= 15 for count in per_day))
        self.assertEqual(len(followups.activity_id), 45, "one activity each, none twice")
        # The next working day's dispatch hands over the next 15 each.
        next_day = followups.filtered(
            lambda f: f.state == "planned" and f.due_datetime.date() == datetime.date(2026, 12, 3)
        )
        next_day._dispatch(now=datetime.datetime(2026, 12, 3, 9, 0))
        self.assertEqual(len(followups.filtered(lambda f: f.state == "sent")), 90)


@tagged("post_install", "-at_install")
class TestContactReport(PressureMixin, AffinityCase):
    def test_contacts_per_person_and_week_for_managers(self):
        self.mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Earlier",
                "body_html": "<p>x</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        for day in (1, 2, 9):
            self.trace(self.partner, datetime.datetime(2026, 11, 20, 9) + datetime.timedelta(days=day))
        self.env.flush_all()
        Report = self.env["affinity.contact.report"]
        rows = Report.with_user(self.user_manager).search([("partner_id", "=", self.partner.id)])
        self.assertEqual(sorted(rows.mapped("contacts")), [1, 2])
        with self.assertRaises(AccessError):
            Report.with_user(self.user_affinity).search([])


@tagged("post_install", "-at_install")
class TestChannelCaps(PressureMixin, AffinityCase):
    def test_a_cap_on_one_channel(self):
        self.mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Earlier",
                "body_html": "<p>x</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        self.partner.company_id = self.company
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        self.partner._affinity_set_consent("email", "marketing", "granted", source="paper")
        self.env["affinity.pressure.cap"].create(
            {
                "company_id": self.company.id,
                "channel_id": self.env.ref("crm_affinity.affinity_channel_sms").id,
                "period": "week",
                "limit": 1,
            }
        )
        self.trace(self.partner, NOW - datetime.timedelta(days=3), trace_type="sms")
        sms = self.decide(self.partner, channel="sms")[self.partner.id]
        self.assertEqual((sms.reason, sms.next_allowed), ("pressure", NOW + datetime.timedelta(days=4)))
        self.assertTrue(
            self.decide(self.partner, channel="email")[self.partner.id].allowed, "e-mail has no cap"
        )
        self.assertTrue(
            self.decide(self.partner, channel="sms", check_pressure=False)[self.partner.id].allowed
        )
