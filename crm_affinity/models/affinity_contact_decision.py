"""The one contact decision: may this partner be reached over this channel, for this purpose, now?

Every path that reaches a person asks it: mass mailings (e-mail and SMS), follow-ups, the tasks that tell
a salesperson to call or visit, the composers and the public consent API. One statement reads the facts of
the whole recordset (do not contact, address, blacklists, both consents); the rules then decide each
distinct combination of facts once. Entry point: ``res.partner._affinity_contact_decision``.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.dates import zone as _zone
from ..tools.iys import NOT_HELD, turkish_number_sql
from ..tools.phone import phone_key_sql
from ..tools.sql import id_array


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
    marketing_iys: str | None


class ConsentPolicy(NamedTuple):
    """What one purpose demands under one company's settings."""

    commercial: bool
    greetings_follow_marketing: bool
    requires_consent: bool
    opt_in: bool
    iys_required: bool = False


NO_CAPS = (0, 0, 0)
NO_QUIET = (frozenset(), NO_CAPS, None)


def _local_date(when, tz):
    """The day a naive UTC moment falls on in time zone ``tz`` (UTC without one)."""
    if not tz or tz == "UTC":
        return when.date()
    return when.replace(tzinfo=datetime.UTC).astimezone(_zone(tz)).date()


