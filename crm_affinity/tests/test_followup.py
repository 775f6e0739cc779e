import datetime
import random
import threading

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import TURKISH_HALF_DAYS_2026, TURKISH_HOLIDAYS_2026, AffinityCase


class FollowupCase(AffinityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["affinity.followup.rule"]
        cls.Followup = cls.env["affinity.followup"]
        # Only the rules a test creates or names take part.
        cls.Rule.search([]).active = False
        cls.birthday_rule = cls.env.ref("crm_affinity.followup_rule_birthday_greeting")
        cls.reminder_rule = cls.env.ref("crm_affinity.followup_rule_birthday_reminder")
        cls.partner.write({"affinity_owner_id": cls.user_affinity.id, "lang": "en_US"})

    def birthday(self, partner, day, month, year=False):
        return self.env["affinity.date"].create(
            {
                "partner_id": partner.id,
                "kind_id": self.kind_birthday.id,
                "day": day,
                "month": str(month),
                "year": year,
            }
        )

    def plan(self, rules, today):
        with freeze_time(today):
            self.env["affinity.date"].search([])._compute_next_date()
            return rules.with_context(active_test=False)._plan(datetime.date.fromisoformat(today))

    def followups(self, rule, partner=None):
        domain = [("rule_id", "=", rule.id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.Followup.search(domain)


@tagged("post_install", "-at_install")
class TestPlanner(FollowupCase):
    def test_birthday_greeting_and_reminder(self):
        self.birthday(self.partner, 15, 1, 1980)
        rules = self.birthday_rule | self.reminder_rule
        self.plan(rules, "2027-01-05")
        greeting = self.followups(self.birthday_rule)
        reminder = self.followups(self.reminder_rule)
        # Planned a week ahead: the reminder (12 January) is, the greeting (15th) not yet.
        self.assertFalse(greeting)
        self.assertEqual(
            (reminder.occurrence_date, reminder.due_date),
            (datetime.date(2027, 1, 15), datetime.date(2027, 1, 12)),
        )
        self.assertEqual(reminder.user_id, self.user_affinity)
        self.plan(rules, "2027-01-10")
        greeting = self.followups(self.birthday_rule)
        self.assertEqual(greeting.due_date, datetime.date(2027, 1, 15))
        # 09:00 in Istanbul is 06:00 UTC.
        self.assertEqual(greeting.due_datetime, datetime.datetime(2027, 1, 15, 6, 0))
        self.assertEqual(len(self.followups(self.reminder_rule)), 1, "re-planning adds nothing")

    def test_across_the_year_end(self):
        self.birthday(self.partner, 2, 1)
        self.plan(self.reminder_rule, "2026-12-28")
        reminder = self.followups(self.reminder_rule)
        self.assertEqual(
            (reminder.occurrence_date, reminder.due_date),
            (datetime.date(2027, 1, 2), datetime.date(2026, 12, 30)),
        )

    def test_customer_without_owner_goes_to_a_person(self):
        orphan = self.Partner.create({"name": "Nobody's customer", "tz": "UTC"})
        self.birthday(orphan, 15, 1)
        self.plan(self.reminder_rule, "2027-01-10")
        self.assertEqual(self.followups(self.reminder_rule, orphan).user_id, self.env.ref("base.user_admin"))

    def test_29_february(self):
        self.birthday(self.partner, 29, 2, 1996)
        self.plan(self.birthday_rule, "2027-02-25")
        self.assertEqual(self.followups(self.birthday_rule).due_date, datetime.date(2027, 2, 28))
        self.plan(self.birthday_rule, "2028-02-25")
        self.assertEqual(
            self.followups(self.birthday_rule).mapped("due_date"),
            [datetime.date(2027, 2, 28), datetime.date(2028, 2, 29)],
        )

    def test_month_end_offset_and_missed_days(self):
        rule = self.Rule.create(
            {
                "name": "Day after",
                "trigger": "important_date",
                "date_kind_id": self.kind_wedding.id,
                "offset_days": 1,
                "action": "activity",
            }
        )
        self.env["affinity.date"].create(
            {"partner_id": self.partner.id, "kind_id": self.kind_wedding.id, "day": 31, "month": "1"}
        )
        self.plan(rule, "2027-01-26")
        self.assertEqual(self.followups(rule).due_date, datetime.date(2027, 2, 1))
        # A planner that did not run for days still catches up within its grace period.
        other = self.Partner.create({"name": "Late", "tz": "UTC"})
        self.env["affinity.date"].create(
            {"partner_id": other.id, "kind_id": self.kind_wedding.id, "day": 20, "month": "1"}
        )
        self.plan(rule, "2027-01-20")
        self.assertEqual(self.followups(rule, other).due_date, datetime.date(2027, 1, 21))

    def test_partner_filter(self):
        rule = self.Rule.create(
            {
                "name": "Istanbul only",
                "trigger": "important_date",
                "date_kind_id": self.kind_birthday.id,
                "action": "activity",
                "partner_domain": "[('city', '=', 'İstanbul')]",
            }
        )
        self.birthday(self.partner, 10, 3)
        self.birthday(self.partner_other, 10, 3)
        self.plan(rule, "2027-03-08")
        self.assertEqual(self.followups(rule).partner_id, self.partner)
        with self.assertRaises(ValidationError):
            rule.partner_domain = "[('no_such_field', '=', 1)]"

    def test_cadence_overdue(self):
        rule = self.env.ref("crm_affinity.followup_rule_cadence_call")
        self.partner.write(
            {"affinity_cadence_days": 30, "affinity_last_interaction": datetime.datetime(2027, 1, 1, 10, 0)}
        )
        self.plan(rule, "2027-01-20")
        self.assertFalse(self.followups(rule), "due 31 January: beyond the week ahead")
        self.plan(rule, "2027-02-05")
        followup = self.followups(rule)
        self.assertEqual(followup.occurrence_date, datetime.date(2027, 1, 31))
        self.assertEqual(followup.action, "activity")
        self.plan(rule, "2027-02-06")
        self.assertEqual(len(self.followups(rule)), 1)

    def test_sale_confirmed_first_purchase_and_won(self):
        product = self.env["product.product"].create({"name": "Cezve", "list_price": 20, "type": "consu"})
        confirmed = self.Rule.create(
            {"name": "Thanks", "trigger": "sale_confirmed", "offset_days": 2, "action": "activity"}
        )
        welcome = self.Rule.create({"name": "Welcome", "trigger": "first_purchase", "action": "activity"})
        won = self.Rule.create(
            {"name": "Won", "trigger": "opportunity_won", "offset_days": 1, "action": "activity"}
        )
        for day in ("2027-03-01 10:00:00", "2027-03-05 10:00:00"):
            with freeze_time(day):
                order = self.env["sale.order"].create(
                    {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
                )
                order.action_confirm()
                order.date_order = day
        lead = self.env["crm.lead"].create(
            {"name": "Deal", "partner_id": self.partner.id, "type": "opportunity"}
        )
        with freeze_time("2027-03-05 12:00:00"):
            lead.action_set_won()
        self.plan(confirmed | welcome | won, "2027-03-07")
        self.assertEqual(
            self.followups(confirmed).mapped("due_date"),
            [datetime.date(2027, 3, 3), datetime.date(2027, 3, 7)],
        )
        self.assertEqual(self.followups(welcome).occurrence_date, datetime.date(2027, 3, 1))
        self.assertEqual(self.followups(won).due_date, datetime.date(2027, 3, 6))

    def test_lapsing_customer_own_interval(self):
        rule = self.env.ref("crm_affinity.followup_rule_winback")
        product = self.env["product.product"].create({"name": "Beans", "list_price": 28})
        for day in ("2027-01-01", "2027-01-31", "2027-03-02"):
            order = self.env["sale.order"].create(
                {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
            )
            order.action_confirm()
            order.date_order = f"{day} 10:00:00"
        self.partner._affinity_refresh_purchase_rhythm()
        # Every 30 days; lapsing after max(60 days, 1.5 × 30 days) = 60 days: 1 May.
        self.assertEqual(self.partner.affinity_order_interval, 30.0)
        self.assertEqual(self.partner.affinity_lapse_date, datetime.date(2027, 5, 1))
        self.plan(rule, "2027-04-20")
        self.assertFalse(self.followups(rule))
        self.plan(rule, "2027-04-26")
        self.assertEqual(self.followups(rule).occurrence_date, datetime.date(2027, 5, 1))

    def test_complaint_keep_informed(self):
        rule = self.env.ref("crm_affinity.followup_rule_complaint_update")
        with freeze_time("2027-05-01 08:00:00"):
            complaint = self.env["affinity.complaint"].create(
                {"name": "Broken cup", "partner_id": self.partner.id}
            )
        self.assertEqual(complaint.next_update_due, datetime.date(2027, 5, 4))
        self.plan(rule, "2027-05-04")
        followup = self.followups(rule)
        self.assertEqual(followup.source_ref, complaint)
        with freeze_time("2027-05-04 08:00:00"):
            followup._dispatch(now=datetime.datetime(2027, 5, 4, 8, 0))
        self.assertEqual(followup.state, "sent")
        self.assertEqual(complaint.last_update_sent, datetime.datetime(2027, 5, 4, 8, 0))
        self.assertEqual(complaint.next_update_due, datetime.date(2027, 5, 7))
        complaint.action_resolve()
        self.plan(rule, "2027-05-07")
        self.assertEqual(len(self.followups(rule)), 1, "a resolved complaint needs no more updates")

    def test_partner_filter_trigger_repeats_per_period(self):
        rule = self.Rule.create(
            {
                "name": "Monthly VIP call",
                "trigger": "partner_domain",
                "repeat_days": 30,
                "action": "activity",
                "partner_domain": "[('city', '=', 'İstanbul')]",
            }
        )
        self.plan(rule, "2027-02-01")
        self.plan(rule, "2027-02-10")
        self.assertEqual(len(self.followups(rule)), 1, "once per 30-day period")
        self.assertEqual(self.followups(rule).partner_id, self.partner)
        self.plan(rule, "2027-03-05")
        self.assertEqual(len(self.followups(rule)), 2)

    def test_lost_opportunity_and_fixed_lapse(self):
        lost_rule = self.Rule.create(
            {"name": "Ask why", "trigger": "opportunity_lost", "offset_days": 1, "action": "activity"}
        )
        lead = self.env["crm.lead"].create(
            {"name": "Lost deal", "partner_id": self.partner.id, "type": "opportunity"}
        )
        with freeze_time("2027-06-01 09:00:00"):
            lead.action_set_lost()
        self.plan(lost_rule, "2027-06-01")
        self.assertEqual(self.followups(lost_rule).due_date, datetime.date(2027, 6, 2))
        lapse_rule = self.Rule.create(
            {
                "name": "90 days",
                "trigger": "lapsing",
                "lapse_mode": "fixed",
                "lapse_days": 90,
                "action": "activity",
            }
        )
        product = self.env["product.product"].create({"name": "Tea", "list_price": 10})
        order = self.env["sale.order"].create(
            {"partner_id": self.partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
        )
        order.action_confirm()
        order.date_order = "2027-03-01 10:00:00"
        self.partner._affinity_refresh_purchase_rhythm()
        self.plan(lapse_rule, "2027-05-20")
        self.assertFalse(self.followups(lapse_rule))
        self.plan(lapse_rule, "2027-05-28")
        self.assertEqual(self.followups(lapse_rule).occurrence_date, datetime.date(2027, 5, 30))

    def test_rule_validation(self):
        with self.assertRaises(ValidationError):
            self.Rule.create({"name": "No kind", "trigger": "important_date", "action": "activity"})
        with self.assertRaises(ValidationError):
            self.Rule.create({"name": "No template", "trigger": "cadence", "action": "email"})
        with self.assertRaises(ValidationError):
            self.Rule.create(
                {"name": "Late hour", "trigger": "cadence", "action": "activity", "send_hour": 25}
            )

    # Each piece of nonsense issue #34 saw saved, the field it is in, and the words of the field's label as the
    # form shows it (written here by hand, not read from the model).
    NONSENSE = [
        ("offset far before", {"offset_days": -9999}, "Offset (days)"),
        ("offset far after", {"offset_days": 100000}, "Offset (days)"),
        ("negative wait", {"max_wait_days": -3}, "Wait at Most (days)"),
        ("blank name", {"name": "   "}, "Name"),
        ("activity without its type", {"activity_type_id": False}, "Activity Type"),
        ("lapse of no days", {"trigger": "lapsing", "lapse_mode": "fixed", "lapse_days": 0}, "Lapse Days"),
        ("negative repetition", {"trigger": "partner_domain", "repeat_days": -1}, "Repeat Days"),
        ("filter with a bare word", {"partner_domain": "[('city', '=', Izmir)]"}, "Customers"),
        ("filter that is no list", {"partner_domain": "city = Izmir"}, "Customers"),
        ("filter on no field", {"partner_domain": "[('shoe_size', '=', 42)]"}, "Customers"),
        ("filter with no operator", {"partner_domain": "[('city', 'equals', 'Izmir')]"}, "Customers"),
        ("filter leaf that is no condition", {"partner_domain": "[('city', 'Izmir')]"}, "Customers"),
    ]
    SENSIBLE = {"name": "Call", "trigger": "cadence", "action": "activity"}

    def assertRefusedInWords(self, message, label):
        self.assertIn(label, message)
        self.assertNotIn("object at 0x", message)
        self.assertNotIn("ast.", message)

    def test_rule_refuses_nonsense_on_create(self):
        for case, vals, label in self.NONSENSE:
            with self.subTest(case), self.assertRaises(ValidationError) as refused:
                self.Rule.create(dict(self.SENSIBLE, **vals))
            self.assertRefusedInWords(str(refused.exception), label)
        # The limits themselves are sensible: ten years either way, a year's wait, a one-day lapse.
        edge = self.Rule.create(
            [
                dict(self.SENSIBLE, offset_days=-3660, max_wait_days=0),
                dict(self.SENSIBLE, offset_days=3660, max_wait_days=366),
                dict(self.SENSIBLE, trigger="lapsing", lapse_mode="fixed", lapse_days=1),
                dict(
                    self.SENSIBLE,
                    partner_domain="['|', ('city', '=', 'İzmir'), ('parent_id.city', 'ilike', 'x')]",
                ),
            ]
        )
        self.assertEqual(len(edge), 4)
        # A new activity rule starts with a to-do, so leaving the type alone is never refused.
        self.assertEqual(edge[0].activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        for case, vals in (("before", {"offset_days": -3661}), ("after", {"offset_days": 3661})):
            with self.subTest(case), self.assertRaises(ValidationError):
                self.Rule.create(dict(self.SENSIBLE, **vals))
        with self.assertRaises(ValidationError):
            self.Rule.create(dict(self.SENSIBLE, max_wait_days=367))
        with self.assertRaises(ValidationError):
            edge[0].write({"offset_days": 100000})

    def test_rule_refuses_nonsense_in_the_form(self):
        for case, vals, label in self.NONSENSE:
            with self.subTest(case):
                form = Form(self.Rule)
                for name, value in self.SENSIBLE.items():
                    setattr(form, name, value)
                if case == "activity without its type":
                    # The form itself marks the type required for an activity rule.
                    form.activity_type_id = self.env["mail.activity.type"]
                    with self.assertRaises(AssertionError):
                        form.save()
                    continue
                for name, value in vals.items():
                    setattr(form, name, value)
                with self.assertRaises(ValidationError) as refused:
                    form.save()
                self.assertRefusedInWords(str(refused.exception), label)

    def test_rule_refusal_speaks_turkish(self):
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        Rule = self.Rule.with_context(lang="tr_TR")
        with self.assertRaises(ValidationError) as refused:
            Rule.create(dict(self.SENSIBLE, offset_days=100000))
        self.assertIn("Kaydırma (gün)", str(refused.exception))
        self.assertIn("-3660", str(refused.exception))
        self.assertNotIn("must lie", str(refused.exception))
        with self.assertRaises(ValidationError) as refused:
            Rule.create(dict(self.SENSIBLE, partner_domain="[('city', '=', Izmir)]"))
        self.assertIn("filtre", str(refused.exception))
        self.assertNotIn("object at", str(refused.exception))

    def test_planner_cost_follows_what_is_due(self):
        partners = self.Partner.create([{"name": f"N{i}"} for i in range(400)])
        self.env["affinity.date"].create(
            [{"partner_id": p.id, "kind_id": self.kind_birthday.id, "day": 1, "month": "6"} for p in partners]
        )
        self.birthday(self.partner, 10, 3)
        rule = self.birthday_rule.with_context(active_test=False)
        counts = {}
        for day in ("2027-03-08", "2027-09-08"):
            with freeze_time(day):
                self.env["affinity.date"].search([])._compute_next_date()
                self.env.flush_all()
                before = self.env.cr.sql_log_count
                rule._plan(datetime.date.fromisoformat(day))
                counts[day] = self.env.cr.sql_log_count - before
        self.assertEqual(len(self.followups(self.birthday_rule)), 1)
        # One statement plans the rule: 400 customers not due add no query, and a day with nothing due
        # costs no more than a day with one birthday; the one due asks the learned reachability once for its
        # best moment on the day (#31: a handful of queries per group of follow-ups, never per follow-up).
        self.assertLessEqual(counts["2027-09-08"], counts["2027-03-08"])
        self.assertLessEqual(counts["2027-03-08"], 22)


@tagged("post_install", "-at_install")
class TestDispatcher(FollowupCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner.affinity_channel_ids = [
            (0, 0, {"channel_id": cls.channel_email.id, "sequence": 1}),
            (0, 0, {"channel_id": cls.channel_sms.id, "sequence": 2}),
        ]
        cls.env.company.affinity_consent_mode = "opt_in"
        cls.env.company.affinity_relationship_commercial = True

    def planned_greeting(self):
        self.birthday(self.partner, 15, 1, 1980)
        self.plan(self.birthday_rule, "2027-01-10")
        return self.followups(self.birthday_rule)

    def test_best_channel_walk_email_denied_sms_granted(self):
        self.partner._affinity_set_consent("email", "marketing", "denied")
        self.partner._affinity_set_consent("sms", "marketing", "granted")
        followup = self.planned_greeting()
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 6, 0))
        self.assertEqual((followup.state, followup.channel_id), ("sent", self.channel_sms))
        sms = self.env["sms.sms"].search([("partner_id", "=", self.partner.id)])
        self.assertEqual(len(sms), 1)
        self.assertIn("Happy birthday, Ayşe Yılmaz", sms.body)
        self.assertEqual(followup.message_id.res_id, self.partner.id)
        # Dispatching again sends nothing more.
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 7, 0))
        self.assertEqual(len(self.env["sms.sms"].search([("partner_id", "=", self.partner.id)])), 1)

    def test_email_uses_the_form_of_address_and_language(self):
        self.partner.affinity_salutation = "Ayşe Hanım"
        self.partner._affinity_set_consent("email", "marketing", "granted")
        followup = self.planned_greeting()
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 6, 0))
        self.assertEqual(followup.channel_id, self.channel_email)
        self.assertIn("Ayşe Hanım", followup.message_id.subject)
        self.assertIn("Dear Ayşe Hanım", followup.message_id.body)

    def test_turkish_customer_is_greeted_in_turkish(self):
        self.env["res.lang"]._activate_lang("tr_TR")
        self.env["ir.module.module"]._load_module_terms(["crm_affinity"], ["tr_TR"], overwrite=True)
        self.partner.write({"lang": "tr_TR", "affinity_salutation": "Ayşe Hanım"})
        self.partner._affinity_set_consent("email", "marketing", "granted")
        followup = self.planned_greeting()
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 6, 0))
        self.assertEqual(followup.message_id.subject, "İyi ki doğdunuz, Ayşe Hanım!")
        self.assertIn("Sevgili Ayşe Hanım", followup.message_id.body)
        self.assertIn("Sağlık, mutluluk", followup.message_id.body)

    def test_outside_window_defers_to_next_window(self):
        self.partner._affinity_set_consent("email", "marketing", "granted")
        self.env["affinity.contact.window"].create(
            {"partner_id": self.partner.id, "weekday": "4", "hour_from": 12, "hour_to": 13}
        )  # 15 January 2027 is a Friday; 12:00 in Istanbul is 09:00 UTC
        followup = self.planned_greeting()
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 6, 0))
        self.assertEqual((followup.state, followup.reason), ("planned", "outside_window"))
        self.assertEqual(followup.due_datetime, datetime.datetime(2027, 1, 15, 9, 0))
        with freeze_time("2027-01-15 09:00:00"):
            self.env.ref("crm_affinity.ir_cron_affinity_followup_dispatch").method_direct_trigger()
        self.assertEqual(followup.state, "sent")

    def test_no_channel_allowed_skips_with_every_reason(self):
        self.partner._affinity_set_consent("email", "marketing", "denied")
        followup = self.planned_greeting()
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 6, 0))
        # Nothing permitted: no message and no task telling a person to reach her some other way.
        self.assertEqual(followup.state, "skipped")
        self.assertFalse(followup.activity_id)
        self.assertFalse(self.partner.activity_ids)
        self.assertIn("email:denied", followup.reason)
        self.assertIn("sms:not_asked_optin_mode", followup.reason)
        self.assertEqual(followup.reason_label, "E-mail: consent denied; SMS: not asked — opt-in mode")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.partner.id)]))

    def test_a_permitted_call_is_handed_to_a_person(self):
        self.partner.affinity_channel_ids = [(0, 0, {"channel_id": self.channel_phone.id, "sequence": 3})]
        self.partner.phone = "+90 212 555 00 11"
        self.partner._affinity_set_consent("email", "marketing", "denied")
        self.partner._affinity_set_consent("phone", "marketing", "granted")
        followup = self.planned_greeting()
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 6, 0))
        self.assertEqual((followup.state, followup.channel_id), ("sent", self.channel_phone))
        self.assertEqual(followup.activity_id.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(followup.activity_id.user_id, self.user_affinity)
        # Marking the activity done marks the follow-up done.
        followup.activity_id.action_feedback(feedback="Called her, she was delighted")
        self.assertEqual((followup.state, followup.outcome), ("done", "successful"))

    def test_single_channel_rule_skips_with_reason(self):
        rule = self.Rule.create(
            {
                "name": "Mail only",
                "trigger": "important_date",
                "date_kind_id": self.kind_birthday.id,
                "action": "email",
                "mail_template_id": self.env.ref("crm_affinity.mail_template_birthday").id,
            }
        )
        self.partner.affinity_do_not_contact = True
        self.birthday(self.partner, 15, 1)
        self.plan(rule, "2027-01-10")
        followup = self.followups(rule)
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 7, 0))
        self.assertEqual((followup.state, followup.reason), ("skipped", "do_not_contact"))

    def test_sms_rule(self):
        rule = self.Rule.create(
            {
                "name": "SMS greeting",
                "trigger": "important_date",
                "date_kind_id": self.kind_birthday.id,
                "action": "sms",
                "sms_template_id": self.env.ref("crm_affinity.sms_template_birthday").id,
            }
        )
        self.partner._affinity_set_consent("sms", "marketing", "granted")
        self.birthday(self.partner, 15, 1)
        self.plan(rule, "2027-01-10")
        followup = self.followups(rule)
        followup._dispatch(now=datetime.datetime(2027, 1, 15, 7, 0))
        self.assertEqual((followup.state, followup.channel_id), ("sent", self.channel_sms))
        self.assertEqual(
            self.env["sms.sms"].search([("partner_id", "=", self.partner.id)]).number, "+905321112233"
        )

    def test_crash_mid_batch_then_rerun_sends_each_once(self):
        partners = self.Partner.create(
            [{"name": f"C{i}", "email": f"c{i}@example.com", "tz": "UTC"} for i in range(6)]
        )
        partners._affinity_set_consent("email", "marketing", "granted")
        for partner in partners:
            self.birthday(partner, 15, 1)
        self.plan(self.birthday_rule, "2027-01-10")
        followups = self.followups(self.birthday_rule)
        self.assertEqual(len(followups), 6)
        with freeze_time("2027-01-15 10:00:00"):
            first, second = followups[:3], followups[3:]
            first._dispatch()
            # A crash while the second batch runs: its work is rolled back, the first batch stays.
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                second._dispatch()
                raise RuntimeError("worker killed")
            self.env.invalidate_all()
            self.env.ref("crm_affinity.ir_cron_affinity_followup_dispatch").method_direct_trigger()
            self.env.ref("crm_affinity.ir_cron_affinity_followup_plan").method_direct_trigger()
        self.assertEqual(set(followups.mapped("state")), {"sent"})
        messages = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "in", partners.ids), ("subject", "ilike", "birthday")]
        )
        self.assertEqual(len(messages), 6)
        self.assertEqual(len(self.followups(self.birthday_rule)), 6)

    def test_outcomes_feed_the_stats(self):
        for i in range(4):
            self.birthday(self.Partner.create({"name": f"S{i}", "tz": "UTC"}), 15, 1)
        self.plan(self.reminder_rule, "2027-01-10")
        followups = self.followups(self.reminder_rule)
        followups._dispatch(now=datetime.datetime(2027, 1, 12, 8, 0))
        with freeze_time("2027-01-13 10:00:00"):
            followups[0].action_mark_done()
            followups[1].action_set_outcome_no_answer()
            followups[2].action_set_outcome_unsuccessful()
            followups[3].action_mark_done()
        groups = self.Followup._read_group([("id", "in", followups.ids)], ["outcome"], ["__count"])
        self.assertEqual(dict(groups), {"successful": 2, "no_answer": 1, "unsuccessful": 1})
        [[rate]] = self.Followup._read_group([("id", "in", followups.ids)], [], ["success_rate:avg"])
        self.assertEqual(rate, 50.0)
        # The search filter "Done last week", used the following week, finds them all.
        arch = self.Followup.get_views([(False, "search")])["views"]["search"]["arch"]
        [saved] = etree.fromstring(arch).xpath("//filter[@name='done_last_week']")
        context = {"context_today": lambda: datetime.date(2027, 1, 19), "relativedelta": relativedelta}
        domain = safe_eval(saved.get("domain"), context)
        self.assertEqual(self.Followup.search([("id", "in", followups.ids), *domain]), followups)
        context["context_today"] = lambda: datetime.date(2027, 1, 26)
        self.assertFalse(
            self.Followup.search([("id", "in", followups.ids), *safe_eval(saved.get("domain"), context)])
        )

    def test_reschedule(self):
        self.birthday(self.partner, 15, 1)
        self.plan(self.reminder_rule, "2027-01-10")
        followup = self.followups(self.reminder_rule)
        followup.action_reschedule()
        self.assertEqual(
            (followup.due_date, followup.outcome, followup.state),
            (datetime.date(2027, 1, 19), "rescheduled", "planned"),
        )


