from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The steps that carry a message themselves; an activity reaches a person only through its type's channel.
STEP_CHANNELS = {"mail": "email", "sms": "sms"}


class AutomationConfigurationStep(models.Model):
    _inherit = "automation.configuration.step"

    step_type = fields.Selection(selection_add=[("sms", "SMS")], ondelete={"sms": "cascade"})
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template", domain="[('model_id', '=', model_id)]", ondelete="restrict"
    )
    affinity_purpose_id = fields.Many2one(
        "affinity.purpose",
        string="Purpose",
        required=True,
        ondelete="restrict",
        default=lambda self: self.env.ref(
            "crm_affinity.affinity_purpose_marketing", raise_if_not_found=False
        ),
        help="What this step contacts the person for: the consent decision asks the permission of this "
        "purpose, and a purpose that counts against the contact budget counts this step once done.",
    )
    affinity_channel_id = fields.Many2one(
        "affinity.channel",
        string="Reaches the Customer By",
        compute="_compute_affinity_channel_id",
        help="The channel this step reaches a person by: e-mail, SMS, or the channel of the activity's type "
        "(a call: phone). Empty: the step reaches nobody and asks no permission.",
    )
    affinity_wait_max = fields.Integer(
        string="Wait at Most",
        default=3,
        help="When the person may not be contacted right now (quiet days, contact window, contact budget), "
        "the step waits for the next allowed moment, but no longer than this; then it is skipped with its "
        "reason. 0: never wait.",
    )
    affinity_wait_max_type = fields.Selection(
        [("hours", "Hour(s)"), ("days", "Day(s)")], string="Wait at Most Unit", required=True, default="days"
    )
    affinity_best_hour = fields.Boolean(
        string="At the Person's Best Hour",
        help="When the step is due, it waits for the hour this person has answered best (learned from their "
        "own answers, else their segment's and the company's usual hours), among the moments the consent "
        "decision allows within Wait at Most.",
    )

    _sql_constraints = [
        (
            "affinity_wait_max_positive",
            "CHECK (affinity_wait_max >= 0)",
            "Wait at Most cannot be negative.",
        )
    ]

    @api.constrains("affinity_wait_max", "affinity_wait_max_type")
    def _check_affinity_wait_max(self):
        """A wait past a year is no moment the person chose, and a huge one overflows the gate's dates."""
        for step in self:
            if step.affinity_wait_max > (365 if step.affinity_wait_max_type == "days" else 8760):
                raise ValidationError(self.env._("Wait at Most cannot exceed a year (365 days, 8760 hours)."))

    @api.depends(
        "step_type",
        "activity_type_id.affinity_channel_id",
        "server_action_id.state",
        "server_action_id.mail_post_method",
        "server_action_id.sms_method",
        "server_action_id.activity_type_id.affinity_channel_id",
        "server_action_id.child_ids",
    )
    def _compute_affinity_channel_id(self):
        found = (
            self.env["affinity.channel"]
            .with_context(active_test=False)
            .search([("code", "in", list(STEP_CHANNELS.values()))])
        )
        channels = {channel.code: channel for channel in found}
        for step in self:
            if step.step_type == "activity":
                step.affinity_channel_id = step.activity_type_id.affinity_channel_id
            elif step.step_type == "action":
                step.affinity_channel_id = self._affinity_action_channels(
                    step.server_action_id.sudo(), channels
                )[:1]
            else:
                step.affinity_channel_id = channels.get(STEP_CHANNELS.get(step.step_type))

    @api.model
    def _affinity_action_channels(self, action, channels):
        """The channels a server action reaches the person by, as a step of that kind does: e-mail (posted
        or sent), SMS, a planned activity's channel; a note reaches nobody; a multi action, its children's."""
        if action.state == "mail_post" and action.mail_post_method != "note":
            return channels["email"]
        if action.state == "sms" and action.sms_method != "note":
            return channels["sms"]
        if action.state == "next_activity":
            return action.activity_type_id.affinity_channel_id
        found = self.env["affinity.channel"]
        if action.state == "multi":
            for child in action.child_ids:
                found |= self._affinity_action_channels(child, channels)
        return found

    @api.constrains("step_type", "server_action_id")
    def _check_affinity_action_channels(self):
        """The decision is asked for one channel: a server action reaching by several would use one not
        asked for."""
        channels = {
            channel.code: channel
            for channel in self.env["affinity.channel"]
            .with_context(active_test=False)
            .search([("code", "in", list(STEP_CHANNELS.values()))])
        }
        for step in self.filtered(lambda s: s.step_type == "action"):
            found = self._affinity_action_channels(step.server_action_id.sudo(), channels)
            if len(found) > 1:
                raise ValidationError(
                    self.env._(
                        "Server Action of step %(step)s reaches a person by %(channels)s: a step reaches by one "
                        "channel only, the one the consent decision is asked for.",
                        step=step.name,
                        channels=", ".join(found.mapped("name")),
                    )
                )

    @api.model
    def _step_icons(self):
        return dict(super()._step_icons(), sms="fa fa-mobile")
