import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.sql import drop_index

from .batching import process_in_batches

_logger = logging.getLogger(__name__)

AFFINITY_USER = "crm_affinity.group_affinity_user"
# Separators of the raw lines the summary statements return (ASCII record and unit separators).
LINE_SEPARATOR = "\x1e"
FIELD_SEPARATOR = "\x1f"
AFFINITY_MANAGER = "crm_affinity.group_affinity_manager"
PROFILE_FIELDS = {
    "affinity_salutation": "salutation",
    "affinity_nickname": "nickname",
    "affinity_conversation_openers": "conversation_openers",
    "affinity_notes": "notes",
}
# Partner fields every employee reads but only affinity users may change.
GUARDED_FIELDS = ("affinity_do_not_contact", "affinity_channel_ids", "affinity_window_ids")
OFFBOARD_STRATEGIES = [
    ("price_review", "Price review"),
    ("self_service", "Move to self-service"),
    ("stop_marketing", "Stop marketing"),
    ("end_relationship", "End the relationship"),
]
ATTRIBUTION_FIELDS = (
    "affinity_source_id",
    "affinity_medium_id",
    "affinity_campaign_id",
    "affinity_referred_by_id",
    "affinity_acquired_on",
)


@dataclass(frozen=True)
class ContactDecision:
    """May this partner be contacted over this channel for this purpose, and if not, why."""

    allowed: bool
    reason: str
    next_allowed: datetime.datetime | None = None


class DecisionFacts(NamedTuple):
    """What the decision query knows of one partner for one channel and purpose."""

    do_not_contact: bool
    has_address: bool
    blacklisted: bool
    state: str | None
    expiry: datetime.date | None
    marketing_state: str | None
    marketing_expiry: datetime.date | None


class ConsentPolicy(NamedTuple):
    """What one purpose demands under one company's settings."""

    commercial: bool
    greetings_follow_marketing: bool
    requires_consent: bool
    opt_in: bool