@tagged("post_install", "-at_install")
class TestWorkingDays(FollowupCase):
    """Tasks go on their person's working days: the working calendar in Odoo (the person's own, else the
    company's) with Turkey's public holidays, which a Turkish company keeps without entering them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"country_id": cls.env.ref("base.tr").id, "affinity_consent_mode": "opt_out"})
        cls.company.resource_calendar_id.tz = "Europe/Istanbul"
        cls.partner.company_id = cls.company

    def rule(self, purpose, activity_type):
        return self.Rule.create(
            {
                "name": "Call",
                "trigger": "partner_domain",
                "action": "activity",
                "purpose_id": self.env.ref(f"crm_affinity.affinity_purpose_{purpose}").id,
                "activity_type_id": self.env.ref(activity_type).id,
            }
        )

    def tasks(self, rule, due, user, partners=None):
        partners = partners or self.Partner.create([{"name": f"Customer {i}", "tz": "UTC"} for i in range(3)])
        return self.Followup.create(
            [
                {
                    "rule_id": rule.id,
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "occurrence_date": due,
                    "due_date": due,
                    "due_datetime": datetime.datetime.combine(due, datetime.time()),
                    "user_id": user.id,
                }
                for partner in partners
            ]
        )

    def test_commercial_call_on_a_holiday_waits(self):
        """A marketing call due on Republic Day (Thursday 29 October 2026) waits for Friday 30, as the
        rule's Wait at Most says; with no wait allowed it is skipped."""
        rule = self.rule("marketing", "mail.mail_activity_data_call")
        self.partner.phone = "+90 212 555 00 11"
        self.partner._affinity_set_consent("phone", "marketing", "granted", source="paper")
        call = self.tasks(rule, datetime.date(2026, 10, 29), self.user_affinity, self.partner)
        call._dispatch(now=datetime.datetime(2026, 10, 29, 7, 0))
        self.assertEqual(
            (call.state, call.reason, call.due_datetime),
            ("planned", "quiet_day", datetime.datetime(2026, 10, 30)),
        )
        call._dispatch(now=datetime.datetime(2026, 10, 30, 7, 0))
        self.assertEqual((call.state, call.channel_id), ("sent", self.channel_phone))
        self.assertEqual(call.activity_id.date_deadline, datetime.date(2026, 10, 30))
        rule.max_wait_days = 0
        late = self.tasks(rule, datetime.date(2026, 10, 29), self.user_affinity, self.partner_other)
        self.partner_other.write({"company_id": self.company.id, "phone": "+90 212 555 00 22"})
        self.partner_other._affinity_set_consent("phone", "marketing", "granted", source="paper")
        late._dispatch(now=datetime.datetime(2026, 10, 29, 7, 0))
        self.assertEqual((late.state, late.reason), ("skipped", "quiet_day"))

    def test_no_task_on_a_sunday_or_a_holiday(self):
        """Tasks due on Sunday 6 December 2026 go to Monday 7; those due on Republic Day to Friday 30."""
        rule = self.rule("service", "mail.mail_activity_data_todo")
        sunday = self.tasks(rule, datetime.date(2026, 12, 6), self.user_affinity)
        sunday._dispatch(now=datetime.datetime(2026, 12, 6, 9, 0))
        self.assertEqual(set(sunday.mapped("state")), {"planned"})
        self.assertEqual(set(sunday.mapped("due_datetime")), {datetime.datetime(2026, 12, 7, 6, 0)})
        self.assertFalse(sunday.activity_id)
        sunday._dispatch(now=datetime.datetime(2026, 12, 7, 6, 0))
        self.assertEqual(set(sunday.mapped("state")), {"sent"})
        self.assertEqual(set(sunday.activity_id.mapped("date_deadline")), {datetime.date(2026, 12, 7)})
        holiday = self.tasks(rule, datetime.date(2026, 10, 29), self.user_affinity)
        holiday._dispatch(now=datetime.datetime(2026, 10, 29, 9, 0))
        self.assertEqual(set(holiday.mapped("due_datetime")), {datetime.datetime(2026, 10, 30, 6, 0)})
        # Handed over the day before (Istanbul's Thursday begins at 21:00 UTC on Wednesday): due on Friday.
        early = self.tasks(rule, datetime.date(2026, 10, 29), self.user_affinity)
        early._dispatch(now=datetime.datetime(2026, 10, 28, 21, 0))
        self.assertEqual(set(early.activity_id.mapped("date_deadline")), {datetime.date(2026, 10, 30)})

    def test_the_persons_own_calendar_and_time_off(self):
        """A person working Tuesday to Saturday: Monday's tasks wait for Tuesday, Saturday's are handed
        over; a day of her own time off is skipped too."""
        calendar = self.env["resource.calendar"].create(
            {
                "name": "Tuesday to Saturday",
                "tz": "Europe/Istanbul",
                "attendance_ids": [
                    (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 9, "hour_to": 18})
                    for day in range(1, 6)
                ],
            }
        )
        resource = self.env["resource.resource"].create(
            {
                "name": "Aff user",
                "user_id": self.user_affinity.id,
                "calendar_id": calendar.id,
                "company_id": self.company.id,
            }
        )
        rule = self.rule("service", "mail.mail_activity_data_todo")
        monday = self.tasks(rule, datetime.date(2026, 12, 7), self.user_affinity)
        monday._dispatch(now=datetime.datetime(2026, 12, 7, 9, 0))
        self.assertEqual(set(monday.mapped("due_datetime")), {datetime.datetime(2026, 12, 8, 6, 0)})
        saturday = self.tasks(rule, datetime.date(2026, 12, 12), self.user_affinity)
        saturday._dispatch(now=datetime.datetime(2026, 12, 12, 9, 0))
        self.assertEqual(set(saturday.mapped("state")), {"sent"})
        # Her time off on Tuesday 15 December (09:00-18:00 in Istanbul): Monday's tasks go to Wednesday.
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Time off",
                "resource_id": resource.id,
                "calendar_id": calendar.id,
                "date_from": datetime.datetime(2026, 12, 15, 6, 0),
                "date_to": datetime.datetime(2026, 12, 15, 15, 0),
            }
        )
        later = self.tasks(rule, datetime.date(2026, 12, 14), self.user_affinity)
        later._dispatch(now=datetime.datetime(2026, 12, 14, 9, 0))
        self.assertEqual(set(later.mapped("due_datetime")), {datetime.datetime(2026, 12, 16, 6, 0)})
        # Someone without a calendar of her own keeps the company's: Monday is a working day.
        others = self.tasks(rule, datetime.date(2026, 12, 14), self.user_manager)
        others._dispatch(now=datetime.datetime(2026, 12, 14, 9, 0))
        self.assertEqual(set(others.mapped("state")), {"sent"})

    def test_random_commercial_tasks_due_next_to_holidays(self):
        """Marketing calls and visits due around Turkey's public holidays of 2026 (written by hand in
        ``common.py``), a bridge day the company adds and customers' own quiet times, with random *Wait at
        Most (days)*, run through the dispatcher as its cron would, against an oracle from the texts:

        - a commercial task waits on the customer's quiet days (their *No Commercial Contact Until*, "not
          before the day after", and the public holidays);
        - *Wait at Most*: "A follow-up held back by the contact budget or a quiet day waits for the next
          free moment, but no longer than this many days after it was due; then it is skipped with the
          reason";
        - a task is handed to its person on their working days only (the company's calendar, Monday to
          Friday, without public holidays): its next free moment is the first day that is both;
        - a task not held back (due on an ordinary weekend) waits for its person's next working day as a
          fair day's work, which Wait at Most does not bound."""
        rng = random.Random(33)
        wait_help = self.Rule._fields["max_wait_days"].help
        self.assertIn("no longer than this many days after it was due", wait_help)
        self.assertIn("skipped with the reason", wait_help)
        self.assertIn("0: no cap", self.env["res.company"]._fields["affinity_tasks_per_day"].help)
        self.company.write(
            {
                "affinity_tasks_per_day": 0,
                "affinity_pressure_day": 0,
                "affinity_pressure_week": 0,
                "affinity_pressure_month": 0,
            }
        )
        bridge = datetime.date(2026, 5, 18)
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Köprü izni",
                "calendar_id": self.company.resource_calendar_id.id,
                "date_from": datetime.datetime(2026, 5, 17, 21, 0),
                "date_to": datetime.datetime(2026, 5, 18, 20, 59, 59),
            }
        )
        holidays = set(TURKISH_HOLIDAYS_2026) | {bridge}
        day = datetime.timedelta(days=1)
        activity_types = {"phone": "mail.mail_activity_data_call", "visit": "mail.mail_activity_data_meeting"}
        rules = {}
        for code, activity_type in activity_types.items():
            for wait in range(6):
                rule = rules[code, wait] = self.rule("marketing", activity_type)
                rule.max_wait_days = wait
        count = 120
        partners = self.Partner.create(
            [
                {
                    "name": f"Customer {i}",
                    "phone": f"+90 212 555 {i // 100:02d} {i % 100:02d}",
                    "street": f"Bağdat Cd. {i}",
                    "city": "İstanbul",
                    "company_id": self.company.id,
                    "tz": "Europe/Istanbul",
                }
                for i in range(count)
            ]
        )
        anchors = sorted(holidays | TURKISH_HALF_DAYS_2026)
        cases, values = [], []
        for partner in partners:
            code, wait = rng.choice(list(activity_types)), rng.randint(0, 5)
            due = rng.choice(anchors) + rng.randint(-2, 2) * day
            quiet_until = due + rng.randint(-1, 3) * day if rng.random() < 0.2 else None
            if quiet_until:
                partner.affinity_quiet_until = quiet_until
            cases.append((partner, code, wait, due, quiet_until))
            values.append(
                {
                    "rule_id": rules[code, wait].id,
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "occurrence_date": due,
                    "due_date": due,
                    # The planner's moment: the rule's send hour (09:00) in the customer's time zone.
                    "due_datetime": datetime.datetime.combine(due, datetime.time(6, 0)),
                    "user_id": self.user_affinity.id,
                }
            )
        followups = self.Followup.create(values)
        # The dispatch cron, moment by moment: whatever is planned and due then.
        for _step in range(100):
            planned = followups.filtered(lambda f: f.state == "planned")
            if not planned:
                break
            now = min(planned.mapped("due_datetime"))
            planned.filtered(lambda f, now=now: f.due_datetime <= now)._dispatch(now=now)
        self.assertFalse(followups.filtered(lambda f: f.state == "planned"), "every task settled")

        def held(quiet_until, date):
            return bool(quiet_until and date <= quiet_until) or date in holidays

        def working(date):
            return date.weekday() < 5 and date not in holidays

        covered = set()
        for followup, (partner, code, wait, due, quiet_until) in zip(followups, cases, strict=True):
            date = due
            while held(quiet_until, date) or not working(date):
                date += day
            with self.subTest(
                partner=partner.name, due=due, wait=wait, quiet_until=quiet_until, channel=code
            ):
                if held(quiet_until, due) and date > due + wait * day:
                    reason = "quiet_until" if quiet_until and due <= quiet_until else "quiet_day"
                    self.assertEqual((followup.state, followup.reason), ("skipped", reason))
                    self.assertFalse(followup.activity_id)
                    covered.add(f"{reason}: skipped past the wait")
                else:
                    self.assertEqual(followup.state, "sent")
                    self.assertEqual(followup.channel_id.code, code)
                    self.assertEqual((followup.handed_on, followup.activity_id.date_deadline), (date, date))
                    if due in holidays:
                        covered.add("on a holiday: handed over within the wait")
                        if date - due > day:
                            covered.add("on a holiday: waits past a weekend or more holidays")
                    elif quiet_until and due <= quiet_until:
                        covered.add("quiet_until: handed over within the wait")
                    elif due != date:
                        covered.add("an ordinary weekend: the next working day")
                if due in holidays:
                    covered.add(code)
                free = due
                while held(quiet_until, free):
                    free += day
                if free != due and free.weekday() >= 5 and free <= due + wait * day < date:
                    # The customer is free again within the wait, but on a weekend: no one calls then.
                    covered.add("the customer's next free day is a weekend, the person's is past the wait")
        self.assertLessEqual(
            {
                "phone",
                "visit",
                "quiet_day: skipped past the wait",
                "quiet_until: skipped past the wait",
                "on a holiday: handed over within the wait",
                "on a holiday: waits past a weekend or more holidays",
                "the customer's next free day is a weekend, the person's is past the wait",
                "quiet_until: handed over within the wait",
                "an ordinary weekend: the next working day",
            },
            covered,
            "the random draw covers each kind",
        )

    def test_a_best_channel_call_waits_for_a_working_day(self):
        """A greeting by the best permitted channel where only a call is allowed, due on Friday 29 May 2026
        (Kurban Bayramı, to Saturday 30): the customer is free again on Sunday 31, but no one calls on a
        Sunday, so the call's next free moment is Monday 1 June, three days after it was due. Waiting at
        most two days, it is skipped with the reason; three, it is handed over on the Monday."""
        self.partner.write({"phone": "+90 212 555 00 11", "tz": "Europe/Istanbul"})
        self.partner._affinity_set_consent("email", "marketing", "denied", source="paper")
        self.partner._affinity_set_consent("sms", "marketing", "denied", source="paper")
        rule = self.rule("marketing", "mail.mail_activity_data_call")
        rule.write(
            {
                "action": "best_channel",
                "max_wait_days": 2,
                "mail_template_id": self.birthday_rule.mail_template_id.id,
            }
        )
        friday = datetime.date(2026, 5, 29)
        call = self.tasks(rule, friday, self.user_affinity, self.partner)
        call._dispatch(now=datetime.datetime(2026, 5, 29, 6, 0))
        self.assertEqual(call.state, "skipped")
        self.assertEqual(call.reason, "email:denied, phone:quiet_day")
        rule.max_wait_days = 3
        call.write({"state": "planned", "reason": False})
        call._dispatch(now=datetime.datetime(2026, 5, 29, 6, 0))
        self.assertEqual((call.state, call.reason), ("planned", "quiet_day"))
        self.assertEqual(call.due_datetime, datetime.datetime(2026, 6, 1))
        call._dispatch(now=call.due_datetime)
        self.assertEqual((call.state, call.channel_id), ("sent", self.channel_phone))
        self.assertEqual((call.handed_on, call.activity_id.date_deadline), (datetime.date(2026, 6, 1),) * 2)


