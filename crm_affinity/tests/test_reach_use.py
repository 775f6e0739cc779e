"""The learned reachability put to use: mailings at each person's best hour, follow-ups at their best moment,
the salesperson's *Call now* list.

The learner itself is tested in ``test_reachability.py``; here it is replaced, where a test says so, by an
answer written by hand (``best_at``), so each figure the test expects is read from what the test wrote."""

import datetime
from unittest.mock import patch

import numpy as np
from freezegun import freeze_time
from lxml import etree

from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.sms.models.sms_sms import SmsApi
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..tools.dates import zone
from ..tools.reachability import BestMoment
from .common import AffinityCase, set_blacklist_rows, sms_answers

NOW = datetime.datetime(2026, 6, 2, 9, 30)  # a Tuesday, 12:30 in Istanbul


def moment(when, channel, propensity=0.5, learned=True, reason="learned by hand"):
    return BestMoment(when, channel.id, propensity, 9, 7, learned, reason)


class ReachUseCase(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Reach = cls.env.registry["affinity.reachability"]
        set_blacklist_rows(cls.env, "mail.blacklist", active=False)
        set_blacklist_rows(cls.env, "phone.blacklist", active=False)

    def best_at(self, answers):
        """Replace the learner's ``_best_moments`` by ``answers`` ({partner: BestMoment}); the calls made are
        kept in ``self.calls`` as (partner ids, channel codes, start, end)."""
        self.calls = []

        def best_moments(model, partners, channels, start, end, purpose=None, check_pressure=True):
            self.calls.append((set(partners.ids), tuple(channels.mapped("code")), start, end))
            self.check_pressure = check_pressure
            return {p.id: answer for p, answer in answers.items() if p.id in partners.ids}

        return patch.object(self.Reach, "_best_moments", best_moments)


@tagged("post_install", "-at_install")
class TestBestHourMailing(MockEmail, ReachUseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.early, cls.late, cls.none, cls.denied = (
            Partner.create({"name": name, "email": f"{name}@example.com", "mobile": f"+90 532 200 00 0{i}"})
            for i, name in enumerate(("early", "late", "none", "denied"))
        )
        cls.denied._affinity_set_consent("email", "marketing", "denied", source="call_centre")
        cls.denied._affinity_set_consent("sms", "marketing", "denied", source="call_centre")
        # "none" takes messages on Saturday mornings only: not now (Tuesday), nor in the hours given.
        cls.env["affinity.contact.window"].create(
            {"partner_id": cls.none.id, "weekday": "5", "hour_from": 9.0, "hour_to": 12.0}
        )
        set_blacklist_rows(cls.env, "mail.blacklist", active=False)
        set_blacklist_rows(cls.env, "phone.blacklist", active=False)
        cls.audience = cls.early | cls.late | cls.none | cls.denied

    def mailing(self, mailing_type="mail", within=24):
        values = {
            "subject": "Autumn offers",
            "body_html": "<p>Hello</p>",
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            "mailing_domain": repr([("id", "in", self.audience.ids)]),
            "affinity_best_hour": True,
            "affinity_best_hour_within": within,
        }
        if mailing_type == "sms":
            values.update(mailing_type="sms", body_plaintext="Hello")
        return self.env["mailing.mailing"].create(values)

    def answers(self, channel):
        # early: 16:00 UTC today; late: 05:00 UTC tomorrow; none: no allowed moment in the hours given.
        return {
            self.early: moment(datetime.datetime(2026, 6, 2, 16, 0), channel),
            self.late: moment(datetime.datetime(2026, 6, 3, 5, 0), channel, learned=False),
        }

    def traces(self, mailing):
        mailing.mailing_trace_ids.invalidate_recordset()
        return {
            trace.res_id: (trace.trace_status, trace.failure_type, trace.affinity_send_after)
            for trace in mailing.mailing_trace_ids
        }

    def test_each_email_waits_for_its_person(self):
        mailing = self.mailing()
        with freeze_time(NOW), self.best_at(self.answers(self.channel_email)):
            with self.mock_mail_gateway(mail_unlink_sent=False):
                mailing.action_send_mail()
                self.env["mail.mail"].process_email_queue()
            self.assertFalse(self._mails, "nothing goes out before its person's hour")
        # One question for the batch, about the three the consent lets through, over the next 24 hours.
        self.assertEqual(
            self.calls,
            [
                (
                    set((self.early | self.late | self.none).ids),
                    ("email",),
                    NOW,
                    NOW + datetime.timedelta(hours=24),
                )
            ],
        )
        traces = self.traces(mailing)
        self.assertEqual(traces[self.early.id], ("outgoing", False, datetime.datetime(2026, 6, 2, 16, 0)))
        self.assertEqual(traces[self.late.id], ("outgoing", False, datetime.datetime(2026, 6, 3, 5, 0)))
        self.assertEqual(traces[self.none.id], ("cancel", "affinity_outside_window", False))
        self.assertEqual(traces[self.denied.id][:2], ("cancel", "affinity_denied"))
        mailing.invalidate_recordset()
        # Four recipients: two waiting (scheduled), two cancelled; the mailing is still sending.
        self.assertEqual(
            (mailing.expected, mailing.scheduled, mailing.canceled, mailing.sent, mailing.state),
            (4, 2, 2, 0, "sending"),
        )
        self.assertEqual(mailing.affinity_waiting_count, 2)
        # The line opens the waiting traces: the view's own filter, applied as the action asks.
        action = mailing.action_view_affinity_waiting()
        self.assertTrue(action["context"]["search_default_filter_affinity_waiting"])
        search = self.env.ref("crm_affinity.mailing_trace_view_search_affinity")
        domain = (
            etree.fromstring(search.arch).xpath("//filter[@name='filter_affinity_waiting']")[0].get("domain")
        )
        waiting = self.env["mailing.trace"].search([("mass_mailing_id", "=", mailing.id)] + safe_eval(domain))
        self.assertEqual(set(waiting.mapped("res_id")), set((self.early | self.late).ids))
        mails = self.env["mail.mail"].search([("mailing_id", "=", mailing.id), ("state", "=", "outgoing")])
        self.assertEqual(
            sorted(mails.mapped("scheduled_date")),
            [datetime.datetime(2026, 6, 2, 16, 0), datetime.datetime(2026, 6, 3, 5, 0)],
        )
        # The mail queue is woken at each moment, the mailings' queue just after.
        mail_cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", mail_cron.id)]).mapped("call_at")
        self.assertIn(datetime.datetime(2026, 6, 2, 16, 0), triggers)
        self.assertIn(datetime.datetime(2026, 6, 3, 5, 0), triggers)

        with freeze_time("2026-06-02 16:01:00"), self.mock_mail_gateway(mail_unlink_sent=False):
            self.env["mail.mail"].process_email_queue()
            self.env["mailing.mailing"]._process_mass_mailing_queue()
        self.assertEqual([mail["email_to"] for mail in self._mails], [['"early" <early@example.com>']])
        mailing.invalidate_recordset()
        self.assertEqual((mailing.scheduled, mailing.sent, mailing.state), (1, 1, "sending"))

        with freeze_time("2026-06-03 05:01:00"), self.mock_mail_gateway(mail_unlink_sent=False):
            self.env["mail.mail"].process_email_queue()
            self.env["mailing.mailing"]._process_mass_mailing_queue()
        self.assertEqual([mail["email_to"] for mail in self._mails], [['"late" <late@example.com>']])
        mailing.invalidate_recordset()
        self.assertEqual(
            (mailing.expected, mailing.scheduled, mailing.sent, mailing.canceled, mailing.state),
            (4, 0, 2, 2, "done"),
        )

    def test_each_batch_asks_once(self):
        self.env["ir.config_parameter"].sudo().set_param("mail.batch_size", 2)
        mailing = self.mailing()
        with freeze_time(NOW), self.best_at(self.answers(self.channel_email)):
            with self.mock_mail_gateway(mail_unlink_sent=False):
                mailing.action_send_mail()
        # Four recipients in batches of two: two questions, never one per recipient.
        self.assertEqual(len(self.calls), 2)
        self.assertEqual(
            set().union(*(call[0] for call in self.calls)), set((self.early | self.late | self.none).ids)
        )

    def test_each_sms_is_held_until_its_moment(self):
        mailing = self.mailing("sms", within=48)
        sent = []

        def send_batch(api, messages, delivery_reports_url=False):
            numbers = [number for message in messages for number in message["numbers"]]
            sent.extend(number["number"] for number in numbers)
            return [{"uuid": number["uuid"], "state": "success"} for number in numbers]

        with patch.object(SmsApi, "_send_sms_batch", send_batch):
            with freeze_time(NOW), self.best_at(self.answers(self.channel_sms)):
                mailing.action_send_sms()
                self.env["sms.sms"]._process_queue()
                # Even a mailing that asks to send at once leaves the held SMS in the queue.
                self.env["sms.sms"].search([("mailing_id", "=", mailing.id)]).send()
            self.assertEqual(sent, [])
            self.assertEqual(self.calls[0][1:], (("sms",), NOW, NOW + datetime.timedelta(hours=48)))
            traces = self.traces(mailing)
            self.assertEqual(traces[self.early.id], ("outgoing", False, datetime.datetime(2026, 6, 2, 16, 0)))
            self.assertEqual(traces[self.none.id], ("cancel", "affinity_outside_window", False))
            self.assertEqual(traces[self.denied.id][:2], ("cancel", "affinity_denied"))
            with freeze_time("2026-06-02 16:00:00"):
                self.env["sms.sms"]._process_queue()
                self.env["mailing.mailing"]._process_mass_mailing_queue()
            self.assertEqual(sent, ["+905322000000"])
            mailing.invalidate_recordset()
            self.assertEqual((mailing.scheduled, mailing.state), (1, "sending"))
            with freeze_time("2026-06-03 05:00:00"):
                self.env["sms.sms"]._process_queue()
                self.env["mailing.mailing"]._process_mass_mailing_queue()
        self.assertEqual(len(sent), 2)
        mailing.invalidate_recordset()
        self.assertEqual(
            (mailing.expected, mailing.scheduled, mailing.canceled, mailing.state), (4, 0, 2, "done")
        )

    def test_a_person_with_no_moment_gets_the_decisions_reason(self):
        # Quiet until next week: the decision's own reason, not a bare "no moment".
        self.none.affinity_quiet_until = datetime.date(2026, 6, 9)
        mailing = self.mailing()
        with freeze_time(NOW), self.best_at(self.answers(self.channel_email)):
            with self.mock_mail_gateway(mail_unlink_sent=False):
                mailing.action_send_mail()
        self.assertEqual(self.traces(mailing)[self.none.id][:2], ("cancel", "affinity_quiet_until"))

    def test_allowed_now_but_in_no_hour_ahead_goes_out_now(self):
        # "none" may be written to now (Tuesday 12:30 in Istanbul) but the learner found no hour ahead: it
        # goes out at once rather than being dropped.
        self.env["affinity.contact.window"].search([("partner_id", "=", self.none.id)]).unlink()
        mailing = self.mailing()
        with freeze_time(NOW), self.best_at(self.answers(self.channel_email)):
            with self.mock_mail_gateway(mail_unlink_sent=False):
                mailing.action_send_mail()
        self.assertEqual(self.traces(mailing)[self.none.id], ("sent", False, False))

    def test_without_the_option_nothing_waits(self):
        mailing = self.mailing()
        mailing.affinity_best_hour = False
        with freeze_time(NOW), self.best_at(self.answers(self.channel_email)):
            with self.mock_mail_gateway(mail_unlink_sent=False):
                mailing.action_send_mail()
        self.assertEqual(self.calls, [])
        self.assertFalse(any(trace[2] for trace in self.traces(mailing).values()))
        self.assertEqual(mailing.state, "done")

    def test_hours_out_of_range_are_refused(self):
        for hours in (0, 169, -5):
            with self.assertRaisesRegex(ValidationError, "Within the Next"):
                self.mailing(within=hours)

    def test_the_option_in_the_form(self):
        with Form(self.env["mailing.mailing"]) as form:
            form.subject = "Best hour"
            form.affinity_best_hour = True
            form.affinity_best_hour_within = 12
        self.assertEqual((form.record.affinity_best_hour, form.record.affinity_best_hour_within), (True, 12))


@tagged("post_install", "-at_install")
class TestBestHourQueries(MockEmail, ReachUseCase):
    """The real learner: the plan of a batch costs the same queries for one recipient as for many."""

    def plan_queries(self, count):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Q{count}-{i}", "email": f"q{count}-{i}@example.com", "tz": "Europe/Istanbul"}
                for i in range(count)
            ]
        )
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Q",
                "body_html": "<p>Q</p>",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", partners.ids)]),
                "affinity_best_hour": True,
                "affinity_best_hour_within": 6,
            }
        )
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        with freeze_time(NOW):
            hold, cancel = mailing._affinity_best_hour_plan(partners.ids, "email")
        self.assertEqual(
            len(hold) + len(cancel), count, "every recipient waits or is cancelled, none is lost"
        )
        return self.env.cr.sql_log_count - before

    def test_constant_queries(self):
        self.plan_queries(1)  # warm the caches
        self.assertEqual(self.plan_queries(1), self.plan_queries(12))


