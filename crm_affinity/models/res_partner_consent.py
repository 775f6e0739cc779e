"""Communication permissions on the partner: consents, channels, windows, and how a consent is set.

The decision that reads them lives in ``affinity.contact.decision``; ``_affinity_contact_decision`` is
the partner's door to it.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..tools.groups import AFFINITY_USER
from ..tools.iys import RECIPIENT_TYPES
from ..tools.reasons import reason_label
from ..tools.sql import FIELD_SEPARATOR

# Partner fields every employee reads but only affinity users may change.
GUARDED_FIELDS = ("affinity_do_not_contact", "affinity_channel_ids", "affinity_window_ids")


# IYS's changes, the blacklist and the capture doors find people by their address: a page of the pull looks up
# a thousand at once, which without an index reads every partner (60 ms at 100 000). Dropped at uninstall.
ADDRESS_INDEXES = [
    (
        "res_partner_affinity_email_normalized_idx",
        "res_partner",
        "email_normalized",
        "email_normalized IS NOT NULL",
    ),
]


# pylint: disable=consider-merging-classes-inherited
class ResPartner(models.Model):
    _inherit = "res.partner"

    # Communication permissions: every employee must respect them.
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
    affinity_quiet_until = fields.Date(
        string="No Commercial Contact Until",
        help="A quiet time the person asked for or is in (e.g. mourning): no marketing or greeting before "
        "the day after.",
    )
    affinity_quiet_note = fields.Char(string="Why Quiet")
    affinity_captured = fields.Boolean(
        string="Created by a Capture Form",
        readonly=True,
        copy=False,
        help="Created by a post to the capture endpoint and not confirmed yet: archived when the person "
        "never confirms and nothing else uses the contact.",
    )
    affinity_pressure_day = fields.Integer(
        string="Own Budget per 24 Hours", help="0: the segment's or company's."
    )
    affinity_pressure_week = fields.Integer(
        string="Own Budget per 7 Days", help="0: the segment's or company's."
    )
    affinity_pressure_month = fields.Integer(
        string="Own Budget per 30 Days", help="0: the segment's or company's."
    )
    affinity_pressure_summary = fields.Text(
        string="Commercial Contacts", compute="_compute_affinity_pressure_summary"
    )
    affinity_caution_text = fields.Text(string="Channel Cautions", compute="_compute_affinity_glance")
    affinity_consent_summary = fields.Text(string="Consents at a Glance", compute="_compute_affinity_summary")

    affinity_decision_matrix = fields.Html(
        string="Will We Send?",
        compute="_compute_affinity_decision_matrix",
        sanitize=False,
        help="For each channel and purpose: the contact decision at this moment, and why.",
    )

    def init(self):
        result = super().init()
        for name, table, column, where in ADDRESS_INDEXES:
            create_index(self.env.cr, name, table, [column], where=where)
        return result

    def _compute_affinity_pressure_summary(self):
        """This week's and this month's commercial contacts per channel, against the budget."""
        counts = (
            self.env["affinity.contact.pressure"].sudo()._counts(self.filtered("id"), fields.Datetime.now())
        )
        kinds = dict(self.env["affinity.channel"]._names_by_code(), mail=self.env._("E-mail"), sms="SMS")
        for partner in self:
            mine = counts.get(partner.id)
            company = partner.company_id or self.env.company
            week_cap = partner.affinity_pressure_week or company.affinity_pressure_week
            month_cap = partner.affinity_pressure_month or company.affinity_pressure_month
            week = sum(mine["week"].values()) if mine else 0
            month = sum(mine["month"].values()) if mine else 0
            lines = [
                self.env._("This week: %(count)s of %(cap)s", count=week, cap=week_cap or "∞"),
                self.env._("This month: %(count)s of %(cap)s", count=month, cap=month_cap or "∞"),
            ]
            for kind, number in sorted((mine or {"month": {}})["month"].items()):
                lines.append(f"{kinds.get(kind, kind)}: {number}")
            partner.affinity_pressure_summary = "\n".join(lines)

    @api.depends_context("uid")
    def _compute_affinity_decision_matrix(self):
        """The decision for every channel × purpose: one statement per pair for the whole set."""
        channels = self.env["affinity.channel"].search([("active", "=", True)])
        purposes = self.env["affinity.purpose"].search([("active", "=", True)])
        partners = self.filtered("id")
        decisions = {
            (channel.id, purpose.id): partners.sudo()._affinity_contact_decision(channel, purpose)
            for channel in channels
            for purpose in purposes
        }
        for partner in self:
            if not partner.id:
                partner.affinity_decision_matrix = False
                continue
            head = Markup("").join(Markup("<th>%s</th>") % purpose.name for purpose in purposes)
            rows = Markup("")
            for channel in channels:
                cells = Markup("")
                for purpose in purposes:
                    decision = decisions[(channel.id, purpose.id)][partner.id]
                    cells += Markup('<td class="%s">%s<br/><small class="text-muted">%s</small></td>') % (
                        "text-success" if decision.allowed else "text-danger",
                        self.env._("Yes") if decision.allowed else self.env._("No"),
                        reason_label(self.env, decision.reason),
                    )
                rows += Markup("<tr><th>%s</th>%s</tr>") % (channel.name, cells)
            partner.affinity_decision_matrix = Markup(
                '<table class="table table-sm o_affinity_matrix"><thead><tr><th></th>%s</tr></thead>'
                "<tbody>%s</tbody></table>"
            ) % (head, rows)

    def action_affinity_copy_preference_link(self):
        """A fresh personal link, e.g. to send by hand to someone who asks how to change their choices."""
        self.ensure_one()
        if not self.env.user.has_group(AFFINITY_USER):
            raise AccessError(self.env._("Only Affinity users may hand out a person's preference link."))
        self.check_access("read")
        link = self.env["affinity.preference.centre"].sudo()._link(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.env._("Preference link"), "message": link, "sticky": True},
        }

    def _affinity_communication_texts(self, kinds):
        """Cautions and/or consents as the partner form's summary statements read them, with their formatters.

        :param kinds: among "cautions" and "consents"
        """
        channels = self.env["affinity.channel"]._names_by_id()
        texts = {}

        def caution(raw):
            channel_id, text = raw.split(FIELD_SEPARATOR, 1)
            return f"{channels.get(int(channel_id), '')}: {text}"

        if "cautions" in kinds:
            texts["cautions"] = (self._affinity_caution_lines_query(), caution)
        if "consents" in kinds:
            purposes = self.env["affinity.purpose"]._names_by_id()
            states = dict(self.env["affinity.consent"]._fields["state"]._description_selection(self.env))

            def consent(raw):
                channel_id, purpose_id, state = raw.split(FIELD_SEPARATOR)
                return (
                    f"{channels.get(int(channel_id), '')} / {purposes.get(int(purpose_id), '')}: "
                    f"{states[state]}"
                )

            texts["consents"] = (self._affinity_consent_lines_query(), consent)
        return texts

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

    def _affinity_contact_decision(
        self, channel, purpose, when=None, check_window=True, check_pressure=True, releasing=()
    ):
        """May each partner be reached over ``channel`` for ``purpose`` at ``when``: {id: ContactDecision}.

        The one decision every outbound path asks; see ``affinity.contact.decision._decide``.
        """
        return self.env["affinity.contact.decision"]._decide(
            self,
            channel,
            purpose,
            when=when,
            check_window=check_window,
            check_pressure=check_pressure,
            releasing=releasing,
        )

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
        self,
        channel,
        purpose,
        state,
        source="manual",
        proof_ref=False,
        note=False,
        legal_basis="consent",
        evidence=None,
        pending_until=False,
        date_given=None,
        iys_mirror=None,
    ):
        """Record one consent state for every partner of the set, logged; unchanged rows stay quiet.

        ``evidence`` (``ip_address``, ``user_agent``, ``text_id``) goes to the history rows as proof.
        ``date_given`` is one moment for all, or each partner's own (``{partner_id: UTC datetime}``).
        ``iys_mirror`` (the pull): ``{partner_id: (status, moment, transaction)}``, IYS's record of each change,
        written with it where the set-based path writes (``affinity.consent._set_many``); the caller mirrors
        the rest.
        """
        channel = self.env["affinity.channel"]._get_by_code(channel)
        purpose = self.env["affinity.purpose"]._get_by_code(purpose)
        dates = date_given if isinstance(date_given, dict) else None
        if dates:
            date_given = None
        consents = (
            self.env["affinity.consent"]
            .sudo()
            .with_context(
                affinity_consent_note=note, affinity_consent_evidence=evidence, affinity_consent_dates=dates
            )
        )
        # A new word replaces the old one with all it said: an expiry belonged to the old grant, so a
        # withdrawal of a lapsed grant never fails on it, and a fresh grant renews a lapsed one.
        vals = {
            "state": state,
            "source": source,
            "proof_ref": proof_ref,
            "legal_basis": legal_basis,
            "date_given": date_given or fields.Datetime.now(),
            "expiry_date": False,
            "pending_until": pending_until if state == "pending" else False,
        }
        if state != "pending":
            vals["pending_from_state"] = False
        if consents._bulk_applies(self, state, evidence):
            return consents._set_many(self, channel, purpose, vals, dates, mirror=iys_mirror)
        existing = consents.search(
            [("partner_id", "in", self.ids), ("channel_id", "=", channel.id), ("purpose_id", "=", purpose.id)]
        )
        today = fields.Date.context_today(self)
        changed = existing.filtered(
            lambda consent: (
                consent.state != state
                or (state == "granted" and consent.expiry_date and consent.expiry_date < today)
            )
        )
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

    def _affinity_iys_recipient(self, channel):
        """The address IYS knows this partner by for a channel: the e-mail, or the number in E.164."""
        self.ensure_one()
        if channel.address_kind == "email":
            return self.email_normalized or False
        for number in (self.mobile, self.phone):
            if number:
                formatted = self._phone_format(number=number, force_format="E164", raise_exception=False)
                if formatted:
                    return formatted
        return False

    def _affinity_iys_recipient_type(self):
        """BIREYSEL or TACIR (``RECIPIENT_TYPES``): a company is the merchant, everyone else a person."""
        self.ensure_one()
        return RECIPIENT_TYPES[bool(self.is_company)]

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