@tagged("post_install", "-at_install")
class TestFollowupAccess(FollowupCase):
    def test_access(self):
        self.birthday(self.partner, 15, 1)
        self.plan(self.reminder_rule, "2027-01-10")
        with self.assertRaises(AccessError):
            self.Followup.with_user(self.user_plain).search([])
        self.assertEqual(len(self.Followup.with_user(self.user_affinity).search([])), 1)
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.user_affinity).create(
                {"name": "x", "trigger": "cadence", "action": "activity"}
            )
        rule = Form(self.Rule.with_user(self.user_manager))
        rule.name = "Manager's rule"
        rule.trigger = "cadence"
        self.assertTrue(rule.save())
        other_company = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.Rule.create(
            {"name": "Foreign", "trigger": "cadence", "action": "activity", "company_id": other_company.id}
        )
        self.assertNotIn(foreign, self.Rule.with_user(self.user_manager).search([]))


@tagged("post_install", "-at_install")
class TestParallelPlanners(AffinityCase):
    """Two planners in two real transactions at once: the unique key keeps one follow-up."""

    def test_two_planners(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        kind = self.kind_birthday.id
        with db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Parallel", "tz": "UTC"})
            env["affinity.date"].create({"partner_id": partner.id, "kind_id": kind, "day": 20, "month": "7"})
            rule = env["affinity.followup.rule"].create(
                {"name": "Parallel", "trigger": "important_date", "date_kind_id": kind, "action": "activity"}
            )
            cr.commit()  # pylint: disable=invalid-commit  # fixtures other transactions must see
        try:
            today = datetime.date(2027, 7, 18)
            results = {}
            cr1, cr2 = db.cursor(), db.cursor()
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            with freeze_time("2027-07-18"):
                env1["affinity.date"].browse().search([("partner_id", "=", partner.id)])._compute_next_date()
                env1.flush_all()
                cr1.commit()
                results["first"] = env1["affinity.followup.rule"].browse(rule.id)._plan(today).ids

                def second():
                    # Blocks on the unique key until the first transaction commits, then inserts nothing.
                    results["second"] = env2["affinity.followup.rule"].browse(rule.id)._plan(today).ids
                    cr2.commit()

                worker = threading.Thread(target=second)
                worker.start()
                worker.join(timeout=2)
                self.assertTrue(worker.is_alive(), "the second planner waits for the first")
                cr1.commit()
                worker.join(timeout=30)
            self.assertEqual(len(results["first"]), 1)
            self.assertEqual(results["second"], [])
            cr1.execute("SELECT count(*) FROM affinity_followup WHERE rule_id = %s", (rule.id,))
            self.assertEqual(cr1.fetchone()[0], 1)
        finally:
            for cursor in (cr1, cr2):
                cursor.rollback()
                cursor.close()
            with db.cursor() as cr:
                cr.execute("DELETE FROM affinity_followup WHERE rule_id = %s", (rule.id,))
                cr.execute("DELETE FROM affinity_followup_rule WHERE id = %s", (rule.id,))
                cr.execute("DELETE FROM res_partner WHERE id = %s", (partner.id,))
                cr.commit()  # pylint: disable=invalid-commit  # remove the committed fixtures
