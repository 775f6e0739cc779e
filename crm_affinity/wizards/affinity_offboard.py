from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.res_partner_value import OFFBOARD_STRATEGIES
from ..tools.groups import AFFINITY_MANAGER

# Purposes whose consent use an offboarding switches off, per strategy.
DENIED_PURPOSES = {
    "price_review": ("marketing",),
    "self_service": ("marketing",),
    "stop_marketing": ("marketing",),
    "end_relationship": ("marketing", "relationship"),
}


class AffinityOffboard(models.TransientModel):
    """End or reshape a relationship gracefully: decision and reason recorded, marketing off, a kind word."""

    _name = "affinity.offboard"
    _description = "Affinity Graceful Offboarding"

    partner_id = fields.Many2one("res.partner", required=True, readonly=True)
    flag_ids = fields.Many2many("affinity.review.flag", string="Flags Decided")
    strategy = fields.Selection(OFFBOARD_STRATEGIES, required=True, default="stop_marketing")
    reason = fields.Text(
        required=True, help="Why: it stays on the customer's file and in the consent history."
    )
    user_id = fields.Many2one(
        "res.users",
        string="Closing Conversation By",
        required=True,
        domain=[("share", "=", False)],
        compute="_compute_user_id",
        store=True,
        precompute=True,
        readonly=False,
        help="Who knows the customer: their relationship owner, else their salesperson, else you.",
    )
    date_deadline = fields.Date(
        string="Talk to Them By",
        required=True,
        default=lambda self: fields.Date.add(fields.Date.today(), days=3),
    )
    template_id = fields.Many2one(
        "mail.template",
        string="Closing Message",
        compute="_compute_template_id",
        store=True,
        readonly=False,
        domain=[("model", "=", "res.partner")],
    )
    preview = fields.Html(compute="_compute_preview", sanitize_style=True)

    @api.depends("partner_id")
    def _compute_user_id(self):
        for wizard in self:
            partner = wizard.partner_id
            people = (
                partner.affinity_owner_id
                | partner.user_id
                | partner.commercial_partner_id.affinity_owner_id
                | partner.commercial_partner_id.user_id
            )
            # In that order: the first of them still working here.
            known = people.filtered(lambda user: user.active and not user.share)[:1]
            wizard.user_id = known or wizard.user_id or self.env.user

    @api.depends("strategy")
    def _compute_template_id(self):
        for wizard in self:
            wizard.template_id = self.env.ref(
                f"crm_affinity.mail_template_offboard_{wizard.strategy}", raise_if_not_found=False
            )

    @api.depends("template_id", "partner_id")
    def _compute_preview(self):
        for wizard in self:
            if wizard.template_id and wizard.partner_id:
                # In the customer's language (the template's own {{ object.lang }}), not the reader's.
                wizard.preview = wizard.template_id._render_field(
                    "body_html", wizard.partner_id.ids, compute_lang=True
                )[wizard.partner_id.id]
            else:
                wizard.preview = False

    def action_confirm(self):
        """Record, switch marketing off (logged), and hand a person the courteous closing to do."""
        self.ensure_one()
        if not self.env.user.has_group(AFFINITY_MANAGER):
            raise AccessError(self.env._("Only Affinity administrators may offboard a customer."))
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why: an offboarding without a reason is a silent drop."))
        partner = self.partner_id
        strategy_label = dict(self._fields["strategy"]._description_selection(self.env))[self.strategy]
        channels = self.env["affinity.channel"].search([("code", "!=", False)])
        for purpose in DENIED_PURPOSES[self.strategy]:
            for channel in channels:
                partner._affinity_set_consent(
                    channel,
                    purpose,
                    "denied",
                    source="offboarding",
                    note=self.env._(
                        "Offboarding (%(strategy)s): %(reason)s", strategy=strategy_label, reason=reason
                    ),
                    legal_basis="legitimate_interest",
                )
        vals = {
            "affinity_offboard_strategy": self.strategy,
            "affinity_offboard_reason": reason,
            "affinity_offboarded_on": fields.Date.context_today(self),
            "affinity_offboarded_by_id": self.env.uid,
        }
        if self.strategy == "end_relationship":
            vals["affinity_cadence_days"] = 0
            partner.affinity_followup_ids.filtered(lambda followup: followup.state == "planned").write(
                {"state": "skipped", "reason": "offboarded"}
            )
        partner.sudo().write(vals)
        flags = self.flag_ids or self.env["affinity.review.flag"].search(
            [("partner_id", "=", partner.id), ("state", "=", "to_review")]
        )
        flags.write(
            {
                "state": "offboarded",
                "decided_by_id": self.env.uid,
                "decided_on": fields.Date.context_today(self),
            }
        )
        body = self.preview or ""
        # The task reads in the language of the person who does it; the draft stays in the customer's.
        doer = self.with_context(lang=self.user_id.lang or self.env.lang)
        doer_strategy = dict(self._fields["strategy"]._description_selection(doer.env))[self.strategy]
        partner.activity_schedule(
            "mail.mail_activity_data_email",
            date_deadline=self.date_deadline,
            summary=doer.env._("Courteous closing: %s", doer_strategy),
            note=body,
            user_id=self.user_id.id,
        )
        partner.message_post(
            body=self.env._(
                "Offboarding decided: %(strategy)s. Reason: %(reason)s. Marketing consent switched off; "
                "%(user)s will talk to the customer by %(date)s.",
                strategy=strategy_label,
                reason=reason,
                user=self.user_id.name,
                date=self.date_deadline,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {"type": "ir.actions.act_window_close"}
