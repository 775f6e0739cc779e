"""An outside tester's attacks on the journeys' promise: every way automation_oca reaches a person, tried
against a person the consent decision refuses (see SECURITY.md, door J1-J4)."""

import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.crm_affinity.tests.common import JsonRpcMixin
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import JourneyCase

# A Monday, no public holiday: 08:00 UTC is 11:00 in Istanbul.
MONDAY = datetime.datetime(2026, 6, 1, 8, 0)


class AttackCase(JourneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for channel in ("email", "sms", "phone"):
            cls.partner._affinity_set_consent(channel, "marketing", "granted", source="paper")
            cls.partner_other._affinity_set_consent(channel, "marketing", "denied", source="paper")
        cls.partner_other.mobile = "+44 7911 654321"
        cls.manager = new_test_user(
            cls.env,
            "attack_manager",
            groups="base.group_user,base.group_partner_manager,automation_oca.group_automation_manager",
        )

    def mails_to(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])

    def steps(self, journey):
        return self.env["automation.record.step"].search([("configuration_id", "=", journey.id)])


@tagged("post_install", "-at_install")
class TestAttackSteps(AttackCase):
    def test_a_context_key_sent_over_rpc_does_not_skip_the_gate(self):
        """``run`` with ``{"affinity_gated": true}`` in its context, as any RPC caller may send it."""
        journey = self.journey(self.partner_other)
        self.step(journey, trigger_interval=2)
        with freeze_time(MONDAY):
            self.start(journey)
            step = self.step_of(journey, self.partner_other)
            step.with_user(self.manager).with_context(affinity_gated=True).run()
        self.assertEqual((step.state, step.affinity_reason), ("rejected", "denied"))
        self.assertFalse(self.mails_to(self.partner_other))

    def test_a_cron_batch_still_runs_what_its_gate_allowed(self):
        """The gate's pass is kept for the steps it allowed: the batch sends to the consenting person."""
        journey = self.journey(self.partner | self.partner_other)
        self.step(journey)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        self.assertEqual(self.step_of(journey, self.partner).state, "done")
        self.assertEqual(self.step_of(journey, self.partner_other).state, "rejected")
        self.assertEqual(len(self.mails_to(self.partner)), 1)

    def test_a_cron_batch_asks_the_decision_once_however_many_mails_it_sends(self):
        """The gate's passes outlive the savepoints and commits sending a mail makes: a batch is gated once,
        not once more per step."""
        customers = self.Partner.create(
            [
                {"name": f"Batch {i}", "email": f"b{i}@example.com", "company_id": self.company.id}
                for i in range(4)
            ]
        )
        customers._affinity_set_consent("email", "marketing", "granted", source="paper")
        journey = self.journey(customers)
        self.step(journey)
        Step = type(self.env["automation.record.step"])
        gate = Step._affinity_gate
        calls = []

        def counted(steps, *args, **kwargs):
            calls.append(len(steps))
            return gate(steps, *args, **kwargs)

        run_mail = Step._run_mail

        def committing(step):
            # Outside tests automation_oca's composer commits after each mail: a commit runs the cursor's
            # precommit hooks first, as here.
            step.env.cr.flush()
            return run_mail(step)

        with (
            freeze_time(MONDAY),
            patch.object(Step, "_affinity_gate", counted),
            patch.object(Step, "_run_mail", committing),
        ):
            self.start(journey)
            self.run_due()
        self.assertEqual(self.steps(journey).mapped("state"), ["done"] * 4)
        self.assertEqual([count for count in calls if count], [4], calls)

    def _server_action(self, **values):
        return self.env["ir.actions.server"].create(
            {"name": "Attack action", "model_id": self.env["ir.model"]._get_id("res.partner"), **values}
        )

    def test_server_action_steps_that_message_the_person_are_gated(self):
        """A server action posting the journey's e-mail, sending an SMS or planning a call is a message."""
        actions = {
            "email": self._server_action(
                state="mail_post", template_id=self.template.id, mail_post_method="email"
            ),
            "sms": self._server_action(state="sms", sms_template_id=self.sms_template.id, sms_method="sms"),
            "phone": self._server_action(
                state="next_activity", activity_type_id=self.call_type.id, activity_summary="Call"
            ),
        }
        for code, action in actions.items():
            with self.subTest(code):
                journey = self.journey(self.partner | self.partner_other, name=code)
                config_step = self.step(journey, "action", server_action_id=action.id)
                self.assertEqual(config_step.affinity_channel_id.code, code)
                with freeze_time(MONDAY):
                    self.start(journey)
                    self.run_due()
                refused = self.step_of(journey, self.partner_other)
                self.assertEqual((refused.state, refused.affinity_reason), ("rejected", "denied"))
                self.assertEqual(self.step_of(journey, self.partner).state, "done")
        self.assertFalse(self.mails_to(self.partner_other))
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.partner_other.id)]))
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.partner_other.id)]
            )
        )
        self.assertEqual(len(self.mails_to(self.partner)), 1)

    def test_a_server_action_reaching_by_two_channels_is_refused(self):
        """The decision is asked for one channel: a multi action that e-mails and texts cannot be a step,
        and one given a second channel after the step was saved fails instead of sending."""
        email = self._server_action(state="mail_post", template_id=self.template.id, mail_post_method="email")
        sms = self._server_action(state="sms", sms_template_id=self.sms_template.id, sms_method="sms")
        both = self._server_action(state="multi", child_ids=[(6, 0, (email | sms).ids)])
        with self.assertRaisesRegex(ValidationError, "Server Action"):
            self.step(self.journey(self.partner, "refused"), "action", server_action_id=both.id)
        journey = self.journey(self.partner)
        later = self._server_action(state="multi", child_ids=[(6, 0, email.ids)])
        self.step(journey, "action", server_action_id=later.id)
        later.child_ids = [(4, sms.id)]
        self.partner._affinity_set_consent("sms", "marketing", "denied", source="paper")
        with freeze_time(MONDAY), mute_logger("odoo.addons.automation_oca.models.automation_record_step"):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner)
        self.assertEqual(step.state, "error")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.partner.id)]))
        self.assertFalse(self.mails_to(self.partner))

    def test_a_server_action_that_reaches_nobody_asks_nobody(self):
        note = self._server_action(state="mail_post", template_id=self.template.id, mail_post_method="note")
        journey = self.journey(self.partner_other)
        config_step = self.step(journey, "action", server_action_id=note.id)
        self.assertFalse(config_step.affinity_channel_id)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        self.assertEqual(self.step_of(journey, self.partner_other).state, "done")

    def test_a_sale_order_whose_customer_changed_asks_the_customer_it_writes_to(self):
        template = self.env["mail.template"].create(
            {
                "name": "Order journey",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "subject": "Your order",
                "partner_to": "{{ object.partner_id.id }}",
                "body_html": "<p>Hello</p>",
            }
        )
        order = self.env["sale.order"].create({"partner_id": self.partner.id})
        journey = self.env["automation.configuration"].create(
            {
                "name": "Orders",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "editable_domain": repr([("id", "=", order.id)]),
            }
        )
        self.step(journey, mail_template_id=template.id, trigger_interval=1, trigger_interval_type="days")
        with freeze_time(MONDAY):
            self.start(journey)
        self.assertEqual(self.steps(journey).record_id.affinity_partner_id, self.partner)
        # The customer on the order is changed after it entered: the message now goes to someone who said no.
        order.partner_id = self.partner_other
        with freeze_time(MONDAY + datetime.timedelta(days=1, hours=1)):
            self.run_due()
        step = self.steps(journey)
        self.assertEqual((step.state, step.affinity_reason), ("rejected", "denied"))
        self.assertFalse(self.mails_to(self.partner_other))

    def test_a_template_naming_other_recipients_reaches_only_the_person_asked(self):
        """A careless template: the person, someone who said no, and a raw address in copy."""
        template = self.template.copy(
            {
                "partner_to": f"{{{{ object.id }}}},{self.partner_other.id}",
                "email_to": "list@example.com",
                "email_cc": "boss@example.com",
            }
        )
        journey = self.journey(self.partner)
        self.step(journey, mail_template_id=template.id)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner)
        self.assertEqual(step.state, "done")
        mail = self.env["mail.mail"].search([("automation_record_step_id", "=", step.id)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.partner)
        self.assertFalse(mail.email_to)
        self.assertFalse(mail.email_cc)

    def test_a_template_cannot_postpone_the_mail_past_the_decision(self):
        """A template's own *Scheduled Date* would queue the mail for a month later, when the person may
        have said no: the journey's step decides the moment, after the decision."""
        template = self.template.copy(
            {"scheduled_date": "{{ (object.create_date + datetime.timedelta(days=30)) }}"}
        )
        journey = self.journey(self.partner)
        self.step(journey, mail_template_id=template.id)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner)
        mail = self.env["mail.mail"].search([("automation_record_step_id", "=", step.id)])
        self.assertEqual(len(mail), 1)
        self.assertFalse(mail.scheduled_date)

    def test_a_lead_without_a_customer_is_written_to_by_nobody(self):
        template = self.env["mail.template"].create(
            {
                "name": "Lead journey",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "Hello",
                "email_to": "{{ object.email_from }}",
                "body_html": "<p>Hello</p>",
            }
        )
        lead = self.env["crm.lead"].create({"name": "Walk-in", "email_from": "stranger@example.com"})
        journey = self.env["automation.configuration"].create(
            {
                "name": "Leads",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "editable_domain": repr([("id", "=", lead.id)]),
            }
        )
        self.step(journey, mail_template_id=template.id)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.steps(journey)
        self.assertEqual((step.state, step.affinity_reason), ("rejected", "no_address"))
        self.assertFalse(self.env["mail.mail"].search([("email_to", "ilike", "stranger@example.com")]))

    def test_a_person_without_an_email_is_not_written_to(self):
        self.partner.email = False
        journey = self.journey(self.partner)
        self.step(journey)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner)
        self.assertEqual(step.state, "rejected")
        self.assertTrue(step.affinity_reason)
        self.assertFalse(self.mails_to(self.partner))

    def test_the_test_wizard_plans_no_call_to_a_refusing_person(self):
        """*Test* enters a real record: its activity step would schedule a real call."""
        journey = self.journey(self.partner_other)
        self.step(journey, "activity", activity_user_type="specific", activity_user_id=self.manager.id)
        wizard = (
            self.env["automation.configuration.test"]
            .with_user(self.manager)
            .create({"configuration_id": journey.id, "resource_ref": f"res.partner,{self.partner_other.id}"})
        )
        with freeze_time(MONDAY):
            wizard.test_record()
            step = self.env["automation.record.step"].search(
                [("configuration_id", "=", journey.id), ("is_test", "=", True)]
            )
            step.with_user(self.manager).run()
        self.assertEqual((step.state, step.affinity_reason), ("rejected", "denied"))
        self.assertFalse(self.env["mail.activity"].search([("automation_record_step_id", "=", step.id)]))

    def test_a_duplicated_journey_keeps_its_gate(self):
        """automation_oca duplicates a journey without its steps; a step duplicated into it keeps its purpose."""
        self.partner_other._affinity_set_consent("sms", "service", "denied", source="paper")
        journey = self.journey(self.partner_other)
        config_step = self.step(journey, "sms", affinity_purpose_id=self.service.id)
        copy = journey.copy()
        self.assertFalse(copy.automation_step_ids)
        config_step.copy({"configuration_id": copy.id})
        self.assertEqual(copy.automation_step_ids.affinity_purpose_id, self.service)
        with freeze_time(MONDAY):
            self.start(copy)
            self.run_due()
        step = self.steps(copy)
        self.assertEqual(step.state, "rejected")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.partner_other.id)]))

    def test_a_step_planned_long_ago_is_not_sent_past_its_wait(self):
        """A cron down for a year: a held step is skipped, not sent a year late outside its wait."""
        self.partner.affinity_quiet_until = datetime.date(2027, 6, 3)
        journey = self.journey(self.partner)
        self.step(journey, affinity_wait_max=3, affinity_wait_max_type="days")
        with freeze_time(MONDAY - datetime.timedelta(days=365)):
            self.start(journey)
        with freeze_time(MONDAY):
            self.run_due()
        step = self.step_of(journey, self.partner)
        self.assertEqual((step.state, step.affinity_reason), ("rejected", "quiet_until"))
        self.assertFalse(self.mails_to(self.partner))

    def test_a_huge_wait_at_most_cannot_stop_every_journey(self):
        """A careless *Wait at Most* of two billion days used to overflow the gate's date arithmetic and stop
        the cron for every journey: refused, naming the field."""
        journey = self.journey(self.partner)
        for value, unit in ((2_000_000_000, "days"), (366, "days"), (8761, "hours")):
            with (
                self.subTest(value=value, unit=unit),
                self.assertRaisesRegex(ValidationError, "Wait at Most"),
            ):
                self.step(journey, affinity_wait_max=value, affinity_wait_max_type=unit)
        self.step(journey, affinity_wait_max=365, affinity_wait_max_type="days")
        self.step(journey, affinity_wait_max=8760, affinity_wait_max_type="hours")

    def test_a_withdrawal_between_planning_and_an_immediate_child_stops_it(self):
        """A child triggered at once by an open (``do_not_wait``) asks the decision at that moment."""
        journey = self.journey(self.partner)
        first = self.step(journey)
        self.step(journey, parent=first, trigger_type="mail_open", trigger_interval=-1)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
            sent = self.step_of(journey, self.partner, first)
            self.assertEqual(sent.state, "done")
            self.partner._affinity_set_consent("email", "marketing", "denied", source="paper")
            sent._set_mail_open()
        child = self.steps(journey) - sent
        self.assertEqual((child.state, child.affinity_reason), ("rejected", "denied"))
        self.assertEqual(len(self.mails_to(self.partner)), 1)

    def test_a_merged_person_is_asked_as_the_one_that_remains(self):
        journey = self.journey(self.partner)
        self.step(journey, trigger_interval=1, trigger_interval_type="days")
        with freeze_time(MONDAY):
            self.start(journey)
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge((self.partner | self.partner_other).ids, self.partner_other, extra_checks=False)
        with freeze_time(MONDAY + datetime.timedelta(days=1, hours=1)):
            self.run_due()
        step = self.steps(journey)
        self.assertEqual(step.state, "rejected")
        self.assertFalse(self.mails_to(self.partner_other))

    def test_people_without_automation_rights_cannot_run_roll_out_or_read_figures(self):
        journey = self.journey(
            self.partner_other, affinity_pilot=True, affinity_pilot_share=100, affinity_control_share=0
        )
        self.step(journey, trigger_interval=2)
        with freeze_time(MONDAY):
            self.start(journey)
        step = self.step_of(journey, self.partner_other)
        marketer = new_test_user(
            self.env, "attack_marketer", groups="base.group_user,automation_oca.group_automation_user"
        )
        for user in (self.user_plain, self.user_portal, marketer):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    step.with_user(user).run()
                with self.assertRaises(AccessError):
                    journey.with_user(user).action_affinity_rollout()
                with self.assertRaises(AccessError):
                    self.env["automation.configuration.test"].with_user(user).create(
                        {"configuration_id": journey.id, "resource_ref": f"res.partner,{self.partner.id}"}
                    )
                with self.assertRaises(AccessError):
                    journey.with_user(user).write({"affinity_rolled_out": True})
                if user != marketer:
                    with self.assertRaises(AccessError):
                        journey.with_user(user).read(["affinity_kpi_html"])
        self.env.invalidate_all()
        self.assertEqual(step.state, "scheduled")
        self.assertFalse(journey.affinity_rolled_out)

    def test_another_companys_automation_user_reads_no_figures_and_rolls_out_nothing(self):
        other = self.env["res.company"].create({"name": "Other Company"})
        outsider = new_test_user(
            self.env,
            "attack_other_company",
            groups="base.group_user,automation_oca.group_automation_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        journey = self.journey(self.partner, affinity_pilot=True, company_id=self.company.id)
        self.step(journey)
        self.start(journey)
        with self.assertRaises(AccessError):
            journey.with_user(outsider).read(["affinity_kpi_html"])
        with self.assertRaises(AccessError):
            journey.with_user(outsider).action_affinity_rollout()
        self.assertFalse(journey.affinity_rolled_out)


@tagged("post_install", "-at_install")
class TestAttackDoors(JsonRpcMixin, HttpCase, AttackCase):
    def sent_step(self):
        journey = self.journey(self.partner)
        first = self.step(journey)
        self.step(journey, parent=first, trigger_type="mail_open", trigger_interval=1)
        with freeze_time(MONDAY):
            self.start(journey)
            self.run_due()
        step = self.step_of(journey, self.partner, first)
        self.assertEqual(step.state, "done")
        return step

    def assert_blank_or_4xx(self, url, redirect=False):
        with mute_logger("odoo.http", "werkzeug"):
            response = self.url_open(url, allow_redirects=False)
        status = response.status_code
        self.assertTrue(
            status < 500
            and (status >= 400 or response.content.startswith(b"GIF") or redirect and status == 301),
            f"{url}: {response.status_code}",
        )
        return response

    def test_the_open_pixel_with_a_bad_token_writes_nothing(self):
        step = self.sent_step()
        token = step._get_mail_tracking_token()
        for path in (
            f"/automation_oca/track/{step.id}/{'0' * len(token)}/blank.gif",
            f"/automation_oca/track/{step.id}/{token[:-1]}/blank.gif",
            f"/automation_oca/track/{step.id + 1}/{token}/blank.gif",
            f"/automation_oca/track/{10**30}/{token}/blank.gif",
            f"/automation_oca/track/{step.id}/%C3%A9{token[1:]}/blank.gif",
            f"/automation_oca/track/{step.id}/{'a' * 5000}/blank.gif",
            f"/automation_oca/track/abc/{token}/blank.gif",
            f"/automation_oca/track/-{step.id}/{token}/blank.gif",
        ):
            with self.subTest(path=path[:80]):
                self.assert_blank_or_4xx(path)
        self.env.invalidate_all()
        self.assertEqual(step.mail_status, "sent")
        self.assertFalse(step.child_ids.scheduled_date, "no child woken by a forged open")

    def test_the_open_pixel_of_a_deleted_step_is_no_error(self):
        step = self.sent_step()
        token = step._get_mail_tracking_token()
        step_id = step.id
        step.record_id.unlink()
        self.assert_blank_or_4xx(f"/automation_oca/track/{step_id}/{token}/blank.gif")

    def test_the_open_pixel_with_the_right_token_wakes_the_gated_child(self):
        step = self.sent_step()
        self.partner._affinity_set_consent("email", "marketing", "denied", source="paper")
        response = self.assert_blank_or_4xx(
            f"/automation_oca/track/{step.id}/{step._get_mail_tracking_token()}/blank.gif"
        )
        self.assertTrue(response.content.startswith(b"GIF"))
        self.env.invalidate_all()
        self.assertEqual(step.mail_status, "open")
        with freeze_time(datetime.datetime.now() + datetime.timedelta(days=2)):
            self.run_due()
        self.assertEqual((step.child_ids.state, step.child_ids.affinity_reason), ("rejected", "denied"))
        self.assertEqual(len(self.mails_to(self.partner)), 1)

    def test_the_click_redirect_refuses_forged_links(self):
        step = self.sent_step()
        token = step._get_mail_tracking_token()
        link = self.env["link.tracker"].create({"url": "https://example.com/offer"})
        code = link.code
        step_id = step.id
        for path in (
            f"/r/{code}/au/{step_id}/{'0' * len(token)}",
            f"/r/{code}/au/{step_id}/%C3%A9{token[1:]}",
            f"/r/{code}/au/{10**30}/{token}",
            f"/r/nosuchcode/au/{step_id}/{token}",
            f"/r/{'x' * 3000}/au/{step_id}/{token}",
            f"/r/{code}/au/abc/{token}",
        ):
            with self.subTest(path=path[:80]):
                response = self.assert_blank_or_4xx(path, redirect=True)
                self.assertIn(response.status_code, (301, 404, 400))
        self.env.invalidate_all()
        self.assertFalse(self.env["link.tracker.click"].search([("automation_record_step_id", "=", step_id)]))
        self.assertFalse(step.mail_clicked_on)
        step.record_id.unlink()
        response = self.assert_blank_or_4xx(f"/r/{code}/au/{step_id}/{token}", redirect=True)
        self.assertIn(response.status_code, (301, 404, 400))

    def test_private_gate_methods_are_not_callable_over_rpc(self):
        journey = self.journey(self.partner_other)
        self.step(journey, trigger_interval=2)
        with freeze_time(MONDAY):
            self.start(journey)
        step = self.step_of(journey, self.partner_other)
        for method, model, ids in (
            ("_affinity_gate", "automation.record.step", [step.id]),
            ("_affinity_mark_reached", "automation.record.step", [step.id]),
            ("_affinity_kpis", "automation.configuration", [journey.id]),
        ):
            with self.subTest(method=method):
                _result, error = self.rpc_on(model, self.manager.login, "attack_manager", method, ids)
                self.assertIn("private", error.lower())
        self.env.invalidate_all()
        self.assertEqual(step.state, "scheduled")