def phone_key(number):
    """Last ten digits: the same line whatever prefix or spacing it was typed with."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    return digits[-10:] if len(digits) >= 7 else ""


# The partner's own concerns live here; the public consent API extends res.partner in its own home
# (affinity_consent_api.py), as an engine file should.
# pylint: disable=consider-merging-classes-inherited
class ResPartner(models.Model):
    _inherit = "res.partner"

    # --- the information file (private) ---
    affinity_profile_ids = fields.One2many("affinity.profile", "partner_id", groups=AFFINITY_USER)
    affinity_salutation = fields.Char(
        string="Form of Address",
        compute="_compute_affinity_profile",
        inverse="_inverse_affinity_profile",
        groups=AFFINITY_USER,
        help="How this person likes to be addressed: 'Ayşe Hanım', 'Dr. Smith'. "
        "Every template of this addon uses it.",
    )
    affinity_nickname = fields.Char(
        compute="_compute_affinity_profile",
        inverse="_inverse_affinity_profile",
        groups=AFFINITY_USER,
    )
    affinity_conversation_openers = fields.Html(
        string="Conversation Openers",
        compute="_compute_affinity_profile",
        inverse="_inverse_affinity_profile",
        groups=AFFINITY_USER,
        sanitize_style=True,
    )
    affinity_notes = fields.Html(
        compute="_compute_affinity_profile",
        inverse="_inverse_affinity_profile",
        groups=AFFINITY_USER,
        sanitize_style=True,
    )
    affinity_preference_ids = fields.One2many(
        "affinity.preference", "partner_id", string="Likes and Dislikes", groups=AFFINITY_USER
    )
    affinity_gift_ids = fields.One2many(
        "affinity.gift", "partner_id", string="Gift History", groups=AFFINITY_USER
    )
    affinity_date_ids = fields.One2many(
        "affinity.date", "partner_id", string="Important Dates", groups=AFFINITY_USER
    )
    affinity_next_date = fields.Date(
        string="Next Important Date",
        compute="_compute_affinity_next_date",
        store=True,
        index=True,
        groups=AFFINITY_USER,
    )
    affinity_next_date_label = fields.Char(
        string="Next Occasion", compute="_compute_affinity_next_date", store=True, groups=AFFINITY_USER
    )

    # --- the relationship ---
    affinity_owner_id = fields.Many2one(
        "res.users",
        string="Relationship Owner",
        index=True,
        groups=AFFINITY_USER,
        domain=[("share", "=", False)],
    )
    affinity_cadence_days = fields.Integer(
        string="Contact Every (days)", groups=AFFINITY_USER, help="0: no cadence."
    )
    affinity_last_interaction = fields.Datetime(
        string="Last Interaction",
        readonly=True,
        groups=AFFINITY_USER,
        help="Latest of: done activity, logged note or message, confirmed sale order, won opportunity.",
    )
    affinity_next_contact_due = fields.Date(
        string="Next Contact Due",
        compute="_compute_affinity_next_contact_due",
        store=True,
        index=True,
        groups=AFFINITY_USER,
    )

    affinity_last_order_date = fields.Date(
        string="Last Purchase", readonly=True, index=True, groups=AFFINITY_USER
    )
    affinity_order_interval = fields.Float(
        string="Usual Purchase Interval (days)", readonly=True, groups=AFFINITY_USER
    )
    affinity_lapse_date = fields.Date(
        string="Lapses On",
        readonly=True,
        index=True,
        groups=AFFINITY_USER,
        help="Last purchase plus the customer's usual interval (times the company's lapse factor): "
        "no purchase by then and the customer is lapsing.",
    )
    # --- customer value (computed nightly by affinity.customer.value) ---
    affinity_value_date = fields.Date(string="Value Computed On", readonly=True, groups=AFFINITY_USER)
    affinity_rfm_recency = fields.Integer(
        string="Recency (days)", readonly=True, groups=AFFINITY_USER, help="Days since the last purchase."
    )
    affinity_rfm_frequency = fields.Integer(string="Purchases", readonly=True, groups=AFFINITY_USER)
    affinity_rfm_monetary = fields.Monetary(
        string="Revenue (all time)",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_USER,
    )
    affinity_rfm_r = fields.Integer(string="R Score", readonly=True, groups=AFFINITY_USER, aggregator="avg")
    affinity_rfm_f = fields.Integer(string="F Score", readonly=True, groups=AFFINITY_USER, aggregator="avg")
    affinity_rfm_m = fields.Integer(string="M Score", readonly=True, groups=AFFINITY_USER, aggregator="avg")
    # The nightly value columns carry no index: an update that touches no indexed column can stay on its
    # page (HOT) instead of adding an entry to every one of res_partner's ~40 indexes.
    affinity_rfm_score = fields.Char(string="RFM", readonly=True, groups=AFFINITY_USER)
    affinity_segment_id = fields.Many2one(
        "affinity.rfm.segment", string="Segment", readonly=True, groups=AFFINITY_USER
    )
    affinity_revenue_12m = fields.Monetary(
        string="Revenue (window)", currency_field="currency_id", readonly=True, groups=AFFINITY_USER
    )
    affinity_product_cost_12m = fields.Monetary(
        string="Product Cost", currency_field="currency_id", readonly=True, groups=AFFINITY_MANAGER
    )
    affinity_discount_12m = fields.Monetary(
        string="Discounts Given",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
    )
    affinity_service_cost_12m = fields.Monetary(
        string="Service Cost",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
        help="Done activities and complaints, at their unit costs.",
    )
    affinity_cost_to_serve = fields.Monetary(
        string="Cost to Serve",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
        help="Service cost plus discounts given.",
    )
    affinity_margin_12m = fields.Monetary(
        string="Margin",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_MANAGER,
        help="Revenue minus product cost minus service cost, over the value window.",
    )
    affinity_ltv = fields.Monetary(
        string="Lifetime Value",
        currency_field="currency_id",
        readonly=True,
        groups=AFFINITY_USER,
        help="(Yearly gross margin since the first purchase - yearly service cost) x expected lifetime.",
    )
    affinity_value_rank = fields.Integer(
        string="Value Rank", readonly=True, groups=AFFINITY_USER, aggregator=False
    )
    affinity_margin_rank = fields.Integer(
        string="Profitability Rank", readonly=True, groups=AFFINITY_MANAGER, aggregator=False
    )
    affinity_complaint_count = fields.Integer(string="Recent Complaints", readonly=True, groups=AFFINITY_USER)
    affinity_late_share = fields.Float(
        string="Paid Late (%)", readonly=True, groups=AFFINITY_USER, aggregator="avg"
    )
    affinity_days_late = fields.Float(
        string="Average Days Late", readonly=True, groups=AFFINITY_USER, aggregator="avg"
    )
    affinity_discount_share = fields.Float(
        string="Revenue at Discount (%)", readonly=True, groups=AFFINITY_USER, aggregator="avg"
    )
    affinity_vip = fields.Boolean(string="VIP", readonly=True, groups=AFFINITY_USER)
    affinity_flag_ids = fields.One2many(
        "affinity.review.flag", "partner_id", string="Review Flags", groups=AFFINITY_MANAGER
    )
    affinity_to_review = fields.Boolean(
        string="To Review",
        readonly=True,
        index=True,
        groups=AFFINITY_USER,
        help="A review flag of this customer waits for a manager's decision.",
    )
    affinity_offboard_strategy = fields.Selection(
        OFFBOARD_STRATEGIES, string="Offboarding", readonly=True, groups=AFFINITY_USER
    )
    affinity_offboard_reason = fields.Text(string="Offboarding Reason", readonly=True, groups=AFFINITY_USER)
    affinity_offboarded_on = fields.Date(string="Offboarded On", readonly=True, groups=AFFINITY_USER)
    affinity_offboarded_by_id = fields.Many2one(
        "res.users", string="Offboarded By", readonly=True, groups=AFFINITY_USER
    )
    affinity_followup_ids = fields.One2many("affinity.followup", "partner_id", groups=AFFINITY_USER)
    affinity_followup_count = fields.Integer(compute="_compute_affinity_file_summary", groups=AFFINITY_USER)
    affinity_segment_name = fields.Char(
        string="RFM Segment",
        compute="_compute_affinity_segment_name",
        groups=AFFINITY_USER,
        help="The segment, as the partner form shows it (named from a cache: no query).",
    )
    affinity_owner_name = fields.Char(
        string="Owner",
        compute="_compute_affinity_file_summary",
        groups=AFFINITY_USER,
        help="The relationship owner, as the partner form shows it; it is changed in the information file.",
    )
    affinity_file_summary = fields.Char(
        string="In the File",
        compute="_compute_affinity_file_summary",
        groups=AFFINITY_USER,
        help="What the information file holds; the file itself opens in one click.",
    )

    # --- where the customer came from (everyone reads it; affinity users change it) ---
    affinity_source_id = fields.Many2one("utm.source", string="Acquisition Source", index=True)
    affinity_medium_id = fields.Many2one("utm.medium", string="Acquisition Medium", index=True)
    affinity_campaign_id = fields.Many2one("utm.campaign", string="Acquisition Campaign", index=True)
    affinity_referred_by_id = fields.Many2one("res.partner", string="Referred By", index=True)
    affinity_acquired_on = fields.Date(string="Acquired On", index=True)
    affinity_attribution_manual = fields.Boolean(
        string="Attribution Set by Hand",
        help="Set as soon as someone edits the attribution: automatic filling then leaves it alone.",
    )
    affinity_referral_count = fields.Integer(
        string="Referrals", compute="_compute_affinity_communication_summary"
    )

    # --- communication permissions (every employee must respect them) ---
    affinity_consent_ids = fields.One2many("affinity.consent", "partner_id", string="Consents")
    affinity_consent_log_ids = fields.One2many("affinity.consent.log", "partner_id", string="Consent History")
    affinity_do_not_contact = fields.Boolean(
        string="Do Not Contact", help="No automated or marketing message reaches this partner."
    )
    affinity_channel_ids = fields.One2many(
        "affinity.partner.channel",
        "partner_id",
        string="Preferred Channels",
        help="Channels in the order this partner prefers them, with cautions.",
    )
    affinity_window_ids = fields.One2many("affinity.contact.window", "partner_id", string="Contact Windows")
    affinity_caution_text = fields.Text(
        string="Channel Cautions", compute="_compute_affinity_communication_summary"
    )
    affinity_consent_summary = fields.Text(
        string="Consents at a Glance", compute="_compute_affinity_communication_summary"
    )

    def init(self):
        result = super().init()
        # Odoo keeps an index a field no longer asks for: the value columns' former indexes go here.
        for column in ("affinity_rfm_score", "affinity_segment_id", "affinity_vip"):
            drop_index(self.env.cr, f"res_partner__{column}_index", "res_partner")
        return result

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "affinity_profile_ids.salutation",
        "affinity_profile_ids.nickname",
        "affinity_profile_ids.conversation_openers",
        "affinity_profile_ids.notes",
        # What the salesperson-scope rules read: a new owner or salesperson may now see the file.
        "affinity_owner_id",
        "user_id",
    )
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_affinity_profile(self):
        # The search applies the salesperson-scope rules: an unreadable file simply shows empty.
        profiles = self.env["affinity.profile"].search_fetch(
            [("partner_id", "in", self.ids)], ["partner_id", *PROFILE_FIELDS.values()]
        )
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        for partner in self:
            profile = by_partner.get(partner.id)
            for partner_field, profile_field in PROFILE_FIELDS.items():
                partner[partner_field] = profile[profile_field] if profile else False

    def _inverse_affinity_profile(self):
        profiles = self.env["affinity.profile"].search([("partner_id", "in", self.ids)])
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        for partner in self:
            vals = {
                profile_field: partner[partner_field]
                for partner_field, profile_field in PROFILE_FIELDS.items()
            }
            profile = by_partner.get(partner.id)
            if profile:
                profile.write(vals)
            elif any(vals.values()):
                self.env["affinity.profile"].create(dict(vals, partner_id=partner.id))

    @api.depends("affinity_date_ids.next_date", "affinity_date_ids.kind_id", "affinity_date_ids.name")
    def _compute_affinity_next_date(self):
        for partner in self:
            upcoming = partner.affinity_date_ids.filtered("next_date").sorted("next_date")[:1]
            partner.affinity_next_date = upcoming.next_date
            partner.affinity_next_date_label = upcoming.name or upcoming.kind_id.name or False

    @api.depends("affinity_cadence_days", "affinity_last_interaction")
    def _compute_affinity_next_contact_due(self):
        for partner in self:
            if not partner.affinity_cadence_days:
                partner.affinity_next_contact_due = False
                continue
            start = partner.affinity_last_interaction or partner.create_date or fields.Datetime.now()
            partner.affinity_next_contact_due = start.date() + datetime.timedelta(
                days=partner.affinity_cadence_days
            )

    @api.depends("affinity_segment_id")
    @api.depends_context("lang")
    def _compute_affinity_segment_name(self):
        names = self.env["affinity.rfm.segment"]._names_by_id()
        for partner in self:
            partner.affinity_segment_name = names.get(partner.affinity_segment_id.id, False)

    @api.depends(
        "affinity_preference_ids",
        "affinity_date_ids",
        "affinity_gift_ids",
        "affinity_followup_ids",
        "affinity_owner_id",
    )
    @api.depends_context("uid", "allowed_company_ids", "lang")
    def _compute_affinity_file_summary(self):
        """Counts behind the information file, in one statement that keeps to the reader's record rules."""
        rows = self._affinity_count_rows(
            {
                "likes": ("affinity.preference", "partner_id"),
                "dates": ("affinity.date", "partner_id"),
                "gifts": ("affinity.gift", "partner_id"),
                "followups": ("affinity.followup", "partner_id"),
            },
            texts={"owner": (self._affinity_owner_lines_query(), str)},
        )
        for partner in self:
            counts = rows.get(partner.id, {})
            partner.affinity_followup_count = counts.get("followups", 0)
            partner.affinity_owner_name = counts.get("owner") or False
            parts = [
                self.env._("%s likes and dislikes", counts["likes"]) if counts.get("likes") else "",
                self.env._("%s important dates", counts["dates"]) if counts.get("dates") else "",
                self.env._("%s gifts", counts["gifts"]) if counts.get("gifts") else "",
            ]
            partner.affinity_file_summary = " · ".join(filter(None, parts)) or self.env._("Nothing yet")

    @api.depends(
        "affinity_channel_ids.caution",
        "affinity_channel_ids.channel_id",
        "affinity_consent_ids.state",
        "affinity_consent_ids.channel_id",
        "affinity_consent_ids.purpose_id",
    )
    @api.depends_context("uid", "allowed_company_ids", "lang")
    def _compute_affinity_communication_summary(self):
        """Referrals, cautions and consents for the partner form, in one statement."""
        channels = self.env["affinity.channel"]._names_by_id()
        purposes = self.env["affinity.purpose"]._names_by_id()
        states = dict(self.env["affinity.consent"]._fields["state"]._description_selection(self.env))

        def caution(raw):
            channel_id, text = raw.split(FIELD_SEPARATOR, 1)
            return f"{channels.get(int(channel_id), '')}: {text}"

        def consent(raw):
            channel_id, purpose_id, state = raw.split(FIELD_SEPARATOR)
            return (
                f"{channels.get(int(channel_id), '')} / {purposes.get(int(purpose_id), '')}: {states[state]}"
            )

        rows = self._affinity_count_rows(
            {"referrals": ("res.partner", "affinity_referred_by_id")},
            texts={
                "cautions": (self._affinity_caution_lines_query(), caution),
                "consents": (self._affinity_consent_lines_query(), consent),
            },
        )
        for partner in self:
            values = rows.get(partner.id, {})
            partner.affinity_referral_count = values.get("referrals", 0)
            partner.affinity_caution_text = values.get("cautions") or False
            partner.affinity_consent_summary = values.get("consents") or False

    def _affinity_count_rows(self, counts, texts=None):
        """{partner_id: {name: value}} for counted lines of other models and text lines, in one statement.

        :param counts: {name: (model, partner field)}: lines counted through the reader's record rules
        :param texts: {name: (SQL returning (key, line), line formatter)}: formatted lines, sorted, one a line
        """
        ids = [partner_id for partner_id in self.ids if partner_id]
        if not ids:
            return {}
        parts = []
        for name, (model, field) in counts.items():
            query = self.env[model]._search([(field, "in", ids)])
            parts.append(
                SQL(
                    "SELECT grouped.key, %(name)s, count(*)::text FROM (%(lines)s) grouped GROUP BY grouped.key",
                    name=name,
                    lines=query.select(
                        SQL("%s AS key", self.env[model]._field_to_sql(query.table, field, query))
                    ),
                )
            )
        texts = texts or {}
        for name, (lines, _format) in texts.items():
            parts.append(
                SQL(
                    "SELECT lines.key, %(name)s, string_agg(lines.line, %(sep)s) FROM (%(lines)s) lines "
                    "GROUP BY lines.key",
                    name=name,
                    sep=LINE_SEPARATOR,
                    lines=lines,
                )
            )
        rows = self.env.execute_query(SQL(" UNION ALL ").join(parts))
        result = defaultdict(dict)
        for partner_id, name, value in rows:
            if name in counts:
                result[partner_id][name] = int(value)
            else:
                result[partner_id][name] = "\n".join(sorted(map(texts[name][1], value.split(LINE_SEPARATOR))))
        return result

    def _affinity_owner_lines_query(self):
        # A many2one on the form would read every field of the user: the name is all the summary needs.
        self.flush_model(["affinity_owner_id"])
        return SQL(
            """SELECT p.id AS key, owner.name AS line
                 FROM res_partner p
                 JOIN res_users u ON u.id = p.affinity_owner_id
                 JOIN res_partner owner ON owner.id = u.partner_id
                WHERE p.id = ANY(%s)""",
            self.ids,
        )

    def _affinity_caution_lines_query(self):
        self.env["affinity.partner.channel"].flush_model(["partner_id", "channel_id", "caution"])
        return SQL(
            """SELECT pc.partner_id AS key, pc.channel_id || %(sep)s || pc.caution AS line
                 FROM affinity_partner_channel pc
                WHERE pc.partner_id = ANY(%(ids)s) AND COALESCE(pc.caution, '') != ''""",
            sep=FIELD_SEPARATOR,
            ids=self.ids,
        )

    def _affinity_consent_lines_query(self):
        """Each consent raw, as (channel, purpose, state); names come from the cache, not from joins."""
        self.env["affinity.consent"].flush_model(["partner_id", "channel_id", "purpose_id", "state"])
        consents = self.env["affinity.consent"]._search([("partner_id", "in", self.ids)])
        return SQL(
            """SELECT c.partner_id AS key, concat_ws(%(sep)s, c.channel_id, c.purpose_id, c.state) AS line
                 FROM affinity_consent c
                WHERE c.id IN (%(visible)s)""",
            sep=FIELD_SEPARATOR,
            visible=consents.subselect(),
        )

    @api.constrains("affinity_cadence_days")
    def _check_affinity_cadence_days(self):
        for partner in self:
            if partner.affinity_cadence_days < 0:
                raise ValidationError(
                    self.env._("The contact cadence of %s cannot be negative.", partner.display_name)
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        guarded = any(field in vals for field in GUARDED_FIELDS + ATTRIBUTION_FIELDS)
        if guarded and not self.env.su and not self.env.user.has_group(AFFINITY_USER):
            raise AccessError(
                self.env._(
                    "Only Affinity users may change a partner's communication preferences or attribution."
                )
            )
        if any(field in vals for field in ATTRIBUTION_FIELDS) and not self.env.context.get(
            "affinity_auto_attribution"
        ):
            vals = dict(vals, affinity_attribution_manual=True)
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_affinity_open_file(self):
        """The whole information file: likes, dates, gifts, openers and notes, on a page of its own."""
        return self._affinity_open_view(
            "crm_affinity.res_partner_view_form_affinity_file", self.env._("Information file")
        )

    def action_affinity_open_communication(self):
        """Consents, preferred channels, contact windows, the consent history and the origin."""
        return self._affinity_open_view(
            "crm_affinity.res_partner_view_form_affinity_communication", self.env._("Communication")
        )

    def _affinity_open_view(self, view_xmlid, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "res.partner",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref(view_xmlid).id, "form")],
            "target": "current",
        }

    def action_affinity_followups(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_affinity.affinity_followup_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"search_default_by_state": 1}
        return action

    def action_affinity_offboard(self):
        """Open the graceful offboarding: a decision, a reason and a courteous closing, never a silent drop."""
        self.ensure_one()
        if not self.env.user.has_group(AFFINITY_MANAGER):
            raise AccessError(self.env._("Only Affinity administrators may offboard a customer."))
        flags = self.env["affinity.review.flag"].search(
            [("partner_id", "=", self.id), ("state", "=", "to_review")]
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Offboard %s", self.display_name),
            "res_model": "affinity.offboard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": self.id,
                "default_flag_ids": self.env.context.get("default_flag_ids") or flags.ids,
            },
        }

    def action_affinity_review_flags(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_affinity.affinity_review_flag_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"active_test": False}
        return action

    @api.model
    def action_affinity_recompute_value(self):
        """Recompute now what the nightly job would, and say what changed."""
        if not self.env.user.has_group(AFFINITY_MANAGER):
            raise AccessError(self.env._("Only Affinity administrators may recompute customer value."))
        counts = self.env["affinity.customer.value"].sudo()._recompute()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Customer value recomputed"),
                "message": self.env._(
                    "%(customers)s customers valued, %(changed)s changed; %(raised)s flags raised or updated, "
                    "%(archived)s cleared.",
                    customers=counts["customers"],
                    changed=counts["changed"],
                    raised=counts["flags_raised"],
                    archived=counts["flags_archived"],
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_affinity_export_file(self):
        """Right of access: hand the person everything the file says about them."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "affinity.file.export",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    def action_affinity_erase_file(self):
        """Right to erasure: the file goes, the consent history stays as proof."""
        if not self.env.user.has_group(AFFINITY_MANAGER):
            raise AccessError(self.env._("Only Affinity administrators may erase an information file."))
        for partner in self:
            partner.affinity_profile_ids.unlink()
            partner.affinity_preference_ids.unlink()
            partner.affinity_gift_ids.unlink()
            partner.affinity_date_ids.unlink()
            partner.write(
                {"affinity_cadence_days": 0, "affinity_owner_id": False, "affinity_last_interaction": False}
            )
            partner.message_post(
                body=self.env._("Affinity file erased on request. The consent history is kept as proof."),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _affinity_file_data(self):
        """Everything the file says about this person, as plain data (right of access)."""
        self.ensure_one()

        def rows(records, fields_list):
            return [
                {
                    name: (record[name].display_name if hasattr(record[name], "_name") else record[name])
                    for name in fields_list
                }
                for record in records
            ]

        return {
            "person": {
                "name": self.name,
                "email": self.email or "",
                "phone": self.phone or "",
                "mobile": self.mobile or "",
                "form_of_address": self.affinity_salutation or "",
                "nickname": self.affinity_nickname or "",
                "conversation_openers": self.affinity_conversation_openers or "",
                "notes": self.affinity_notes or "",
                "relationship_owner": self.affinity_owner_id.name or "",
                "contact_every_days": self.affinity_cadence_days,
                "last_interaction": self.affinity_last_interaction or "",
                "do_not_contact": self.affinity_do_not_contact,
            },
            "preferences": rows(self.affinity_preference_ids, ["category_id", "polarity", "name", "note"]),
            "gifts": rows(self.affinity_gift_ids, ["date", "occasion", "name", "cost", "reaction"]),
            "important_dates": rows(
                self.affinity_date_ids, ["kind_id", "name", "day", "month", "year", "recurring", "next_date"]
            ),
            "consents": rows(
                self.affinity_consent_ids,
                [
                    "channel_id",
                    "purpose_id",
                    "state",
                    "legal_basis",
                    "date_given",
                    "source",
                    "proof_ref",
                    "expiry_date",
                ],
            ),
            "consent_history": rows(
                self.affinity_consent_log_ids,
                [
                    "create_date",
                    "channel_id",
                    "purpose_id",
                    "old_state",
                    "new_state",
                    "source",
                    "proof_ref",
                    "user_id",
                    "note",
                ],
            ),
        }

    def _affinity_fill_attribution(self, all_customers=False):
        """Where each customer came from, from the first won opportunity, else the first confirmed order,
        else the lead that created them; one statement, and never over a value a person set."""
        if not self and not all_customers:
            return 0
        for model in ("res.partner", "crm.lead", "sale.order"):
            self.env[model].flush_model()

        def scope(column):
            return SQL() if all_customers else SQL("AND %s = ANY(%s)", SQL(column), self.ids)

        rows = self.env.execute_query(
            SQL(
                """
                WITH candidates AS (
                    SELECT l.partner_id, 1 AS priority, l.date_closed AS happened, l.source_id, l.medium_id,
                           l.campaign_id
                      FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id
                     WHERE s.is_won AND l.active AND l.partner_id IS NOT NULL %(lead_scope)s
                    UNION ALL
                    SELECT so.partner_id, 2, so.date_order, so.source_id, so.medium_id, so.campaign_id
                      FROM sale_order so
                     WHERE so.state = 'sale' %(order_scope)s
                    UNION ALL
                    SELECT l.partner_id, 3, l.create_date, l.source_id, l.medium_id, l.campaign_id
                      FROM crm_lead l
                     WHERE l.partner_id IS NOT NULL %(lead_scope)s
                ), per_partner AS (
                    -- The first touch that carries any UTM value: the same row for all three columns.
                    SELECT partner_id,
                           min(happened) FILTER (WHERE priority < 3)::date AS acquired_on,
                           (array_agg(source_id ORDER BY priority, happened) FILTER (WHERE %(has_utm)s))[1]
                               AS source_id,
                           (array_agg(medium_id ORDER BY priority, happened) FILTER (WHERE %(has_utm)s))[1]
                               AS medium_id,
                           (array_agg(campaign_id ORDER BY priority, happened) FILTER (WHERE %(has_utm)s))[1]
                               AS campaign_id
                      FROM candidates
                     GROUP BY partner_id
                )
                UPDATE res_partner p
                   SET affinity_source_id = COALESCE(p.affinity_source_id, f.source_id),
                       affinity_medium_id = COALESCE(p.affinity_medium_id, f.medium_id),
                       affinity_campaign_id = COALESCE(p.affinity_campaign_id, f.campaign_id),
                       affinity_acquired_on = COALESCE(p.affinity_acquired_on, f.acquired_on)
                  FROM per_partner f
                 WHERE p.id = f.partner_id AND f.acquired_on IS NOT NULL
                   AND NOT COALESCE(p.affinity_attribution_manual, FALSE)
                   AND (p.affinity_acquired_on IS NULL
                        OR (p.affinity_source_id IS NULL AND f.source_id IS NOT NULL))
                RETURNING p.id
                """,
                lead_scope=scope("l.partner_id"),
                order_scope=scope("so.partner_id"),
                has_utm=SQL("source_id IS NOT NULL OR medium_id IS NOT NULL OR campaign_id IS NOT NULL"),
            )
        )
        self.invalidate_model(list(ATTRIBUTION_FIELDS))
        return len(rows)

    def affinity_greeting_name(self):
        """How templates address the person: the form of address only where the rendering user may read it."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(AFFINITY_USER):
            return self.name
        # The profile compute applies the record rules of whoever renders (salesperson scope, companies);
        # the dispatcher renders as superuser and gets the real salutation.
        return self.affinity_salutation or self.name

    # ------------------------------------------------------------------
    # Business methods: relationship
    # ------------------------------------------------------------------

    def _affinity_interaction_dates(self):
        """Latest interaction per partner (own or of its contacts), set-based over four sources."""
        if not self.ids:
            return {}
        for model in ("mail.message", "sale.order", "crm.lead", "res.partner"):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                WITH targets AS (
                    SELECT id, commercial_partner_id FROM res_partner
                     WHERE id = ANY(%(ids)s) OR commercial_partner_id = ANY(%(ids)s)
                ), events AS (
                    SELECT m.res_id AS partner_id, max(m.date) AS happened
                      FROM mail_message m
                     WHERE m.model = 'res.partner' AND m.res_id IN (SELECT id FROM targets)
                       AND (m.message_type IN ('comment', 'email') OR m.mail_activity_type_id IS NOT NULL)
                       AND m.author_id IS DISTINCT FROM %(robot)s
                     GROUP BY m.res_id
                    UNION ALL
                    SELECT m.author_id, max(m.date)
                      FROM mail_message m
                     WHERE m.author_id IN (SELECT id FROM targets) AND m.message_type = 'email'
                     GROUP BY m.author_id
                    UNION ALL
                    SELECT l.partner_id, max(m.date)
                      FROM crm_lead l
                      JOIN mail_message m ON m.model = 'crm.lead' AND m.res_id = l.id
                     WHERE l.partner_id IN (SELECT id FROM targets) AND m.mail_activity_type_id IS NOT NULL
                     GROUP BY l.partner_id
                    UNION ALL
                    SELECT so.partner_id, max(so.date_order)
                      FROM sale_order so
                     WHERE so.partner_id IN (SELECT id FROM targets) AND so.state = 'sale'
                     GROUP BY so.partner_id
                    UNION ALL
                    SELECT l.partner_id, max(l.date_closed)
                      FROM crm_lead l
                      JOIN crm_stage s ON s.id = l.stage_id
                     WHERE l.partner_id IN (SELECT id FROM targets) AND s.is_won AND l.active
                     GROUP BY l.partner_id
                )
                SELECT owner.id, max(e.happened)
                  FROM events e
                  JOIN targets t ON t.id = e.partner_id
                  JOIN res_partner owner ON owner.id IN (t.id, t.commercial_partner_id)
                 WHERE owner.id = ANY(%(ids)s)
                 GROUP BY owner.id
                """,
                ids=self.ids,
                robot=self.env.ref("base.partner_root").id,
            )
        )
        return dict(rows)

    def _affinity_refresh_last_interaction(self):
        """Recompute the last interaction from the sources themselves (truth after deletions)."""
        latest = self._affinity_interaction_dates()
        for partner in self.sudo():
            value = latest.get(partner.id) or False
            if partner.affinity_last_interaction != value:
                partner.affinity_last_interaction = value

    def _affinity_bump_interaction(self, when=None):
        """An interaction just happened: move the date forward, for the partners and their companies.

        One statement whatever the number of partners (core flows pay a constant); the next contact due
        is then recomputed by its compute for them all together.
        """
        if not self.ids:
            return
        when = when or fields.Datetime.now()
        self.flush_model(["affinity_last_interaction", "commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
                UPDATE res_partner p
                   SET affinity_last_interaction = %(when)s
                  FROM res_partner src
                 WHERE src.id = ANY(%(ids)s)
                   AND p.id IN (src.id, src.commercial_partner_id)
                   AND (p.affinity_last_interaction IS NULL OR p.affinity_last_interaction < %(when)s)
                RETURNING p.id
                """,
                when=when,
                ids=self.ids,
            )
        )
        # The next contact due follows by its own compute, for all bumped partners at once.
        bumped = self.browse([row[0] for row in rows])
        bumped.invalidate_recordset(["affinity_last_interaction"])
        bumped.modified(["affinity_last_interaction"])

    @api.model
    def _cron_refresh_relationships(self, batch_size=5000):
        """Nightly truth for last interaction and purchase rhythm."""
        partners = self.sudo().search(
            ["|", ("affinity_cadence_days", ">", 0), ("affinity_owner_id", "!=", False)]
        )
        process_in_batches(partners, lambda batch: batch._affinity_refresh_last_interaction(), batch_size)
        self.sudo()._affinity_refresh_purchase_rhythm(all_customers=True)
        self.sudo()._affinity_fill_attribution(all_customers=True)

    @api.model
    def _cron_affinity_value(self):
        """Nightly RFM, value, cost to serve and review flags for every customer."""
        return self.env["affinity.customer.value"].sudo()._recompute()

    def _affinity_refresh_review_state(self):
        """Keep the 'to review' mark in step with flags changed through the ORM, by the nightly rule."""
        if not self:
            return
        self.env["affinity.review.flag"].flush_model(["partner_id", "state", "kind", "active"])
        self.flush_model(["affinity_to_review"])
        self.env.execute_query(self.env["affinity.customer.value"]._review_state_query(self.ids))
        self.invalidate_recordset(["affinity_to_review"])

    def _affinity_refresh_purchase_rhythm(self, all_customers=False):
        """Last purchase, usual interval and lapse day from confirmed orders, in one statement.

        Only rows whose values change are written, so a nightly run over all customers touches the
        customers who bought since.
        """
        if not self and not all_customers:
            return 0
        company = self.env.company
        self.env["sale.order"].flush_model(["partner_id", "state", "date_order"])
        self.flush_model(["affinity_last_order_date", "affinity_order_interval", "affinity_lapse_date"])
        scope = SQL() if all_customers else SQL("AND so.partner_id = ANY(%s)", self.ids)
        rows = self.env.execute_query(
            SQL(
                """
                WITH stats AS (
                    SELECT so.partner_id, max(so.date_order)::date AS last_order,
                           CASE WHEN count(*) > 1
                                THEN (max(so.date_order)::date - min(so.date_order)::date)::float / (count(*) - 1)
                           END AS interval_days
                      FROM sale_order so
                     WHERE so.state = 'sale' %(scope)s
                     GROUP BY so.partner_id
                ), target AS (
                    SELECT partner_id, last_order, interval_days,
                           last_order + GREATEST(%(min_days)s, CEIL(%(factor)s * COALESCE(interval_days, 0)))::int
                               AS lapse
                      FROM stats
                )
                UPDATE res_partner p
                   SET affinity_last_order_date = t.last_order,
                       affinity_order_interval = t.interval_days,
                       affinity_lapse_date = t.lapse
                  FROM target t
                 WHERE p.id = t.partner_id
                   AND (p.affinity_last_order_date IS DISTINCT FROM t.last_order
                        OR p.affinity_order_interval IS DISTINCT FROM t.interval_days
                        OR p.affinity_lapse_date IS DISTINCT FROM t.lapse)
                RETURNING p.id
                """,
                scope=scope,
                min_days=company.affinity_lapse_min_days,
                factor=company.affinity_lapse_factor,
            )
        )
        self.invalidate_model(["affinity_last_order_date", "affinity_order_interval", "affinity_lapse_date"])
        return len(rows)

    # ------------------------------------------------------------------
    # Business methods: consent
    # ------------------------------------------------------------------

    def _affinity_cautions(self, channel_codes=None):
        """Channel cautions to show whoever is about to write to these partners."""
        lines = self.sudo().affinity_channel_ids.filtered(
            lambda line: line.caution and (not channel_codes or line.channel_id.code in channel_codes)
        )
        return (
            "\n".join(f"{line.partner_id.name} – {line.channel_id.name}: {line.caution}" for line in lines)
            or False
        )

    def _affinity_set_consent(
        self, channel, purpose, state, source="manual", proof_ref=False, note=False, legal_basis="consent"
    ):
        """Record one consent state for every partner of the set, logged; unchanged rows stay quiet."""
        channel = self.env["affinity.channel"]._get_by_code(channel)
        purpose = self.env["affinity.purpose"]._get_by_code(purpose)
        consents = (
            self.env["affinity.consent"]
            .sudo()
            .with_context(affinity_from_blacklist=source == "blacklist", affinity_consent_note=note)
        )
        existing = consents.search(
            [("partner_id", "in", self.ids), ("channel_id", "=", channel.id), ("purpose_id", "=", purpose.id)]
        )
        vals = {
            "state": state,
            "source": source,
            "proof_ref": proof_ref,
            "legal_basis": legal_basis,
            "date_given": fields.Datetime.now(),
        }
        changed = existing.filtered(lambda consent: consent.state != state)
        if changed:
            changed.write(vals)
        if state == "not_asked":
            return changed
        known = set(existing.partner_id.ids)
        created = consents.create(
            [
                dict(vals, partner_id=partner.id, channel_id=channel.id, purpose_id=purpose.id)
                for partner in self
                if partner.id not in known
            ]
        )
        return changed | created

    # ------------------------------------------------------------------
    # Business methods: the one contact decision
    # ------------------------------------------------------------------

    def _affinity_blacklist_addresses(self, kind):
        """Addresses of this partner that Odoo's blacklist of that kind would hold."""
        self.ensure_one()
        if kind == "email":
            return [self.email_normalized] if self.email_normalized else []
        numbers = []
        for number in (self.mobile, self.phone):
            if number:
                sanitized = self._phone_format(number=number, force_format="E164", raise_exception=False)
                if sanitized and sanitized not in numbers:
                    numbers.append(sanitized)
        return numbers

    def _affinity_contact_decision(self, channel, purpose, when=None, check_window=True):
        """Decide, for every partner of the recordset, whether a message may go out.

        :param channel: affinity.channel record or code ('email', 'sms', ...)
        :param purpose: affinity.purpose record or code ('marketing', 'service', 'relationship')
        :param when: UTC naive datetime of the send (default: now)
        :param check_window: also require the moment to fall inside a contact window
        :return: {partner_id: ContactDecision}
        """
        channel = self.env["affinity.channel"]._get_by_code(channel)
        purpose = self.env["affinity.purpose"]._get_by_code(purpose)
        if not channel or not purpose:
            raise UserError(self.env._("Unknown channel or purpose for a contact decision."))
        when = when or fields.Datetime.now()
        if not self.ids:
            return {}
        marketing = self.env.ref("crm_affinity.affinity_purpose_marketing")
        for model in ("res.partner", "affinity.consent", "mail.blacklist", "phone.blacklist"):
            self.env[model].flush_model()
        rows = self.env.execute_query(self._affinity_decision_query(channel, purpose, marketing))
        companies = {}
        company_windows = {}
        decisions = {}
        windows = self._affinity_windows_by_partner(channel) if check_window else {}
        default_company = self.env.company
        today = when.date()
        # Few distinct fact combinations stand behind many partners: decide each combination once.
        decided = {}
        for row in rows:
            partner_id, company_id, tz = row[0], row[8], row[9]
            key = (company_id, row[1:8])
            decision = decided.get(key)
            if decision is None:
                policy = companies.get(company_id)
                if policy is None:
                    company = self.env["res.company"].browse(company_id) if company_id else default_company
                    policy = companies[company_id] = self._affinity_policy(purpose, company)
                    company_windows[company_id] = company._affinity_default_windows(channel)
                decision = decided[key] = self._affinity_decide_one(policy, today, DecisionFacts(*row[1:8]))
            if decision.allowed and check_window:
                partner_windows = windows.get(partner_id) or company_windows[company_id]
                decision = self._affinity_check_window(decision, partner_windows, tz, when)
            decisions[partner_id] = decision
        return decisions

    def _affinity_decision_query(self, channel, purpose, marketing):
        """One statement for the whole recordset: address, blacklist and both consents."""
        if channel.address_kind == "email":
            has_address = SQL("p.email_normalized IS NOT NULL AND p.email_normalized != ''")
        elif channel.address_kind in ("phone", "mobile"):
            has_address = SQL("COALESCE(p.mobile, '') != '' OR COALESCE(p.phone, '') != ''")
        elif channel.address_kind == "street":
            has_address = SQL("COALESCE(p.street, '') != '' AND COALESCE(p.city, p.zip, '') != ''")
        else:
            has_address = SQL("TRUE")
        if channel.blacklist_kind == "email":
            blacklisted = SQL("p.email_normalized IN (SELECT email FROM mail_blacklist WHERE active)")
        elif channel.blacklist_kind == "phone":
            blacklisted = SQL(
                """(right(regexp_replace(COALESCE(p.mobile, ''), '\\D', '', 'g'), 10) IN (SELECT k FROM phone_bl)
                    OR right(regexp_replace(COALESCE(p.phone, ''), '\\D', '', 'g'), 10) IN (SELECT k FROM phone_bl))"""
            )
        else:
            blacklisted = SQL("FALSE")
        if purpose == marketing:
            # The consent already joined is the marketing one: no second join.
            marketing_columns, marketing_join = SQL("c.state, c.expiry_date"), SQL()
        else:
            marketing_columns = SQL("cm.state, cm.expiry_date")
            marketing_join = SQL(
                "LEFT JOIN affinity_consent cm ON cm.partner_id = p.id AND cm.channel_id = %s AND cm.purpose_id = %s",
                channel.id,
                marketing.id,
            )
        return SQL(
            """
            WITH phone_bl AS (
                SELECT right(regexp_replace(number, '\\D', '', 'g'), 10) AS k
                  FROM phone_blacklist
                 WHERE active AND length(regexp_replace(number, '\\D', '', 'g')) >= 7
            )
            SELECT p.id, COALESCE(p.affinity_do_not_contact, FALSE), (%(has_address)s),
                   COALESCE((%(blacklisted)s), FALSE),
                   c.state, c.expiry_date, %(marketing_columns)s, p.company_id, p.tz
              FROM res_partner p
              LEFT JOIN affinity_consent c
                ON c.partner_id = p.id AND c.channel_id = %(channel)s AND c.purpose_id = %(purpose)s
              %(marketing_join)s
             WHERE p.id = ANY(%(ids)s::int[])
            """,
            has_address=has_address,
            blacklisted=blacklisted,
            channel=channel.id,
            purpose=purpose.id,
            marketing_columns=marketing_columns,
            marketing_join=marketing_join,
            # One array literal rather than one SQL constant per id: a mass mailing passes 100 000.
            ids="{" + ",".join(map(str, self.ids)) + "}",
        )

    @api.model
    def _affinity_policy(self, purpose, company):
        """What a purpose demands in a company, read once per decision rather than once per partner."""
        is_marketing = purpose.code == "marketing"
        commercial = is_marketing or (
            purpose.code == "relationship" and company.affinity_relationship_commercial
        )
        return ConsentPolicy(
            commercial=commercial,
            greetings_follow_marketing=commercial and not is_marketing,
            requires_consent=purpose.requires_consent or commercial,
            opt_in=company.affinity_consent_mode == "opt_in",
        )

    @api.model
    def _affinity_decide_one(self, policy, today, facts):
        """The rules, in the order a careful person would apply them."""
        if facts.do_not_contact:
            return ContactDecision(False, "do_not_contact")
        if not facts.has_address:
            return ContactDecision(False, "no_address")
        states = [(facts.state, facts.expiry)]
        if policy.greetings_follow_marketing:
            # IYS counts greetings as commercial: the marketing consent speaks too.
            states.append((facts.marketing_state, facts.marketing_expiry))
        if any(s == "denied" for s, _e in states):
            return ContactDecision(False, "denied")
        if policy.commercial and facts.blacklisted:
            return ContactDecision(False, "blacklisted")
        granted = [(s, e) for s, e in states if s == "granted"]
        if granted:
            if all(e and e < today for _s, e in granted):
                return ContactDecision(False, "expired")
            return ContactDecision(True, "granted")
        if not policy.requires_consent:
            return ContactDecision(True, "not_required")
        if policy.opt_in:
            return ContactDecision(False, "not_asked_optin_mode")
        return ContactDecision(True, "not_asked_optout_mode")

    def _affinity_windows_by_partner(self, channel):
        """Partner windows, channel-specific ones winning over all-channel ones."""
        windows = (
            self.env["affinity.contact.window"]
            .sudo()
            .search_read(
                [
                    ("partner_id", "in", self.ids),
                    "|",
                    ("channel_id", "=", channel.id),
                    ("channel_id", "=", False),
                ],
                ["partner_id", "channel_id", "weekday", "hour_from", "hour_to"],
            )
        )
        specific, general = defaultdict(list), defaultdict(list)
        for window in windows:
            target = specific if window["channel_id"] else general
            target[window["partner_id"][0]].append(
                (int(window["weekday"]), window["hour_from"], window["hour_to"])
            )
        return {pid: specific.get(pid) or general.get(pid) for pid in set(specific) | set(general)}

    @api.model
    def _affinity_check_window(self, decision, windows, tz_name, when):
        """Inside a window: unchanged. Outside: not now, and here is the next moment that is."""
        if not windows:
            return decision
        try:
            tz = ZoneInfo(tz_name or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        utc_when = when.replace(tzinfo=datetime.UTC)
        local = utc_when.astimezone(tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        weekday = local.weekday()
        if any(day == weekday and start <= hour < end for day, start, end in windows):
            return decision
        for offset in range(8):
            day_date = local.date() + datetime.timedelta(days=offset)
            starts = sorted(
                start
                for day, start, _end in windows
                if day == day_date.weekday() and (offset or start > hour)
            )
            if starts:
                hours, minutes = divmod(round(starts[0] * 60), 60)
                local_start = datetime.datetime.combine(
                    day_date, datetime.time(hours % 24, minutes), tzinfo=tz
                )
                next_utc = local_start.astimezone(datetime.UTC).replace(tzinfo=None)
                return ContactDecision(False, "outside_window", next_utc)
        return ContactDecision(False, "outside_window")
