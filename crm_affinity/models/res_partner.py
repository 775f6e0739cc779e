"""The partner itself: its information file, the relationship (owner, cadence, last interaction),
the summary the partner form shows and the person's rights over the file (access and erasure).

Other concerns extend res.partner in their own homes: res_partner_consent.py (permissions and the door to
the contact decision), res_partner_value.py (customer value), res_partner_attribution.py (origin),
affinity_consent_api.py (the public consent API).
"""

import datetime
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools.batching import process_in_batches
from ..tools.groups import AFFINITY_MANAGER, AFFINITY_USER, scoped_to_own
from ..tools.sql import LINE_SEPARATOR
from .res_partner_attribution import ATTRIBUTION_FIELDS
from .res_partner_consent import GUARDED_FIELDS

PROFILE_FIELDS = {
    "affinity_salutation": "salutation",
    "affinity_nickname": "nickname",
    "affinity_conversation_openers": "conversation_openers",
    "affinity_notes": "notes",
}


# What each tab of the partner form summarises, loaded when the tab is opened (affinity_summary_lines).
SUMMARY_TABS = {
    "file": ("affinity_file_summary", "affinity_owner_name"),
    "communication": (
        "affinity_consent_summary",
        "affinity_reach_summary",
        "affinity_referral_count",
        "affinity_source_name",
    ),
}