class AffinityContactDecision(models.AbstractModel):
    """The decision engine; ``res.partner`` only forwards to it."""

    _name = "affinity.contact.decision"
    _description = "Affinity Contact Decision Engine"

    @api.model
    def _decide(
        self, partners, channel, purpose, when=None, check_window=True, check_pressure=True, releasing=()
    ):
        """Decide, for every partner of the recordset, whether a message may go out.

        :param partners: res.partner recordset
        :param channel: affinity.channel record or code ('email', 'sms', ...)
        :param purpose: affinity.purpose record or code ('marketing', 'service', 'relationship')
        :param when: UTC naive datetime of the send (default: now)
        :param check_window: also require the moment to fall inside a contact window
        :param check_pressure: also hold back partners over their contact budget (a priority mailing
            still counts, but is not held)
        :param releasing: ids of held mass-mailing traces whose messages are being released now: each held
            message reserves its place in the budget at its moment, but not against itself
        :return: {partner_id: ContactDecision}
        """
        channel = self.env["affinity.channel"]._get_by_code(channel)
        purpose = self.env["affinity.purpose"]._get_by_code(purpose)
        if not channel or not purpose:
            raise UserError(self.env._("Unknown channel or purpose for a contact decision."))
        when = when or fields.Datetime.now()
        ids = partners.ids
        if not ids:
            return {}
        marketing = self.env.ref("crm_affinity.affinity_purpose_marketing")
        for model in (
            "res.partner",
            "affinity.consent",
            "mail.blacklist",
            "phone.blacklist",
            "affinity.rfm.segment",
            "affinity.iys.account",
        ):
            self.env[model].flush_model()
        rows = self.env.execute_query(self._decision_query(ids, channel, purpose, marketing))
        windows = self._windows_by_partner(ids, channel) if check_window else {}
        default_company = self.env.company
        default_company_id = default_company.id
        today = when.date()
        pressure = purpose.pressure
        holidays, segment_caps, company_ids = {}, {}, set()
        if pressure:
            # Every company's, in one statement: a company is a handful of rows, a recipient list is 100 000.
            holidays, segment_caps = self.env["affinity.contact.pressure"]._quiet_facts()
            company_ids = set(holidays)
        companies, company_windows, decisions, capped = {}, {}, {}, {}
        # Few distinct combinations of facts, quiet days and caps stand behind many partners: each is
        # decided once, and a partner costs one lookup.
        decided, uncapped_allowed = {}, False
        for row in rows:
            key = row[1:15]
            entry = decided.get(key)
            if entry is None:
                company_id = key[8]
                policy = companies.get(company_id)
                if policy is None:
                    company = self.env["res.company"].browse(company_id) if company_id else default_company
                    policy = companies[company_id] = self._policy(purpose, company, channel)
                    company_windows[company_id] = company._affinity_default_windows(channel)
                decision, bucket = self._decide_one(policy, today, DecisionFacts(*key[:8])), None
                if decision.allowed and pressure:
                    company_holidays, company_caps, tz = holidays.get(
                        company_id or default_company_id, NO_QUIET
                    )
                    # The company's days are read in its time zone: 01:00 in Istanbul on a holiday is on it.
                    if key[9] or _local_date(when, tz) in company_holidays:
                        decision = self._check_quiet(decision, purpose, key[9], company_holidays, when, tz)
                    if decision.allowed and check_pressure:
                        # A partner's own cap, else its RFM segment's, else its company's (0: the next one up).
                        segment = segment_caps.get(key[13], NO_CAPS)
                        caps = tuple(
                            own or seg or comp
                            for own, seg, comp in zip(key[10:13], segment, company_caps, strict=True)
                        )
                        if caps != NO_CAPS:
                            # The partners under one budget share one list: a partner costs one append.
                            bucket = capped.setdefault(caps, [])
                entry = decided[key] = (decision, bucket)
            decision, bucket = entry
            if bucket is not None:
                bucket.append(row[0])
            if check_window and decision.allowed:
                partner_windows = windows.get(row[0]) or company_windows[key[8]]
                decision = self._check_window(decision, partner_windows, row[15], when)
            if bucket is None and decision.allowed:
                uncapped_allowed = True
            decisions[row[0]] = decision
        held = set()
        if capped:
            held_ids, frees_at = self.env["affinity.contact.pressure"]._over_budget(capped, when, releasing)
            self._hold_back(decisions, held_ids, frees_at)
            held = set(held_ids)
        if pressure and check_pressure and (uncapped_allowed or capped):
            # Someone may still be allowed (a partner under a budget, or one with none), or someone held
            # by the budget may be held longer by the channel's own cap.
            self._check_channel_caps(
                decisions, rows, channel, when, company_ids, default_company_id, held, releasing
            )
        return decisions

    @api.model
    def _check_channel_caps(
        self, decisions, rows, channel, when, company_ids, default_company_id, held=(), releasing=()
    ):
        """The per-channel caps on top of the budget across channels: for the partners still allowed, and
        for those the budget holds (``held``), whose next allowed moment must satisfy both."""
        # Most companies set no cap per channel: then there is nothing to sort the partners for.
        caps = self.env["affinity.pressure.cap"]._caps(company_ids, channel)
        if not caps:
            return
        by_company = {}
        for row in rows:
            if (decisions[row[0]].allowed or row[0] in held) and (row[9] or default_company_id) in caps:
                by_company.setdefault(row[9] or default_company_id, []).append(row[0])
        over = self.env["affinity.contact.pressure"]._over_channel_cap(
            by_company, channel, caps, when, releasing
        )
        # Free again when both the budget and the channel's cap have room: the later of the two moments.
        frees_at = [
            max(frees, decisions[partner_id].next_allowed) if partner_id in held else frees
            for partner_id, frees in over.items()
        ]
        self._hold_back(decisions, list(over), frees_at)

    @api.model
    def _hold_back(self, decisions, partner_ids, frees_at):
        """Hold these partners back for pressure, each until its moment (``frees_at``, aligned); how many."""
        # Partners freed at the same moment share one decision (mailings send in bursts); the loop runs in C.
        held_back = {moment: ContactDecision(False, "pressure", moment) for moment in set(frees_at)}
        decisions.update(zip(partner_ids, map(held_back.__getitem__, frees_at), strict=True))
        return len(partner_ids)

    @api.model
    def _check_quiet(self, decision, purpose, quiet_until, holidays, when, tz=None):
        """Quiet days make commercial messages wait: the partner's own, and the company's public holidays
        (a greeting is what a holiday is for, so greetings still go out on one), days read in the company's
        time zone ``tz``."""
        zone = _zone(tz)
        today = _local_date(when, tz)
        # Public holidays hold back commercial messages; the next moment allowed is never on one.
        holidays = holidays if holidays and purpose.code != "relationship" else ()

        def after_holidays(day):
            while day in holidays:
                day += datetime.timedelta(days=1)
            # The day's first moment both in the company's time zone and in UTC: on that day wherever it
            # is read (east of UTC, its local midnight is still the day before in UTC).
            local_midnight = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
            return max(
                local_midnight.astimezone(datetime.UTC).replace(tzinfo=None),
                datetime.datetime.combine(day, datetime.time()),
            )

        if quiet_until and quiet_until >= today:
            return ContactDecision(
                False, "quiet_until", after_holidays(quiet_until + datetime.timedelta(days=1))
            )
        if today in holidays:
            return ContactDecision(False, "quiet_day", after_holidays(today + datetime.timedelta(days=1)))
        return decision

    @api.model
    def _decision_query(self, ids, channel, purpose, marketing):
        """One statement for the whole recordset: address, blacklist and both consents.

        Columns: the id, the eight facts, then company, quiet-until, own caps and segment (with the facts, the
        key a decision is shared by), and last the time zone."""
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
                "(%s IN (SELECT k FROM phone_bl) OR %s IN (SELECT k FROM phone_bl))",
                phone_key_sql(SQL("p.mobile")),
                phone_key_sql(SQL("p.phone")),
            )
        else:
            blacklisted = SQL("FALSE")
        consent_alias = SQL("c") if purpose == marketing else SQL("cm")
        iys_status = SQL("%s.iys_status", consent_alias)
        if channel.address_kind in ("phone", "mobile") and channel.iys_type:
            # IYS holds Turkish numbers only: for a number elsewhere its ONAY can never come, and is not asked.
            # The number is read only where it matters: no ONAY mirrored, and a company with an IYS account.
            number = SQL("COALESCE(NULLIF(p.mobile, ''), p.phone)")
            iys_status = SQL(
                """CASE WHEN %(status)s = 'ONAY' THEN %(status)s
                        WHEN COALESCE(p.company_id, %(company)s) NOT IN (
                             SELECT company_id FROM affinity_iys_account WHERE active AND state = 'on') THEN %(status)s
                        WHEN %(turkish)s THEN %(status)s
                        ELSE %(not_held)s END""",
                status=iys_status,
                company=self.env.company.id,
                turkish=turkish_number_sql(number, SQL("p.country_id"), self.env.ref("base.tr").id),
                not_held=NOT_HELD,
            )
        if purpose == marketing:
            # The consent already joined is the marketing one: no second join.
            marketing_columns = SQL("%s, c.expiry_date, %s", self._state_sql(SQL("c")), iys_status)
            marketing_join = SQL()
        else:
            marketing_columns = SQL("%s, cm.expiry_date, %s", self._state_sql(SQL("cm")), iys_status)
            marketing_join = SQL(
                "LEFT JOIN affinity_consent cm ON cm.partner_id = p.id AND cm.channel_id = %s AND cm.purpose_id = %s",
                channel.id,
                marketing.id,
            )
        return SQL(
            """
            WITH phone_bl AS (
                SELECT %(number_key)s AS k FROM phone_blacklist WHERE active
            )
            SELECT p.id, COALESCE(p.affinity_do_not_contact, FALSE), (%(has_address)s),
                   COALESCE((%(blacklisted)s), FALSE),
                   %(state)s, c.expiry_date, %(marketing_columns)s, p.company_id,
                   p.affinity_quiet_until, COALESCE(p.affinity_pressure_day, 0),
                   COALESCE(p.affinity_pressure_week, 0), COALESCE(p.affinity_pressure_month, 0),
                   p.affinity_segment_id, p.tz
              FROM res_partner p
              LEFT JOIN affinity_consent c
                ON c.partner_id = p.id AND c.channel_id = %(channel)s AND c.purpose_id = %(purpose)s
              %(marketing_join)s
             WHERE p.id = ANY(%(ids)s::int[])
            """,
            number_key=phone_key_sql(SQL("number")),
            state=self._state_sql(SQL("c")),
            has_address=has_address,
            blacklisted=blacklisted,
            channel=channel.id,
            purpose=purpose.id,
            marketing_columns=marketing_columns,
            marketing_join=marketing_join,
            # One array literal rather than one SQL constant per id: a mass mailing passes 100 000.
            ids=id_array(ids),
        )

    @api.model
    def _state_sql(self, alias):
        """A consent's state; for a person a public form created, nothing asked is nothing confirmed yet
        (awaiting confirmation), whatever the mode: an address nobody vouched for is never opted out."""
        return SQL(
            "CASE WHEN p.affinity_captured AND COALESCE(%(a)s.state, 'not_asked') = 'not_asked' THEN 'pending' "
            "ELSE %(a)s.state END",
            a=alias,
        )

    @api.model
    def _policy(self, purpose, company, channel=None):
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
            # With an IYS account, a commercial message over a registry channel needs IYS's ONAY mirrored here.
            iys_required=bool(
                commercial and channel and channel.iys_type and company._affinity_iys_account()
            ),
        )

    @api.model
    def _decide_one(self, policy, today, facts):
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
        if policy.iys_required and facts.marketing_iys not in ("ONAY", NOT_HELD):
            return ContactDecision(False, "iys_not_approved")
        granted = [(s, e) for s, e in states if s == "granted"]
        if granted:
            if all(e and e < today for _s, e in granted):
                return ContactDecision(False, "expired")
            return ContactDecision(True, "granted")
        if not policy.requires_consent:
            return ContactDecision(True, "not_required")
        if any(s == "pending" for s, _e in states):
            # A yes that was not confirmed yet is no permission, whatever the mode.
            return ContactDecision(False, "pending_confirmation")
        if policy.opt_in:
            return ContactDecision(False, "not_asked_optin_mode")
        return ContactDecision(True, "not_asked_optout_mode")

    @api.model
    def _windows_by_partner(self, partner_ids, channel):
        """Partner windows, channel-specific ones winning over all-channel ones."""
        windows = (
            self.env["affinity.contact.window"]
            .sudo()
            .search_read(
                [
                    ("partner_id", "in", partner_ids),
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
    def _check_window(self, decision, windows, tz_name, when):
        """Inside a window: unchanged. Outside: not now, and here is the next moment that is."""
        if not windows:
            return decision
        tz = _zone(tz_name)
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
