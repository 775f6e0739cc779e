from odoo import api, fields, models

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

    _sql_constraints = [
        (
            "affinity_wait_max_positive",
            "CHECK (affinity_wait_max >= 0)",
            "Wait at Most cannot be negative.",
        )
    ]

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
                step.affinity_channel_id = self._affinity_action_channel(step.server_action_id.sudo(), channels)
            else:
                step.affinity_channel_id = channels.get(STEP_CHANNELS.get(step.step_type))

    @api.model
    def _affinity_action_channel(self, action, channels):
        """A server action that e-mails, texts or plans a call reaches the person as such a step does; a note
        reaches nobody. A multi action reaches by the first of its children that reaches someone."""
        if action.state == "mail_post" and action.mail_post_method != "note":
            return channels.get("email")
        if action.state == "sms" and action.sms_method != "note":
            return channels.get("sms")
        if action.state == "next_activity":
            return action.activity_type_id.affinity_channel_id
        if action.state == "multi":
            for child in action.child_ids:
                channel = self._affinity_action_channel(child, channels)
                if channel:
                    return channel
        return self.env["affinity.channel"]

    @api.model
    def _step_icons(self):
        return dict(super()._step_icons(), sms="fa fa-mobile")