# The partner's other concerns extend it in their own homes (see the module docstring).
# pylint: disable=consider-merging-classes-inherited
class ResPartner(models.Model):
    _inherit = "res.partner"

    # The information file (private).
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
    # Mirrors of the file's columns, sanitized where they are stored (the profile sanitizes every write, the
    # inverse included): sanitizing them again at each read cost the partner form ~1 ms.
    affinity_conversation_openers = fields.Html(
        string="Conversation Openers",
        compute="_compute_affinity_profile",
        inverse="_inverse_affinity_profile",
        groups=AFFINITY_USER,
        sanitize=False,
    )
    affinity_notes = fields.Html(
        compute="_compute_affinity_profile",
        inverse="_inverse_affinity_profile",
        groups=AFFINITY_USER,
        sanitize=False,
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
    # Not stored: an occasion without a label of its own is named by its kind, in the reader's language.
    affinity_next_date_label = fields.Char(
        string="Next Occasion",
        compute="_compute_affinity_next_date_label",
        compute_sudo=True,
        groups=AFFINITY_USER,
    )

    # The relationship.
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

    affinity_followup_ids = fields.One2many("affinity.followup", "partner_id", groups=AFFINITY_USER)
    affinity_followup_count = fields.Integer(compute="_compute_affinity_glance", groups=AFFINITY_USER)
    affinity_owner_name = fields.Char(
        string="Owner",
        compute="_compute_affinity_summary",
        groups=AFFINITY_USER,
        help="The relationship owner, as the partner form shows it; it is changed in the information file.",
    )
    affinity_file_summary = fields.Char(
        string="In the File",
        compute="_compute_affinity_summary",
        groups=AFFINITY_USER,
        help="What the information file holds; the file itself opens in one click.",
    )

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
        # The search applies the salesperson-scope rules: an unreadable file simply shows empty. Its
        # columns are read raw: the form opens this on every partner, and profile records are not needed.
        Profile = self.env["affinity.profile"]
        columns = ["partner_id", *PROFILE_FIELDS.values()]
        Profile.flush_model(columns)
        # A partner being edited in the form is a new record: its file is the saved partner's.
        query = Profile._search([("partner_id", "in", [pid for pid in self._origin.ids if pid])])
        rows = self.env.execute_query(
            query.select(*(Profile._field_to_sql(query.table, column, query) for column in columns))
        )
        by_partner = {row[0]: row[1:] for row in rows}
        for partner in self:
            values = by_partner.get(partner._origin.id) or (False,) * len(PROFILE_FIELDS)
            for partner_field, value in zip(PROFILE_FIELDS, values, strict=True):
                partner[partner_field] = value or False

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

    @api.depends("affinity_date_ids.next_date", "affinity_date_ids.kind_id", "affinity_date_ids.name")
    @api.depends_context("lang")
    def _compute_affinity_next_date_label(self):
        for partner in self:
            upcoming = partner.affinity_date_ids.filtered("next_date").sorted("next_date")[:1]
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

    @api.depends("affinity_followup_ids", "affinity_channel_ids.caution", "affinity_channel_ids.channel_id")
    @api.depends_context("uid", "allowed_company_ids", "lang")
    def _compute_affinity_glance(self):
        """What the partner form shows before any tab is opened (the follow-up count, the channel cautions),
        in one statement that keeps to the reader's record rules."""
        counts = {}
        if self.env.su or self.env.user.has_group(AFFINITY_USER):
            counts["followups"] = ("affinity.followup", "partner_id")
        rows = self._affinity_count_rows(counts, texts=self._affinity_communication_texts(("cautions",)))
        for partner in self:
            values = rows.get(partner.id, {})
            partner.affinity_followup_count = values.get("followups", 0)
            partner.affinity_caution_text = values.get("cautions") or False

    @api.depends(
        "affinity_preference_ids",
        "affinity_date_ids",
        "affinity_gift_ids",
        "affinity_owner_id",
        "affinity_consent_ids.state",
        "affinity_consent_ids.channel_id",
        "affinity_consent_ids.purpose_id",
        "affinity_source_id.name",
    )
    @api.depends_context("uid", "allowed_company_ids", "lang")
    def _compute_affinity_summary(self):
        """What the partner form's tabs summarise (the file, its owner, consents, referrals), in one
        statement that keeps to the reader's record rules; the file's part only for those who may read it."""
        reads_file = self.env.su or self.env.user.has_group(AFFINITY_USER)
        counts = {"referrals": ("res.partner", "affinity_referred_by_id")}
        texts = self._affinity_communication_texts(("consents",))
        texts["source"] = (self._affinity_source_lines_query(), str)
        if reads_file:
            counts.update(
                likes=("affinity.preference", "partner_id"),
                dates=("affinity.date", "partner_id"),
                gifts=("affinity.gift", "partner_id"),
            )
            texts["owner"] = (self._affinity_owner_lines_query(), str)
        rows = self._affinity_count_rows(counts, texts=texts)
        scoped = reads_file and scoped_to_own(self.env)
        for partner in self:
            values = rows.get(partner.id, {})
            partner.affinity_referral_count = values.get("referrals", 0)
            partner.affinity_source_name = values.get("source") or False
            partner.affinity_consent_summary = values.get("consents") or False
            partner.affinity_owner_name = values.get("owner") or False
            likes, dates, gifts = values.get("likes"), values.get("dates"), values.get("gifts")
            # One of a kind is counted in the singular: "1 gift", never "1 gifts".
            parts = [
                (
                    self.env._("1 like or dislike")
                    if likes == 1
                    else self.env._("%s likes and dislikes", likes)
                )
                if likes
                else "",
                (self.env._("1 important date") if dates == 1 else self.env._("%s important dates", dates))
                if dates
                else "",
                (self.env._("1 gift") if gifts == 1 else self.env._("%s gifts", gifts)) if gifts else "",
            ]
            if scoped and self.env.uid not in (partner.affinity_owner_id.id, partner.user_id.id):
                # Another salesperson's customer: her file is not this reader's to count, nor empty.
                keeper = partner.affinity_owner_id or partner.user_id
                partner.affinity_file_summary = (
                    self.env._("Kept by their salesperson, %s", keeper.name)
                    if keeper
                    else self.env._("Kept by their salesperson")
                )
                continue
            partner.affinity_file_summary = (
                " · ".join(filter(None, parts)) or self.env._("Nothing yet") if reads_file else False
            )

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
        guarded = set(GUARDED_FIELDS + ATTRIBUTION_FIELDS).intersection(vals)
        if guarded and not self.env.su and not self.env.user.has_group(AFFINITY_USER):
            raise AccessError(
                self.env._(
                    "Only Affinity users may change a partner's communication preferences or attribution."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.model
    def action_affinity_contacts_due(self):
        """*Contacts Due*: the relationships whose cadence is due; with the salesperson scope, only the
        customers the reader owns or sells to (as her files)."""
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_affinity.res_partner_affinity_action")
        if scoped_to_own(self.env):
            action["domain"] = ["|", ("affinity_owner_id", "=", self.env.uid), ("user_id", "=", self.env.uid)]
        return action

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

    def action_affinity_open_value(self):
        """RFM, lifetime value, costs, margin, relationship health and offboarding, on a page of their own."""
        return self._affinity_open_view(
            "crm_affinity.res_partner_view_form_affinity_value", self.env._("Customer value")
        )

    def affinity_summary_lines(self, tab):
        """The summary one tab of the partner form shows, asked for when that tab is opened rather than with
        the form (the most opened screen in Odoo): [{"name", "label", "value"}] of the fields the reader may
        read, through the reader's access rights and record rules."""
        self.ensure_one()
        if tab not in SUMMARY_TABS:
            raise UserError(self.env._("The partner form has no summary for the tab %s.", tab))
        names = [name for name in SUMMARY_TABS[tab] if self._fields[name].is_accessible(self.env)]
        if not names:
            return []
        # Learned reachability has lines of its own: the sentence and the strip over the permitted channels.
        reach = tab == "communication" and "affinity_reach_summary" in names
        [values] = self.read([name for name in names if not (reach and name == "affinity_reach_summary")])
        lines = []
        for name in names:
            if reach and name == "affinity_reach_summary":
                lines += self._affinity_reach_tab_lines()
                continue
            lines.append(
                {
                    "name": name,
                    "label": self._fields[name]._description_string(self.env),
                    "value": str(values[name]) if values[name] is not False else "",
                }
            )
        return lines

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
