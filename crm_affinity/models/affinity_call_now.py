"""*Call Now*: a salesperson's customers due a call, ranked by their chance of answering this hour.

Due a call: a phone activity of hers due today or before (on the customer or one of their opportunities), a follow-up planned for today or before whose best
channel is the phone, or a relationship of hers whose cadence is due. Only those the contact decision lets her
call now (phone channel, the call's purpose, inside their window, outside quiet days and the budget) are
listed; the chance of an answer comes from the learned reachability (``_propensity_now``), with the count of
calls behind it, or says it is the company's usual pattern when the person has shown nothing yet.
"""

from odoo import api, fields, models

from ..tools.groups import scoped_to_own

DUE_KINDS = [
    ("activity", "Phone activity"),
    ("followup", "Follow-up"),
    ("cadence", "Contact cadence"),
]


class AffinityCallNow(models.TransientModel):
    _name = "affinity.call.now"
    _description = "Affinity Call Now"
    _order = "propensity desc, due_date, id"

    user_id = fields.Many2one("res.users", required=True, index=True, default=lambda self: self.env.uid)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade")
    phone = fields.Char(compute="_compute_phone")
    due_kind = fields.Selection(DUE_KINDS, string="Due Because Of", required=True)
    due_label = fields.Char(string="What Is Due")
    due_date = fields.Date()
    activity_id = fields.Many2one("mail.activity", ondelete="cascade")
    followup_id = fields.Many2one("affinity.followup", ondelete="cascade")
    propensity = fields.Float(string="Chance of an Answer (%)", digits=(5, 1))
    observations = fields.Integer(string="Calls at This Hour")
    responses = fields.Integer(string="Answered")
    learned = fields.Boolean(help="Off: nothing learned from this person yet; the company's usual pattern.")
    reason = fields.Char(string="Why Now")

    @api.depends("partner_id")
    def _compute_phone(self):
        for line in self:
            partner = line.partner_id.sudo()
            line.phone = partner.mobile or partner.phone

    @api.model
    def action_open(self):
        """Build the reader's list for this hour and open it: her own customers only."""
        now = fields.Datetime.now()
        self.search([("user_id", "=", self.env.uid)]).unlink()
        lines = self.create(self._lines(now))
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_affinity.affinity_call_now_action")
        action["domain"] = [("id", "in", lines.ids)]
        return action

    @api.model
    def _due(self, today):
        """{partner_id: (kind, label, due date, activity id, follow-up id, purpose)} of the reader's calls
        due today or before; one entry per customer, an activity before a follow-up before a cadence."""
        uid = self.env.uid
        phone = self.env.ref("crm_affinity.affinity_channel_phone")
        relationship = self.env.ref("crm_affinity.affinity_purpose_relationship")
        due = {}
        activities = self.env["mail.activity"].search(
            [
                ("user_id", "=", uid),
                ("res_model", "in", ("res.partner", "crm.lead")),
                ("date_deadline", "<=", today),
                ("activity_type_id.affinity_channel_id", "=", phone.id),
            ],
            order="date_deadline, id",
        )
        # A call planned on an opportunity is a call to its customer.
        lead_ids = [a.res_id for a in activities if a.res_model == "crm.lead"]
        partner_of_lead = {
            lead.id: lead.partner_id.id
            for lead in self.env["crm.lead"].sudo().with_context(active_test=False).browse(lead_ids).exists()
            if lead.partner_id
        }
        followup_of_activity = {
            followup.activity_id.id: followup
            for followup in self.env["affinity.followup"].search([("activity_id", "in", activities.ids)])
        }
        for activity in activities:
            followup = followup_of_activity.get(activity.id)
            partner_id = (
                activity.res_id
                if activity.res_model == "res.partner"
                else partner_of_lead.get(activity.res_id)
            )
            if not partner_id:
                continue
            due.setdefault(
                partner_id,
                (
                    "activity",
                    activity.summary or activity.activity_type_id.name,
                    activity.date_deadline,
                    activity.id,
                    followup.id if followup else False,
                    followup.rule_id.purpose_id if followup else relationship,
                ),
            )
        followups = self.env["affinity.followup"].search(
            [
                ("user_id", "=", uid),
                ("state", "=", "planned"),
                ("due_date", "<=", today),
                ("best_channel_id", "=", phone.id),
            ],
            order="due_date, id",
        )
        for followup in followups:
            due.setdefault(
                followup.partner_id.id,
                (
                    "followup",
                    followup.rule_id.name,
                    followup.due_date,
                    False,
                    followup.id,
                    followup.rule_id.purpose_id,
                ),
            )
        cadence = self.env["res.partner"].search(
            [
                "|",
                ("affinity_owner_id", "=", uid),
                ("user_id", "=", uid),
                ("affinity_next_contact_due", "<=", today),
            ]
        )
        label = self.env._("Contact cadence due")
        for partner in cadence:
            due.setdefault(
                partner.id, ("cadence", label, partner.affinity_next_contact_due, False, False, relationship)
            )
        if scoped_to_own(self.env) and due:
            # The salesperson scope: a task on someone else's customer stays off her list.
            own = self.env["res.partner"].search(
                [("id", "in", list(due)), "|", ("affinity_owner_id", "=", uid), ("user_id", "=", uid)]
            )
            due = {partner_id: entry for partner_id, entry in due.items() if partner_id in own.ids}
        return due

    @api.model
    def _lines(self, now):
        """The values of the reader's lines: those the decision lets her call now, with their chance."""
        today = fields.Date.context_today(self, now)
        due = self._due(today)
        if not due:
            return []
        phone = self.env.ref("crm_affinity.affinity_channel_phone")
        Partner = self.env["res.partner"]
        by_purpose = {}
        for partner_id, entry in due.items():
            by_purpose.setdefault(entry[5], []).append(partner_id)
        allowed = []
        for purpose, partner_ids in by_purpose.items():
            decisions = Partner.browse(partner_ids)._affinity_contact_decision(phone, purpose, when=now)
            allowed += [pid for pid in partner_ids if decisions[pid].allowed]
        if not allowed:
            return []
        chances = (
            self.env["affinity.reachability"].sudo()._propensity_now(Partner.browse(allowed), phone, now)
        )
        values = []
        for partner_id in allowed:
            kind, label, due_date, activity_id, followup_id, _purpose = due[partner_id]
            propensity, observations, responses, learned = chances.get(partner_id, (0.0, 0, 0, False))
            values.append(
                {
                    "user_id": self.env.uid,
                    "partner_id": partner_id,
                    "due_kind": kind,
                    "due_label": label,
                    "due_date": due_date,
                    "activity_id": activity_id,
                    "followup_id": followup_id,
                    "propensity": propensity * 100.0,
                    "observations": observations,
                    "responses": responses,
                    "learned": learned,
                    "reason": self._reason(propensity, observations, responses, learned),
                }
            )
        return values

    @api.model
    def _reason(self, propensity, observations, responses, learned):
        """Why this customer stands where she does, as a salesperson reads it."""
        if not learned:
            return self.env._(
                "Nothing learned from this customer yet: the company's usual answer rate at this hour, %(rate)s%%",
                rate=round(propensity * 100),
            )
        return self.env._(
            "Answered %(responses)s of %(observations)s calls at this hour: %(rate)s%% chance now",
            responses=responses,
            observations=observations,
            rate=round(propensity * 100),
        )

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