@tagged("post_install", "-at_install")
class TestFollowupAtBestMoment(ReachUseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["affinity.followup.rule"].search([]).active = False
        cls.mail_template = cls.env["mail.template"].create(
            {
                "name": "Hello",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "subject": "Hello",
                "body_html": "<p>Hello</p>",
            }
        )
        cls.sms_template = cls.env["sms.template"].create(
            {"name": "Hello", "model_id": cls.env["ir.model"]._get_id("res.partner"), "body": "Hello"}
        )
        cls.rule = cls.env["affinity.followup.rule"].create(
            {
                "name": "Check-in",
                "trigger": "partner_domain",
                "partner_domain": repr([("id", "=", cls.partner.id)]),
                "action": "best_channel",
                "mail_template_id": cls.mail_template.id,
                "sms_template_id": cls.sms_template.id,
                "purpose_id": cls.service.id,
                "send_hour": 9.0,
            }
        )
        cls.partner.write({"affinity_owner_id": cls.user_affinity.id, "lang": "en_US"})

    def plan(self, answers):
        with freeze_time("2026-06-02 03:00:00"), self.best_at(answers):
            self.rule._plan(datetime.date(2026, 6, 2))
        return self.env["affinity.followup"].search([("rule_id", "=", self.rule.id)])

    def test_goes_out_at_the_best_moment_over_the_best_channel(self):
        # Learned: Tuesday 19:00 in Istanbul (16:00 UTC), by SMS, though e-mail comes first in the default order.
        followup = self.plan(
            {self.partner: moment(datetime.datetime(2026, 6, 2, 16, 0), self.channel_sms, 0.78)}
        )
        # The question was about the due day in the person's own time zone (Istanbul, UTC+3), from now on.
        partners, codes, start, end = self.calls[0]
        self.assertEqual(partners, {self.partner.id})
        self.assertEqual(set(codes), {"email", "sms", "phone"})
        self.assertEqual(
            (start, end), (datetime.datetime(2026, 6, 2, 3, 0), datetime.datetime(2026, 6, 2, 21, 0))
        )
        self.assertEqual(followup.due_datetime, datetime.datetime(2026, 6, 2, 16, 0))
        self.assertEqual((followup.best_channel_id, round(followup.best_propensity)), (self.channel_sms, 78))
        with freeze_time("2026-06-02 15:59:00"):
            self.env["affinity.followup"]._cron_dispatch()
        self.assertEqual(followup.state, "planned", "not before its moment")
        with freeze_time("2026-06-02 16:00:00"):
            self.env["affinity.followup"]._cron_dispatch()
            self.env["affinity.followup"]._cron_dispatch()
        self.assertEqual((followup.state, followup.channel_id), ("sent", self.channel_sms))
        self.assertEqual(
            len(self.env["sms.sms"].search([("partner_id", "=", self.partner.id)])), 1, "exactly once"
        )

    def test_nothing_learned_keeps_the_rules_hour(self):
        followup = self.plan(
            {self.partner: moment(datetime.datetime(2026, 6, 2, 4, 0), self.channel_sms, learned=False)}
        )
        # 09:00 in Istanbul is 06:00 UTC: the rule's hour, and the customer's own channel order.
        self.assertEqual(followup.due_datetime, datetime.datetime(2026, 6, 2, 6, 0))
        self.assertFalse(followup.best_channel_id)
        self.assertIn("Nothing learned", followup.best_reason)
        with freeze_time("2026-06-02 06:00:00"):
            self.env["affinity.followup"]._cron_dispatch()
        self.assertEqual(followup.channel_id, self.channel_email)

    def test_a_call_task_shows_the_best_moment(self):
        self.user_affinity.tz = "Europe/Istanbul"
        self.rule.write(
            {"action": "activity", "activity_type_id": self.env.ref("mail.mail_activity_data_call").id}
        )
        followup = self.plan({self.partner: moment(datetime.datetime(2026, 6, 2, 16, 0), self.channel_phone)})
        self.assertEqual(self.calls[0][1], ("phone",))
        # A task is handed over at the start of the day (00:00 in Istanbul), and says when to call.
        self.assertEqual(followup.due_datetime, datetime.datetime(2026, 6, 1, 21, 0))
        self.assertEqual(followup.best_moment, datetime.datetime(2026, 6, 2, 16, 0))
        with freeze_time("2026-06-02 03:00:00"):
            self.env["affinity.followup"]._cron_dispatch()
        self.assertEqual(followup.state, "sent")
        self.assertIn("Best reached at 19:00 by Phone call: learned by hand", str(followup.activity_id.note))

    def test_no_allowed_moment_keeps_the_decisions_way(self):
        followup = self.plan({})
        self.assertEqual(followup.due_datetime, datetime.datetime(2026, 6, 2, 6, 0))
        self.assertFalse(followup.best_moment)


@tagged("post_install", "-at_install")
class TestCallNow(ReachUseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        seller = cls.user_scoped
        cls.likely, cls.unknown, cls.dnc, cls.foreign, cls.later = (
            Partner.create(
                {
                    "name": name,
                    "phone": f"+90 212 300 00 0{i}",
                    "tz": "Europe/Istanbul",
                    "affinity_owner_id": seller.id,
                    "affinity_cadence_days": 30,
                    "affinity_last_interaction": datetime.datetime(2026, 4, 1),
                }
            )
            for i, name in enumerate(("Likely", "Unknown", "Do not call", "Foreign", "Later"))
        )
        cls.dnc.affinity_do_not_contact = True
        # Someone else's customer, with a phone task for our salesperson: out of her scope.
        cls.foreign.write({"affinity_owner_id": cls.user_affinity.id, "affinity_cadence_days": 0})
        # Not due before next month.
        cls.later.affinity_last_interaction = datetime.datetime(2026, 6, 1)

    def propensities(self, values):
        def propensity_now(model, partners, channel, when):
            self.asked = (set(partners.ids), channel.code, when)
            return {p.id: value for p, value in values.items() if p.id in partners.ids}

        return patch.object(self.Reach, "_propensity_now", propensity_now)

    def test_ranked_by_the_chance_of_an_answer_this_hour(self):
        values = {self.likely: (0.7, 10, 7, True), self.unknown: (0.2, 0, 0, False)}
        with freeze_time(NOW), self.propensities(values):
            action = self.env["affinity.call.now"].with_user(self.user_scoped).action_open()
            lines = self.env["affinity.call.now"].with_user(self.user_scoped).search(action["domain"])
        # Due and allowed: Likely and Unknown; not the one who must not be called, nor the one due later.
        self.assertEqual(self.asked, ({self.likely.id, self.unknown.id}, "phone", NOW))
        self.assertEqual(lines.partner_id, self.likely | self.unknown)
        self.assertEqual(lines[0].partner_id, self.likely, "the likeliest first")
        self.assertEqual([round(line.propensity) for line in lines], [70, 20])
        self.assertIn("7 of 10", lines[0].reason)
        self.assertIn("Nothing learned", lines[1].reason)
        self.assertEqual(set(lines.mapped("due_kind")), {"cadence"})

    def test_a_phone_task_and_the_scope(self):
        activity_type = self.env["mail.activity.type"].search(
            [("affinity_channel_id", "=", self.channel_phone.id)], limit=1
        )
        self.foreign.activity_schedule(
            activity_type_id=activity_type.id, user_id=self.user_scoped.id, date_deadline=NOW.date()
        )
        self.likely.activity_schedule(
            activity_type_id=activity_type.id,
            summary="Ask about the order",
            user_id=self.user_scoped.id,
            date_deadline=NOW.date(),
        )
        with freeze_time(NOW), self.propensities({}):
            action = self.env["affinity.call.now"].with_user(self.user_scoped).action_open()
            lines = self.env["affinity.call.now"].with_user(self.user_scoped).search(action["domain"])
        by_partner = {line.partner_id: line for line in lines}
        self.assertNotIn(self.foreign, by_partner, "another salesperson's customer stays off her list")
        self.assertEqual(
            (by_partner[self.likely].due_kind, by_partner[self.likely].due_label),
            ("activity", "Ask about the order"),
        )

    def test_a_call_on_an_opportunity_is_a_call_to_its_customer(self):
        activity_type = self.env.ref("mail.mail_activity_data_call")
        later = self.later  # not due by cadence
        lead = self.env["crm.lead"].create(
            {"name": "Fleet renewal", "partner_id": later.id, "user_id": self.user_scoped.id}
        )
        lead.activity_schedule(
            activity_type_id=activity_type.id,
            summary="Call about the fleet",
            user_id=self.user_scoped.id,
            date_deadline=NOW.date(),
        )
        with freeze_time(NOW), self.propensities({}):
            action = self.env["affinity.call.now"].with_user(self.user_scoped).action_open()
            lines = self.env["affinity.call.now"].with_user(self.user_scoped).search(action["domain"])
        line = lines.filtered(lambda x: x.partner_id == later)
        self.assertEqual((line.due_kind, line.due_label), ("activity", "Call about the fleet"))

    def test_outside_the_window_is_not_called_now(self):
        self.env["affinity.contact.window"].create(
            {"partner_id": self.likely.id, "weekday": "1", "hour_from": 18.0, "hour_to": 21.0}
        )
        with freeze_time(NOW), self.propensities({}):
            action = self.env["affinity.call.now"].with_user(self.user_scoped).action_open()
            lines = self.env["affinity.call.now"].with_user(self.user_scoped).search(action["domain"])
        self.assertEqual(lines.partner_id, self.unknown)

    def test_constant_queries(self):
        def queries(count):
            self.env["res.partner"].create(
                [
                    {
                        "name": f"Due {count}-{i}",
                        "phone": f"+90 212 600 {count:02d} {i:02d}",
                        "affinity_owner_id": self.user_affinity.id,
                        "affinity_cadence_days": 7,
                        "affinity_last_interaction": datetime.datetime(2026, 5, 1),
                    }
                    for i in range(count)
                ]
            )
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            with freeze_time(NOW):
                lines = self.env["affinity.call.now"].with_user(self.user_affinity)._lines(NOW)
            self.assertEqual(len(lines), count)
            self.env["res.partner"].search([("name", "=like", f"Due {count}-%")]).affinity_cadence_days = 0
            return self.env.cr.sql_log_count - before

        queries(1)  # warm the caches
        self.assertEqual(queries(1), queries(9))

    def test_each_sees_only_their_own_list(self):
        with freeze_time(NOW), self.propensities({}):
            action = self.env["affinity.call.now"].with_user(self.user_scoped).action_open()
        lines = self.env["affinity.call.now"].browse(action["domain"][0][2])
        self.assertTrue(lines)
        self.assertFalse(self.env["affinity.call.now"].with_user(self.user_affinity).search([]))
        with self.assertRaises(AccessError):
            lines.with_user(self.user_affinity).read(["partner_id"])
        with self.assertRaises(AccessError):
            self.env["affinity.call.now"].with_user(self.user_plain).search([])


@tagged("post_install", "-at_install")
class TestLearnedEndToEnd(ReachUseCase):
    """The real learner, from evidence written by hand to the moment a message waits for and the list's order."""

    LEARNED_AT = datetime.datetime(2026, 6, 8, 12, 0)  # Monday noon UTC
    TUESDAYS = [datetime.datetime(2026, 6, 2) - datetime.timedelta(weeks=w) for w in range(9)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["affinity.reachability"]._forget()
        cls.partner._affinity_set_consent("sms", "marketing", "granted", source="paper")
        cls.evening = cls.partner  # Istanbul
        cls.morning = cls.env["res.partner"].create(
            {"name": "Morning person", "phone": "+90 212 400 00 01", "tz": "Europe/Istanbul"}
        )

    def test_an_sms_waits_for_the_hour_the_person_reads(self):
        # Nine SMS on Tuesdays at 19:10 in Istanbul (16:10 UTC), seven opened twenty minutes later.
        sms_answers(self.env, self.evening, [t.replace(hour=16, minute=10) for t in self.TUESDAYS], 7)
        with freeze_time(self.LEARNED_AT):
            self.env["affinity.reachability"]._learn()
        mailing = self.env["mailing.mailing"].create(
            {
                "subject": "Offers",
                "mailing_type": "sms",
                "body_plaintext": "Offers",
                "mailing_model_id": self.env.ref("base.model_res_partner").id,
                "mailing_domain": repr([("id", "=", self.evening.id)]),
                "affinity_best_hour": True,
                "affinity_best_hour_within": 48,
            }
        )
        with freeze_time(self.LEARNED_AT):
            mailing.action_send_sms()
        sms = self.env["sms.sms"].search([("mailing_id", "=", mailing.id)])
        # Tuesday 9 June, 19:00 in Istanbul = 16:00 UTC.
        self.assertEqual(
            (sms.state, sms.affinity_send_after), ("outgoing", datetime.datetime(2026, 6, 9, 16, 0))
        )
        self.assertEqual(mailing.mailing_trace_ids.affinity_send_after, datetime.datetime(2026, 6, 9, 16, 0))

    def test_call_now_ranks_the_one_who_answers_at_this_hour_first(self):
        rule = self.env["affinity.followup.rule"].search([], limit=1)
        seller = self.user_affinity
        (self.evening | self.morning).write(
            {
                "affinity_owner_id": seller.id,
                "affinity_cadence_days": 30,
                "affinity_last_interaction": datetime.datetime(2026, 4, 1),
            }
        )
        calls = []
        for week, tuesday in enumerate(self.TUESDAYS):
            # Evening calls (19:10 Istanbul): the evening person answers 7 of 9, the morning person none.
            for partner, answered in ((self.evening, week < 7), (self.morning, False)):
                calls.append(
                    {
                        "rule_id": rule.id,
                        "partner_id": partner.id,
                        "company_id": self.company.id,
                        "occurrence_date": tuesday.date(),
                        "due_date": tuesday.date(),
                        "state": "done",
                        "channel_id": self.channel_phone.id,
                        "outcome": "successful" if answered else "no_answer",
                    }
                )
        followups = self.env["affinity.followup"].create(calls)
        for followup in followups:
            followup.done_date = datetime.datetime.combine(followup.due_date, datetime.time(16, 10))
        with freeze_time(self.LEARNED_AT):
            self.env["affinity.reachability"]._learn()
        # Tuesday 9 June, 19:30 in Istanbul.
        with freeze_time("2026-06-09 16:30:00"):
            action = self.env["affinity.call.now"].with_user(seller).action_open()
            lines = self.env["affinity.call.now"].with_user(seller).search(action["domain"])
        self.assertEqual(lines.partner_id.ids, [self.evening.id, self.morning.id])
        self.assertGreater(lines[0].propensity, lines[1].propensity)
        # The counts behind the evening person's hour, recency-weighted (half-life 90 days) to the moment
        # of reading, by hand.
        read_at = datetime.datetime(2026, 6, 9, 16, 30)
        weights = [
            2 ** (-((read_at - t.replace(hour=16, minute=10)).total_seconds() / 86400) / 90)
            for t in self.TUESDAYS
        ]
        self.assertIn(f"Answered {round(sum(weights[:7]))} of {round(sum(weights))} calls", lines[0].reason)
        self.assertTrue(lines[0].learned)


@tagged("post_install", "-at_install")
class TestReachUseTours(HttpCase):
    def test_call_now_tour(self):
        seller = new_test_user(
            self.env,
            "tour_seller",
            groups="crm_affinity.group_affinity_user,crm_affinity.group_affinity_own_only,"
            "sales_team.group_sale_salesman",
            tz="Europe/Istanbul",
        )
        self.env.ref("base.user_admin").tour_enabled = False
        seller.tour_enabled = False
        Partner = self.env["res.partner"]
        due = {
            "tz": "Europe/Istanbul",
            "affinity_owner_id": seller.id,
            "affinity_cadence_days": 30,
            "affinity_last_interaction": datetime.datetime(2020, 1, 1),
        }
        evening = Partner.create(dict(due, name="Tour Evening Caller", phone="+90 212 500 00 01"))
        quiet = Partner.create(dict(due, name="Tour Quiet One", phone="+90 212 500 00 02"))
        Partner.create(
            dict(due, name="Tour Do Not Call", phone="+90 212 500 00 03", affinity_do_not_contact=True)
        )

        def propensity_now(model, partners, channel, when):
            chances = {evening.id: (0.8, 10, 8, True), quiet.id: (0.1, 0, 0, False)}
            return {pid: chance for pid, chance in chances.items() if pid in partners.ids}

        with patch.object(self.env.registry["affinity.reachability"], "_propensity_now", propensity_now):
            self.start_tour("/odoo", "crm_affinity_call_now_tour", login="tour_seller")

    def test_reach_strip_tour(self):
        """A partner's Communication tab, opened: the sentence and the strip of her permitted channel."""
        self.env.ref("base.user_admin").tour_enabled = False
        partner = self.env["res.partner"].create(
            {"name": "Tour Strip", "mobile": "+90 532 700 00 09", "tz": "Europe/Istanbul"}
        )
        self.env["affinity.contact.window"].create(
            {"partner_id": partner.id, "weekday": "1", "hour_from": 18.0, "hour_to": 22.0}
        )
        sms = self.env.ref("crm_affinity.affinity_channel_sms")
        # Learned by hand: Tuesdays 19:00-21:00 in her time, 7 answers of 9 contacts (5 + 4 seen, 4 + 3 read).
        rates, n, k = np.full(168, 0.1), np.zeros(168), np.zeros(168)
        rates[24 + 19 : 24 + 21] = 0.7
        n[24 + 19], n[24 + 20], k[24 + 19], k[24 + 20] = 5, 4, 4, 3

        def profiles(model, partners, channels, at):
            return {pid: zone("Europe/Istanbul") for pid in partners.ids}, {
                (partner.id, sms.id): (rates, n, k, True)
            }

        with patch.object(self.env.registry["affinity.reachability"], "_profiles", profiles):
            self.start_tour(f"/odoo/contacts/{partner.id}", "crm_affinity_reach_strip_tour", login="admin")

    def test_best_hour_mailing_tour(self):
        self.env.ref("base.user_admin").tour_enabled = False
        self.start_tour(
            "/odoo/action-mass_mailing.mailing_mailing_action_mail/new",
            "crm_affinity_best_hour_mailing_tour",
            login="admin",
        )
        mailing = self.env["mailing.mailing"].search([("subject", "=", "Tour best hour")])
        self.assertEqual((mailing.affinity_best_hour, mailing.affinity_best_hour_within), (True, 12))


@tagged("post_install", "-at_install")
class TestHeldMessagesAskAgain(MockEmail, ReachUseCase):
    """A consent withdrawn while a message waits for its hour stops it when the hour comes."""

    def test_withdrawn_while_waiting(self):
        self.partner._affinity_set_consent("email", "marketing", "granted", source="web_form")
        self.partner._affinity_set_consent("sms", "marketing", "granted", source="web_form")
        at = datetime.datetime(2026, 6, 2, 16, 0)
        for mailing_type, channel in (("mail", self.channel_email), ("sms", self.channel_sms)):
            with self.subTest(mailing_type=mailing_type):
                mailing = self.env["mailing.mailing"].create(
                    {
                        "subject": "Held",
                        "body_html": "<p>Held</p>",
                        "body_plaintext": "Held",
                        "mailing_type": mailing_type,
                        "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                        "mailing_domain": repr([("id", "=", self.partner.id)]),
                        "affinity_best_hour": True,
                    }
                )
                with freeze_time(NOW), self.best_at({self.partner: moment(at, channel)}):
                    with self.mock_mail_gateway(mail_unlink_sent=False):
                        # As the Send button does: in the queue, then sent by the mailings' cron.
                        mailing.action_launch()
                        self.env["mailing.mailing"]._process_mass_mailing_queue()
                self.assertEqual(mailing.mailing_trace_ids.trace_status, "outgoing")
                self.assertEqual(mailing.state, "sending")
                with freeze_time("2026-06-02 12:00:00"):
                    self.partner._affinity_set_consent(
                        channel.code, "marketing", "denied", source="call_centre"
                    )
                sent = self.sent_batches = []

                def send_batch(api, messages, delivery_reports_url=False):
                    self.sent_batches.append(messages)
                    return []

                with freeze_time("2026-06-02 16:00:00"), self.mock_mail_gateway(mail_unlink_sent=False):
                    with patch.object(SmsApi, "_send_sms_batch", send_batch):
                        self.env["mail.mail"].process_email_queue()
                        self.env["sms.sms"]._process_queue()
                        self.env["mailing.mailing"]._process_mass_mailing_queue()
                    self.assertFalse(self._mails)
                self.assertFalse(sent)
                trace = mailing.mailing_trace_ids
                self.assertEqual((trace.trace_status, trace.failure_type), ("cancel", "affinity_denied"))
                mailing.invalidate_recordset()
                self.assertEqual((mailing.expected, mailing.canceled, mailing.state), (1, 1, "done"))


@tagged("post_install", "-at_install")
class TestHeldMessagesAndTheBudget(MockEmail, ReachUseCase):
    """A message held for its person's best hour reserves its place in their contact budget at its moment;
    two held for one person and one hour go out only as far as the budget allows; a priority mailing waits
    for an allowed hour instead of being dropped; an opt-out while waiting stops the held message."""

    AT = datetime.datetime(2026, 6, 2, 16, 0)  # 19:00 in Istanbul

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner._affinity_set_consent("email", "marketing", "granted", source="web_form")
        cls.partner._affinity_set_consent("sms", "marketing", "granted", source="web_form")
        # One commercial message a day for this person, whatever the company says.
        cls.partner.affinity_pressure_day = 1

    def mailing(self, audience, mailing_type="mail", **values):
        return self.env["mailing.mailing"].create(
            {
                "subject": "Held",
                "body_html": "<p>Held</p>",
                "body_plaintext": "Held",
                "mailing_type": mailing_type,
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", audience.ids)]),
                "affinity_best_hour": True,
                **values,
            }
        )

    def hold(self, mailing, answers):
        with freeze_time(NOW), self.best_at(answers), self.mock_mail_gateway(mail_unlink_sent=False):
            if mailing.mailing_type == "sms":
                mailing.action_send_sms()
            else:
                mailing.action_send_mail()

    def release(self, at):
        sent = []

        def send_batch(api, messages, delivery_reports_url=False):
            numbers = [number for message in messages for number in message["numbers"]]
            sent.extend(number["number"] for number in numbers)
            return [{"uuid": number["uuid"], "state": "success"} for number in numbers]

        with freeze_time(at), self.mock_mail_gateway(mail_unlink_sent=False):
            with patch.object(SmsApi, "_send_sms_batch", send_batch):
                self.env["mail.mail"].process_email_queue()
                self.env["sms.sms"]._process_queue()
                self.env["mailing.mailing"]._process_mass_mailing_queue()
            sent += [mail["email_to"][0] for mail in self._mails]
        return sent

    def stats(self, mailing):
        mailing.invalidate_recordset()
        return mailing.expected, mailing.sent, mailing.canceled, mailing.scheduled

    def test_a_held_message_counts_at_its_moment(self):
        mailing = self.mailing(self.partner)
        self.hold(mailing, {self.partner: moment(self.AT, self.channel_email)})
        self.assertEqual(mailing.mailing_trace_ids.trace_status, "outgoing")
        decide = self.partner._affinity_contact_decision
        # Before its moment the held message is not yet a contact; from its moment on it fills the day's
        # budget of one until 24 hours after it.
        self.assertTrue(
            decide("email", "marketing", when=self.AT - datetime.timedelta(hours=1)).popitem()[1].allowed
        )
        decision = decide("email", "marketing", when=self.AT, check_window=False)[self.partner.id]
        self.assertEqual(
            (decision.allowed, decision.reason, decision.next_allowed),
            (False, "pressure", datetime.datetime(2026, 6, 3, 16, 0)),
        )
        # The partner page counts it too, once its moment has come.
        with freeze_time(self.AT):
            counts = self.env["affinity.contact.pressure"]._counts(self.partner, self.AT)
        self.assertEqual(counts[self.partner.id]["week"], {"mail": 1})
        # Sent, it is one contact, not two.
        self.assertEqual(self.release(self.AT), ['"Ayşe Yılmaz" <ayse@example.com>'])
        decision = decide("email", "marketing", when=self.AT + datetime.timedelta(hours=1))[self.partner.id]
        self.assertEqual(
            (decision.reason, decision.next_allowed), ("pressure", datetime.datetime(2026, 6, 3, 16, 0))
        )
        with freeze_time(self.AT + datetime.timedelta(hours=1)):
            counts = self.env["affinity.contact.pressure"]._counts(
                self.partner, self.AT + datetime.timedelta(hours=1)
            )
        self.assertEqual(counts[self.partner.id]["week"], {"mail": 1})

    def test_a_message_held_for_her_address_counts_too(self):
        # A mailing to mailing lists holds a message for a contact at her address: it is hers too.
        contact = self.env["mailing.contact"].create({"name": "Ayşe", "email": "ayse@example.com"})
        self.env["mailing.trace"].create(
            {
                "model": "mailing.contact",
                "res_id": contact.id,
                "email": "ayse@example.com",
                "trace_type": "mail",
                "trace_status": "outgoing",
                "affinity_send_after": self.AT,
            }
        )
        decision = self.partner._affinity_contact_decision(
            "email", "marketing", when=self.AT, check_window=False
        )
        self.assertEqual(
            (decision[self.partner.id].reason, decision[self.partner.id].next_allowed),
            ("pressure", datetime.datetime(2026, 6, 3, 16, 0)),
        )
        # A held SMS to another record has no address to know her by: it is not hers.
        other = self.partner_other
        other._affinity_set_consent("email", "marketing", "granted", source="web_form")
        other.affinity_pressure_day = 1
        self.env["mailing.trace"].create(
            {
                "model": "mailing.contact",
                "res_id": contact.id,
                "email": "john@example.com",
                "trace_type": "sms",
                "trace_status": "outgoing",
                "affinity_send_after": self.AT,
            }
        )
        decision = other._affinity_contact_decision("email", "marketing", when=self.AT, check_window=False)
        self.assertTrue(decision[other.id].allowed, decision[other.id])

    def test_two_held_for_one_hour_go_out_within_the_budget(self):
        # Two best-hour mailings, e-mail and SMS, hold the same person for the same hour (planned before the
        # budget of one a day was set); the queues release them together.
        self.partner.affinity_pressure_day = 0
        first = self.mailing(self.partner)
        second = self.mailing(self.partner, mailing_type="sms")
        self.hold(first, {self.partner: moment(self.AT, self.channel_email)})
        self.hold(second, {self.partner: moment(self.AT, self.channel_sms)})
        self.assertEqual((first | second).mailing_trace_ids.mapped("trace_status"), ["outgoing", "outgoing"])
        self.partner.affinity_pressure_day = 1
        # The e-mail queue runs first and finds the day's one contact reserved by the held SMS: the e-mail
        # is cancelled, the SMS goes. One message in all, never two.
        self.assertEqual(self.release(self.AT), ["+905321112233"])
        trace = first.mailing_trace_ids
        self.assertEqual((trace.trace_status, trace.failure_type), ("cancel", "affinity_pressure"))
        self.assertEqual(self.stats(first), (1, 0, 1, 0))
        self.assertEqual(self.stats(second), (1, 1, 0, 0))

    def test_two_held_in_one_batch_pass_only_within_the_budget(self):
        # Two e-mail mailings in the same queue batch: decided one after the other, the second one counts the
        # first one it let through.
        self.partner.affinity_pressure_day = 0
        first, second = self.mailing(self.partner), self.mailing(self.partner)
        for mailing in (first, second):
            self.hold(mailing, {self.partner: moment(self.AT, self.channel_email)})
        self.partner.affinity_pressure_day = 1
        self.assertEqual(self.release(self.AT), ['"Ayşe Yılmaz" <ayse@example.com>'])
        self.assertEqual(self.stats(first), (1, 1, 0, 0))
        self.assertEqual(self.stats(second), (1, 0, 1, 0))
        self.assertEqual(second.mailing_trace_ids.failure_type, "affinity_pressure")
        # With room for two a day, both go.
        self.partner.affinity_pressure_day = 2
        third, fourth = self.mailing(self.partner), self.mailing(self.partner)
        later = self.AT + datetime.timedelta(days=2)
        for mailing in (third, fourth):
            self.hold(mailing, {self.partner: moment(later, self.channel_email)})
        self.assertEqual(len(self.release(later)), 2)
        self.assertEqual(self.stats(third), (1, 1, 0, 0))
        self.assertEqual(self.stats(fourth), (1, 1, 0, 0))

    def test_a_later_mailing_finds_the_hour_taken(self):
        first = self.mailing(self.partner)
        self.hold(first, {self.partner: moment(self.AT, self.channel_email)})
        # Half an hour after its moment the held message has not left yet (the queue is late): the real
        # learner for a second mailing finds every hour of the next three taken (one a day) and now too, so
        # the message is not sent, for pressure.
        second = self.mailing(self.partner, affinity_best_hour_within=3)
        with (
            freeze_time(self.AT + datetime.timedelta(minutes=30)),
            self.mock_mail_gateway(mail_unlink_sent=False),
        ):
            second.action_send_mail()
        trace = second.mailing_trace_ids
        self.assertEqual((trace.trace_status, trace.failure_type), ("cancel", "affinity_pressure"))

    def test_a_priority_mailing_waits_for_an_allowed_hour(self):
        # Over her budget today (a message went out an hour ago), and only reachable on Tuesdays from 18:00 to
        # 20:00 in Istanbul (15:00-17:00 UTC): now (12:30) is outside her window.
        self.env["affinity.contact.window"].create(
            {"partner_id": self.partner.id, "weekday": "1", "hour_from": 18.0, "hour_to": 20.0}
        )
        earlier = self.mailing(self.partner, affinity_best_hour=False)
        with freeze_time(NOW - datetime.timedelta(hours=1)), self.mock_mail_gateway(mail_unlink_sent=False):
            earlier.action_send_mail()
        self.assertEqual(earlier.mailing_trace_ids.trace_status, "sent")
        mailing = self.mailing(self.partner, affinity_best_hour_within=12)
        mailing.sudo().affinity_priority = True
        with freeze_time(NOW), self.mock_mail_gateway(mail_unlink_sent=False):
            mailing.action_send_mail()
        trace = mailing.mailing_trace_ids
        self.assertEqual(trace.trace_status, "outgoing")
        self.assertIn(
            trace.affinity_send_after,
            (datetime.datetime(2026, 6, 2, 15, 0), datetime.datetime(2026, 6, 2, 16, 0)),
        )
        # The same mailing without priority: held back by the budget all day, so not sent, for pressure.
        plain = self.mailing(self.partner, affinity_best_hour_within=12)
        with freeze_time(NOW), self.mock_mail_gateway(mail_unlink_sent=False):
            plain.action_send_mail()
        self.assertEqual(plain.mailing_trace_ids.failure_type, "affinity_pressure")

    def test_an_opt_out_while_waiting_cancels_at_release(self):
        """Odoo's unsubscribe (its blacklist, as its unsubscribe page writes it) and the preference centre stop
        a held message when its hour comes; the statistics add up all along."""
        Partner = self.env["res.partner"]
        unsubscribing, withdrawing, staying, denied = (
            Partner.create({"name": name, "email": f"{name}@example.com", "tz": "Europe/Istanbul"})
            for name in ("unsub", "withdraw", "stay", "denied")
        )
        denied._affinity_set_consent("email", "marketing", "denied", source="call_centre")
        audience = unsubscribing | withdrawing | staying | denied
        mailing = self.mailing(audience)
        self.hold(mailing, {p: moment(self.AT, self.channel_email) for p in audience})
        # Four recipients: three wait, one is cancelled at once.
        self.assertEqual(self.stats(mailing), (4, 0, 1, 3))
        with freeze_time("2026-06-02 12:00:00"):
            self.env["mail.blacklist"].sudo()._add("unsub@example.com")
            self.env["affinity.preference.centre"].sudo()._apply(
                withdrawing, set(), False, {"ip_address": "127.0.0.1", "user_agent": "test"}
            )
        # Still waiting until their hour: the opt-outs are honoured when it comes.
        self.assertEqual(self.stats(mailing), (4, 0, 1, 3))
        self.assertEqual(self.release(self.AT), ['"stay" <stay@example.com>'])
        traces = {t.res_id: (t.trace_status, t.failure_type) for t in mailing.mailing_trace_ids}
        # Odoo's blacklist entry becomes the marketing consent's denial (its source: Odoo blacklist).
        self.assertEqual(traces[unsubscribing.id], ("cancel", "affinity_denied"))
        self.assertEqual(traces[withdrawing.id], ("cancel", "affinity_denied"))
        # 1 sent + 3 cancelled + 0 waiting = 4 expected.
        self.assertEqual(self.stats(mailing), (4, 1, 3, 0))
        self.assertEqual(mailing.state, "done")


@tagged("post_install", "-at_install")
class TestReachOnTheCommunicationTab(ReachUseCase):
    """The Communication tab shows, when opened, the sentence and a compact 7 × 24 strip per permitted
    channel, hours outside the contact windows greyed."""

    def lines(self, partner):
        with freeze_time(NOW):
            return {
                line["name"]: line
                for line in partner.with_user(self.user_affinity).affinity_summary_lines("communication")
            }

    def test_strip_per_permitted_channel(self):
        # An e-mail address only: e-mail is the one channel the person can be reached on.
        partner = self.env["res.partner"].create(
            {"name": "Strip", "email": "strip@example.com", "tz": "Europe/Istanbul"}
        )
        # Mondays 09:00-11:00 in her own time: 2 open hours of the week's 168, the other 166 greyed.
        self.env["affinity.contact.window"].create(
            {"partner_id": partner.id, "weekday": "0", "hour_from": 9.0, "hour_to": 11.0}
        )
        lines = self.lines(partner)
        self.assertEqual(lines["affinity_reach_summary"]["label"], "Best Reached")
        self.assertIn("E-mail", lines["affinity_reach_summary"]["value"])
        strip = lines["affinity_reach_strip"]
        self.assertEqual((strip["label"], strip["html"]), ("Reachability by Hour", True))
        html = strip["value"]
        self.assertIn("o_affinity_reach_strip_compact", html)
        self.assertEqual((html.count("<tr>"), html.count("<td ")), (7, 7 * 24))
        self.assertEqual(html.count("repeating-linear-gradient"), 168 - 2)
        self.assertIn("E-mail · Mon", html)
        self.assertNotIn("SMS", html)
        # Do not contact: no channel left, no strip, and the sentence says why.
        partner.affinity_do_not_contact = True
        lines = self.lines(partner)
        self.assertEqual(
            lines["affinity_reach_summary"]["value"], "No permitted channel to learn an hour for."
        )
        self.assertEqual(
            (lines["affinity_reach_strip"]["value"], lines["affinity_reach_strip"]["html"]), ("", False)
        )

    def test_a_withdrawn_channel_leaves_the_strip(self):
        partner = self.env["res.partner"].create(
            {
                "name": "Two",
                "email": "two@example.com",
                "mobile": "+90 532 700 00 01",
                "tz": "Europe/Istanbul",
            }
        )
        before = self.lines(partner)["affinity_reach_strip"]["value"]
        self.assertIn("SMS · Mon", before)
        for purpose in self.env["affinity.purpose"].search([]):
            partner._affinity_set_consent("sms", purpose.code, "denied", source="call_centre")
        after = self.lines(partner)["affinity_reach_strip"]["value"]
        self.assertNotIn("SMS · Mon", after)
        self.assertIn("E-mail · Mon", after)
        self.assertEqual(after.count("<tr>"), before.count("<tr>") - 7)
