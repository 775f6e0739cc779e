"""Every journey step that reaches a person asks the one contact decision first.

automation_oca runs a due step by ``run()``, from its cron or at once (``do_not_wait``, via
``_trigger_activities``). Both doors are gated here for the whole set at once (``_affinity_gate``): one
decision per channel and purpose, whatever the number of customers. A refused step is rejected with the
decision's reason; a step held by quiet days, a contact window or the contact budget waits for the next
allowed moment, up to its configuration's *Wait at Most*, then is rejected with its reason.
"""

import weakref
from collections import defaultdict

from odoo import api, fields, models
from odoo.addons.crm_affinity.models.affinity_followup import WAITING_REASONS
from odoo.addons.crm_affinity.tools.reasons import reason_label
from odoo.tools import SQL

from .automation_configuration_step import STEP_CHANNELS

# The steps the gate let through, per cursor, each good for one run: kept off the context (any RPC caller writes
# it) and off the cursor's hooks (a commit or a flushing savepoint, as sending a mail makes, clears them).
GATE_PASSES = weakref.WeakKeyDictionary()
# The contact budget reads the journey steps that reached a person, per person, in a time window.
CONTACT_INDEX = "automation_record_step_affinity_contact_idx"


class AutomationRecordStep(models.Model):
    _inherit = "automation.record.step"

    affinity_reason = fields.Char(
        string="Decision Reason Code",
        readonly=True,
        help="Why the consent decision held this step back or refused it (a reason code).",
    )
    affinity_reason_label = fields.Char(string="Consent Decision", compute="_compute_affinity_reason_label")
    affinity_first_due = fields.Datetime(
        string="First Due",
        readonly=True,
        help="When the step was first due; it waits for an allowed moment no longer than its Wait at Most.",
    )
    affinity_partner_id = fields.Many2one(
        "res.partner",
        string="Person Reached",
        readonly=True,
        index="btree_not_null",
        help="Set when the decision let the step reach this person; a done step then counts against "
        "the person's contact budget when its purpose does.",
    )
    affinity_channel_id = fields.Many2one("affinity.channel", string="Channel Used", readonly=True)
    affinity_best_reason = fields.Char(
        string="Why This Hour",
        readonly=True,
        help="Set when the step waited for the person's best hour: what was learned of them.",
    )

    def init(self):
        result = super().init()
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS %s ON automation_record_step (affinity_partner_id, processed_on)
                    WHERE affinity_partner_id IS NOT NULL AND state = 'done'""",
                SQL.identifier(CONTACT_INDEX),
            )
        )
        return result

    @api.depends("affinity_reason")
    def _compute_affinity_reason_label(self):
        for step in self:
            step.affinity_reason_label = reason_label(self.env, step.affinity_reason)

    # -- the two doors automation_oca runs steps through ---------------------------------------------------

    def _cron_automation_steps(self):
        due = self.search([("state", "=", "scheduled"), ("scheduled_date", "<=", fields.Datetime.now())])
        due._affinity_gate()
        return super()._cron_automation_steps()

    def _trigger_activities(self):
        self.filtered("do_not_wait")._affinity_gate()
        return super()._trigger_activities()

    def _affinity_gate_passes(self):
        """Ids the gate let through on this cursor, not yet run (gone with the cursor)."""
        return GATE_PASSES.setdefault(self.env.cr, set())

    def run(self, trigger_activity=True):
        """A step the batched doors did not gate just now (the Run button, a test record, an RPC call) is
        gated alone, by someone who may change it."""
        if self.state == "scheduled":
            passes = self._affinity_gate_passes()
            if self.id in passes:
                passes.discard(self.id)
            else:
                self.check_access("write")
                due = self.scheduled_date
                self._affinity_gate()
                passes.discard(self.id)
                if self.state != "scheduled" or self.scheduled_date != due:
                    return self.browse()
        return super().run(trigger_activity=trigger_activity)

    def retry(self):
        """A step tried again asks the decision afresh: its old reason and first due moment go."""
        result = super().retry()
        self._affinity_gate_passes().difference_update(self.ids)
        self.write({"affinity_reason": False, "affinity_first_due": False, "affinity_best_reason": False})
        return result

    # -- the gate ------------------------------------------------------------------------------------------

    def _affinity_gate(self, now=None):
        """Ask the decision for every scheduled step of the set that reaches a person; reject the refused,
        hold the waiting. Queries: a constant number per channel and purpose, never one per customer."""
        now = now or fields.Datetime.now()
        ids_by_key = defaultdict(list)
        partner_of, due_of, timed = {}, {}, set()
        scheduled = []
        for step_id, partner_id, channel_id, purpose_id, first_due, best, wait in self._affinity_gate_facts():
            scheduled.append(step_id)
            if not channel_id:
                continue
            partner_of[step_id] = partner_id
            due_of[step_id] = (first_due or now, wait)
            ids_by_key[(channel_id, purpose_id)].append(step_id)
            if best:
                timed.add(step_id)
        rejected, held, allowed = defaultdict(list), {}, []
        for (channel_id, purpose_id), step_ids in ids_by_key.items():
            partners = self.env["res.partner"].browse(
                {partner_of[sid] for sid in step_ids if partner_of[sid]}
            )
            channel = self.env["affinity.channel"].browse(channel_id)
            purpose = self.env["affinity.purpose"].browse(purpose_id)
            decisions = partners.sudo()._affinity_contact_decision(channel, purpose, when=now)
            for step_id in step_ids:
                decision = decisions.get(partner_of[step_id])
                if decision is None:
                    rejected["no_address"].append(step_id)
                elif decision.allowed:
                    allowed.append((step_id, partner_of[step_id], channel_id))
                elif decision.reason in WAITING_REASONS and decision.next_allowed:
                    held[step_id] = decision
                else:
                    rejected[decision.reason].append(step_id)
        best = self._affinity_best_hours(
            [(sid, partner_of[sid], key) for key, sids in ids_by_key.items() for sid in sids if sid in timed],
            held,
            due_of,
            now,
        )
        later = {sid for sid, _partner, _channel in allowed if sid in best and best[sid].when > now}
        allowed = [row for row in allowed if row[0] not in later]
        if held or later:
            self._affinity_hold(held, due_of, rejected, best=best, later=later)
        if rejected:
            self._affinity_reject(rejected, now)
        if allowed:
            self._affinity_mark_reached(allowed)
        stopped = set(held).union(later, *rejected.values())
        self._affinity_gate_passes().update(step_id for step_id in scheduled if step_id not in stopped)
        return self.browse([step_id for step_id, _partner, _channel in allowed])

    def _affinity_best_hours(self, timed, held, due_of, now):
        """{step id: BestMoment} of the steps to send at their person's best hour: one question to the
        learned reachability per channel and purpose, over the hours the decision allows from this hour
        up to the last step's Wait at Most (a held step from its next allowed moment)."""
        by_key = defaultdict(list)
        for step_id, partner_id, key in timed:
            if partner_id:
                by_key[key].append((step_id, partner_id))
        Reach = self.env["affinity.reachability"].sudo()
        best = {}
        hour = now.replace(minute=0, second=0, microsecond=0)
        for (channel_id, purpose_id), rows in by_key.items():
            end = max(due_of[step_id][0] + due_of[step_id][1] for step_id, _partner in rows)
            moments = Reach._best_moments(
                self.env["res.partner"].browse({partner_id for _step, partner_id in rows}),
                self.env["affinity.channel"].browse(channel_id),
                hour,
                end,
                purpose=self.env["affinity.purpose"].browse(purpose_id),
            )
            for step_id, partner_id in rows:
                moment = moments.get(partner_id)
                first_due, wait = due_of[step_id]
                # Allowed now, this hour counts as now; a held step goes no earlier than now.
                start = now if step_id in held else hour
                if moment and start <= moment.when <= first_due + wait:
                    best[step_id] = moment
        return best

    def _affinity_gate_facts(self):
        """(step, person, channel, purpose, first due, at the best hour, wait at most) of the set's scheduled
        steps (no channel and no person for a step that reaches nobody; at the best hour: not yet moved to
        it): the channel as ``automation.configuration.step.affinity_channel_id`` says, the person as the
        record names them now (an order's customer may have changed since it entered). One statement for
        the steps, one read per configuration step and per model of record."""
        if not self:
            return []
        for model in ("automation.record.step", "automation.record", "automation.configuration.step"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT s.id, r.model, r.res_id, s.configuration_step_id, cs.affinity_purpose_id,
                       COALESCE(s.affinity_first_due, s.scheduled_date),
                       cs.affinity_best_hour AND cs.step_type IN %(timed)s AND s.affinity_best_reason IS NULL,
                       make_interval(hours => CASE WHEN cs.affinity_wait_max_type = 'hours'
                                                   THEN cs.affinity_wait_max ELSE 0 END,
                                     days => CASE WHEN cs.affinity_wait_max_type = 'days'
                                                  THEN cs.affinity_wait_max ELSE 0 END)
                  FROM automation_record_step s
                  JOIN automation_configuration_step cs ON cs.id = s.configuration_step_id
                  JOIN automation_record r ON r.id = s.record_id
                 WHERE s.id = ANY(%(ids)s) AND s.state = 'scheduled'
                """,
                ids=self.ids,
                timed=tuple(STEP_CHANNELS),
            )
        )
        config_steps = self.env["automation.configuration.step"].browse({row[3] for row in rows})
        channel_of = {config_step.id: config_step.affinity_channel_id.id for config_step in config_steps}
        res_ids = defaultdict(set)
        for row in rows:
            if channel_of[row[3]]:
                res_ids[row[1]].add(row[2])
        Record = self.env["automation.record"]
        partners = {model: Record._affinity_partners_of(model, ids) for model, ids in res_ids.items()}
        return [
            (
                step_id,
                partners.get(model, {}).get(res_id),
                channel_of[config_step_id],
                purpose_id,
                first_due,
                best,
                wait,
            )
            for step_id, model, res_id, config_step_id, purpose_id, first_due, best, wait in rows
        ]

    def _affinity_reject(self, rejected, now):
        """Reject the refused steps with their reasons, and bring their records' state up to date as
        automation_oca computes it (running while a step is scheduled): two statements for any number."""
        ids = [step_id for step_ids in rejected.values() for step_id in step_ids]
        reasons = [reason for reason, step_ids in rejected.items() for _step_id in step_ids]
        self.flush_model()
        self.env["automation.record"].flush_model(["state"])
        record_ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """UPDATE automation_record_step s
                          SET state = 'rejected', processed_on = %s, affinity_reason = v.reason
                         FROM unnest(%s::int[], %s::varchar[]) AS v(id, reason)
                        WHERE s.id = v.id
                    RETURNING s.record_id""",
                    now,
                    ids,
                    reasons,
                )
            )
        ]
        self.env.execute_query(
            SQL(
                """UPDATE automation_record r
                      SET state = CASE WHEN EXISTS (SELECT 1 FROM automation_record_step s
                                                     WHERE s.record_id = r.id AND s.state = 'scheduled')
                                       THEN 'run' ELSE 'done' END
                    WHERE r.id = ANY(%s)""",
                list(set(record_ids)),
            )
        )
        self.browse(ids).invalidate_recordset(["state", "processed_on", "affinity_reason"])
        self.env["automation.record"].browse(record_ids).invalidate_recordset(["state"])

    def _affinity_hold(self, held, due_of, rejected, best=None, later=()):
        """Move the held steps to their next allowed moment (or their person's best hour), and the steps
        allowed now but timed for a later best hour to that hour; reject those that would wait too long."""
        best = best or {}
        moments = self.browse(list(held))._affinity_step_moments(held)
        waiting = []
        for step_id, decision in held.items():
            first_due, wait = due_of[step_id]
            moment = best[step_id].when if step_id in best else moments[step_id]
            if moment and moment <= first_due + wait:
                waiting.append((step_id, moment, decision.reason, first_due, best.get(step_id)))
            else:
                rejected[decision.reason].append(step_id)
        waiting += [
            (step_id, best[step_id].when, None, due_of[step_id][0], best[step_id]) for step_id in later
        ]
        if not waiting:
            return
        ids, ats, reasons, firsts, why = map(list, zip(*waiting, strict=True))
        # A step moved to its best hour is not moved again: there it goes out as the decision then allows.
        whys = [moment.reason if moment else None for moment in why]
        self.env.execute_query(
            SQL(
                """UPDATE automation_record_step s
                      SET scheduled_date = v.at, affinity_reason = v.reason, do_not_wait = FALSE,
                          affinity_first_due = v.first_due,
                          affinity_best_reason = COALESCE(v.why, s.affinity_best_reason)
                     FROM unnest(%s::int[], %s::timestamp[], %s::varchar[], %s::timestamp[], %s::varchar[])
                          AS v(id, at, reason, first_due, why)
                    WHERE s.id = v.id""",
                ids,
                ats,
                reasons,
                firsts,
                whys,
            )
        )
        self.browse(ids).invalidate_recordset(
            ["scheduled_date", "affinity_reason", "do_not_wait", "affinity_first_due", "affinity_best_reason"]
        )
        cron = self.env.ref("automation_oca.cron_step_execute")
        self.env["ir.cron.trigger"].sudo().create(
            [{"cron_id": cron.id, "call_at": at} for at in sorted(set(ats))]
        )

    def _affinity_step_moments(self, held):
        """{step id: the moment a held step goes out}, from ``{step id: ContactDecision}`` (no query).

        The one place where the person's best moment is chosen. Today: the decision's next allowed moment.
        Where the learned reachability model exists (``affinity.reachability._best_moments``), this is where
        it picks the best allowed hour within the step's wait."""
        return {step_id: held[step_id].next_allowed for step_id in self.ids}

    def _affinity_mark_reached(self, allowed):
        """Remember whom each allowed step reaches and by which channel: once done, the contact budget
        counts it (one statement for the set)."""
        self.flush_model()
        ids, partner_ids, channel_ids = map(list, zip(*allowed, strict=True))
        self.env.execute_query(
            SQL(
                """UPDATE automation_record_step s
                      SET affinity_partner_id = v.partner_id, affinity_channel_id = v.channel_id
                     FROM unnest(%s::int[], %s::int[], %s::int[]) AS v(id, partner_id, channel_id)
                    WHERE s.id = v.id""",
                ids,
                partner_ids,
                channel_ids,
            )
        )
        self.browse(ids).invalidate_recordset(["affinity_partner_id", "affinity_channel_id"])

    def _run_action(self):
        """A server action given a second channel after its step was saved fails here rather than send by a
        channel the decision was not asked for."""
        self.configuration_step_id._check_affinity_action_channels()
        return super()._run_action()

    # -- SMS steps -----------------------------------------------------------------------------------------

    def _run_sms(self):
        """Through Odoo's own SMS composer, as one record's mass SMS kept in its chatter."""
        composer = (
            self.env["sms.composer"]
            .with_context(active_model=self.record_id.model, active_ids=[self.record_id.res_id])
            .create(
                {
                    "composition_mode": "mass",
                    "res_model": self.record_id.model,
                    "res_ids": repr([self.record_id.res_id]),
                    "template_id": self.configuration_step_id.sms_template_id.id,
                    "mass_keep_log": True,
                    "mass_force_send": False,
                }
            )
        )
        if not self.is_test:
            composer._action_send_sms()
        return True

    def _get_step_actions(self):
        if self.step_type == "sms":
            return [
                {
                    "icon": "fa fa-mobile",
                    "name": self.env._("Sent"),
                    "done": self.state == "done",
                    "color": "text-success",
                }
            ]
        return super()._get_step_actions()
