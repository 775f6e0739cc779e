"""Many consents set at once (the IYS pull, the nightly change files, a blacklist entry's cascade to everyone at
its address): the same rows, history, blacklist entries and notes as the ORM path of
``res.partner._affinity_set_consent``, each written in one statement.

The ORM path stays the one for a few partners; this one takes over from ``BULK_MIN`` partners and a plain
grant or denial (no double opt-in, no browser evidence). ``test_consent_bulk.py`` applies the same changes
through both and compares every row they leave.
"""

import re

from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

from ..tools.dates import TURKISH_PUBLIC_HOLIDAYS, add_business_days, turkish_date
from ..tools.iys import iys_holds
from ..tools.sql import array_literal, id_array
from .affinity_consent import IYS_BUSINESS_DAYS, LOGGED_FIELDS

# From this many partners on, a grant or a denial is written set-based.
BULK_MIN = 50
# The display name's context keys (res.partner._compute_display_name): with any of them it is read from the ORM.
DISPLAY_CONTEXT = ("show_address", "partner_show_db_id", "address_inline", "show_email", "show_vat")
# The columns a consent's grant or denial writes, and the computed ones written with them.
WRITTEN = (
    *LOGGED_FIELDS,
    "pending_until",
    "pending_from_state",
    "recorded_by_id",
    "iys_deadline",
    "iys_in_sync",
    "write_uid",
    "write_date",
)
# What IYS's own record of a change writes on the consent (the pull), with it when given.
MIRRORED = ("iys_status", "iys_date", "iys_transaction_id", "iys_synced_at")


class AffinityConsent(models.Model):
    _inherit = "affinity.consent"

    def _bulk_applies(self, partners, state, evidence):
        """Does the set-based path write these partners' consents?"""
        return len(partners) >= BULK_MIN and state in ("granted", "denied") and not evidence

    def _set_many(self, partners, channel, purpose, vals, dates, mirror=None):
        """``_affinity_set_consent`` for many partners: consents updated and inserted, their history, IYS
        queue, greetings rows and blacklist entries, each in one statement. ``self`` carries the context
        (note, dates) the ORM path reads.

        ``mirror``: ``{partner_id: (status, moment, transaction, confirmed at or None)}``, IYS's record of the
        change (the pull), written on the consents in the same statement rather than by a second one, as
        ``affinity.iys.account._mirror_statuses`` would write it after."""
        mirror = mirror or {}
        env = self.env
        self.flush_model()
        state, moment = vals["state"], vals["date_given"]
        today = fields.Date.context_today(partners)
        existing = env.execute_query(
            SQL(
                """SELECT id, partner_id, state, legal_basis, date_given, source, proof_ref, expiry_date, iys_status
                     FROM affinity_consent
                    WHERE partner_id = ANY(%s::int[]) AND channel_id = %s AND purpose_id = %s
                 ORDER BY partner_id""",
                id_array(partners.ids),
                channel.id,
                purpose.id,
            )
        )
        known = {row[1] for row in existing}
        changed = [
            row for row in existing if row[2] != state or (state == "granted" and row[7] and row[7] < today)
        ]
        new = [partner_id for partner_id in partners.ids if partner_id not in known]
        if not changed and not new:
            return self.browse()
        # Each partner as the history reads it (name, address, company), read once.
        people = self._bulk_partner_rows([row[1] for row in changed] + new)
        holds = self._bulk_iys_holds(channel, [row[1] for row in changed] + new)
        deadline = self._bulk_deadline(channel, purpose, state, vals["source"])
        moments = {
            partner_id: (dates[partner_id] if dates and partner_id in dates else moment)
            for partner_id in [row[1] for row in changed] + new
        }

        def in_sync(partner_id, iys_status):
            if partner_id in mirror:
                iys_status = mirror[partner_id][0]
            return (
                (state == "granted" and iys_status == "ONAY")
                or (state == "denied" and iys_status != "ONAY")
                or not holds.get(partner_id, True)
            )

        common = SQL(
            "%(state)s, %(source)s, %(proof)s, %(basis)s, %(pending)s, %(uid)s",
            state=state,
            source=vals["source"],
            proof=vals["proof_ref"] or None,
            basis=vals["legal_basis"] or None,
            pending=vals["pending_until"] or None,
            uid=env.uid,
        )
        now = env.cr.now()
        updated = []
        if changed:
            ids = [row[0] for row in changed]
            updated = env.execute_query(
                SQL(
                    """UPDATE affinity_consent c
                          SET (state, source, proof_ref, legal_basis, pending_until, recorded_by_id) = (%(common)s),
                              expiry_date = NULL, pending_from_state = NULL, date_given = v.moment,
                              iys_deadline = v.deadline, iys_in_sync = v.in_sync,
                              iys_status = CASE WHEN v.mirrored THEN v.status ELSE c.iys_status END,
                              iys_date = CASE WHEN v.mirrored THEN v.iys_date ELSE c.iys_date END,
                              iys_transaction_id = CASE WHEN v.mirrored THEN v.transaction ELSE c.iys_transaction_id END,
                              iys_synced_at = CASE WHEN v.mirrored THEN COALESCE(v.synced, c.iys_synced_at)
                                                   ELSE c.iys_synced_at END,
                              write_uid = %(uid)s, write_date = %(now)s
                         FROM unnest(%(ids)s::int[], %(moments)s::timestamp[], %(deadlines)s::date[],
                                     %(in_sync)s::bool[], %(mirrored)s::bool[], %(statuses)s::varchar[],
                                     %(iys_dates)s::timestamp[], %(transactions)s::varchar[], %(synced)s::timestamp[])
                              AS v(id, moment, deadline, in_sync, mirrored, status, iys_date, transaction, synced)
                        WHERE c.id = v.id
                    RETURNING c.id""",
                    common=common,
                    uid=env.uid,
                    now=now,
                    ids=array_literal(ids),
                    moments=array_literal([moments[row[1]] for row in changed]),
                    deadlines=array_literal([deadline(moments[row[1]]) for row in changed]),
                    in_sync=array_literal([in_sync(row[1], row[8]) for row in changed]),
                    **self._bulk_mirror_arrays(mirror, [row[1] for row in changed]),
                )
            )
        created = []
        if new:
            created = env.execute_query(
                SQL(
                    """INSERT INTO affinity_consent (
                              state, source, proof_ref, legal_basis, pending_until, recorded_by_id,
                              partner_id, company_id, channel_id, purpose_id, date_given, iys_deadline, iys_in_sync,
                              iys_status, iys_date, iys_transaction_id, iys_synced_at,
                              create_uid, create_date, write_uid, write_date)
                       SELECT %(common)s, v.partner_id, v.company_id, %(channel)s, %(purpose)s, v.moment,
                              v.deadline, v.in_sync, v.status, v.iys_date, v.transaction, v.synced,
                              %(uid)s, %(now)s, %(uid)s, %(now)s
                         FROM unnest(%(partners)s::int[], %(companies)s::int[], %(moments)s::timestamp[],
                                     %(deadlines)s::date[], %(in_sync)s::bool[], %(mirrored)s::bool[],
                                     %(statuses)s::varchar[], %(iys_dates)s::timestamp[], %(transactions)s::varchar[],
                                     %(synced)s::timestamp[])
                              WITH ORDINALITY AS v(partner_id, company_id, moment, deadline, in_sync, mirrored, status,
                                                   iys_date, transaction, synced, n)
                     ORDER BY v.n
                    RETURNING id, partner_id""",
                    common=common,
                    channel=channel.id,
                    purpose=purpose.id,
                    uid=env.uid,
                    now=now,
                    partners=array_literal(new),
                    companies=array_literal([people[partner_id][2] for partner_id in new]),
                    moments=array_literal([moments[partner_id] for partner_id in new]),
                    deadlines=array_literal([deadline(moments[partner_id]) for partner_id in new]),
                    in_sync=array_literal([in_sync(partner_id, None) for partner_id in new]),
                    **self._bulk_mirror_arrays(mirror, new),
                )
            )
        self.invalidate_model(WRITTEN + MIRRORED)
        env["res.partner"].invalidate_model(["affinity_consent_ids"])
        Consent = self.browse()
        rewritten = Consent.browse([row[0] for row in updated])
        inserted = Consent.browse([row[0] for row in created])
        # Whatever reads these fields elsewhere is told, as a write would; the computes (and the company of a
        # new consent) were done above.
        rewritten.modified(
            [
                name
                for name in WRITTEN + (MIRRORED if mirror else ())
                if name not in ("iys_deadline", "iys_in_sync")
            ]
        )
        inserted.modified(list(self._fields), create=True)
        for name in ("iys_deadline", "iys_in_sync"):
            env.remove_to_compute(self._fields[name], rewritten | inserted)
        env.remove_to_compute(self._fields["company_id"], inserted)
        old = {row[0]: row for row in changed}
        before = {consent_id: {"state": old[consent_id][2]} for consent_id in rewritten.ids}
        partner_of = {row[0]: row[1] for row in changed} | dict(created)
        logs = self._bulk_log(
            channel, purpose, vals, rewritten.ids + inserted.ids, partner_of, people, old, moments
        )
        if vals["source"] != "iys":
            # The queue keeps to the changes we made: a change read from IYS never goes back to it.
            env["affinity.iys.push"]._enqueue(logs)
        consents = rewritten | inserted
        consents._sync_blacklists(bulk=True)
        if purpose.code == "marketing" and self._bulk_greetings_may_follow(people):
            consents._greetings_follow_marketing(before)
        return consents

    def _bulk_mirror_arrays(self, mirror, partner_ids):
        """IYS's record of each partner's change (if any) as the statements' arrays."""
        rows = [mirror.get(partner_id) for partner_id in partner_ids]
        return {
            "mirrored": array_literal([row is not None for row in rows]),
            "statuses": array_literal([row and row[0] for row in rows]),
            "iys_dates": array_literal([row and row[1] for row in rows]),
            "transactions": array_literal([row and row[2] for row in rows]),
            "synced": array_literal([row and row[3] for row in rows]),
        }

    def _bulk_iys_holds(self, channel, partner_ids):
        """{partner id: can IYS hold the partner's number}, only where a number decides it."""
        if channel.address_kind not in ("phone", "mobile") or not channel.iys_type:
            return {}
        partners = self.env["res.partner"].browse(partner_ids)
        result = {}
        for partner in partners:
            recipient = partner._affinity_iys_recipient(channel)
            result[partner.id] = not recipient or iys_holds(channel.iys_type, recipient)
        return result

    def _bulk_deadline(self, channel, purpose, state, source):
        """The *Due at IYS By* of a moment, as ``_compute_iys_deadline`` gives it for this kind of change."""
        if not (
            channel.iys_type
            and purpose.code == "marketing"
            and state in ("granted", "denied")
            and source != "iys"
        ):
            return lambda _moment: None
        days = {}

        def deadline(moment):
            if not moment:
                return None
            day = turkish_date(moment)
            if day not in days:
                days[day] = add_business_days(day, IYS_BUSINESS_DAYS, TURKISH_PUBLIC_HOLIDAYS)
            return days[day]

        return deadline

    def _bulk_greetings_may_follow(self, people):
        """Can a marketing change move greetings here (a company counting them as commercial)?"""
        companies = {self.env.company.id} | {
            company for _name, _address, company in people.values() if company
        }
        return any(
            self.env["res.company"].sudo().browse(companies).mapped("affinity_relationship_commercial")
        )

    def _bulk_partner_rows(self, partner_ids):
        """{partner id: (display name, address, company)} as the history reads them, in one statement."""
        env = self.env
        env["res.partner"].flush_model(
            ["name", "email", "mobile", "phone", "company_id", "parent_id", "company_name"]
        )
        rows = env.execute_query(
            SQL(
                """SELECT id, name, email, mobile, phone, company_id, parent_id IS NOT NULL OR COALESCE(company_name, '') != ''
                     FROM res_partner WHERE id = ANY(%s::int[])""",
                id_array(partner_ids),
            )
        )
        plain = not any(env.context.get(key) for key in DISPLAY_CONTEXT)
        names = {}
        others = []
        for partner_id, name, _email, _mobile, _phone, _company, related in rows:
            if plain and not related:
                # res.partner._compute_display_name for a person without a company: the name, stripped.
                names[partner_id] = re.sub(r"\s+\n", "\n", (name or "").strip()).strip()
            else:
                others.append(partner_id)
        for partner in env["res.partner"].browse(others):
            names[partner.id] = partner.display_name
        return {
            partner_id: (names[partner_id], email or mobile or phone or None, company)
            for partner_id, _name, email, mobile, phone, company, _related in rows
        }

    def _bulk_log(self, channel, purpose, vals, ordered, partner_of, people, old, moments):
        """The history rows ``_log_changes`` appends, in one statement: the changed consents, then the new."""
        env = self.env
        Log = env["affinity.consent.log"].sudo()
        Log.flush_model()
        ids = env.execute_query(
            SQL(
                """INSERT INTO affinity_consent_log (
                          consent_id, partner_id, partner_name, partner_address, company_id, channel_id, purpose_id,
                          old_state, new_state, legal_basis, source, proof_ref, consent_date, expiry_date, user_id,
                          note, ip_address, user_agent, text_id, unverified,
                          create_uid, write_uid, create_date, write_date)
                   SELECT v.consent_id, v.partner_id, v.name, v.address, v.company_id, %(channel)s, %(purpose)s,
                          v.old_state, %(state)s, %(basis)s, %(source)s, %(proof)s, v.moment, NULL, %(uid)s,
                          %(note)s, NULL, NULL, NULL, FALSE, %(uid)s, %(uid)s, %(now)s, %(now)s
                     FROM unnest(%(consents)s::int[], %(partners)s::int[], %(names)s::varchar[], %(addresses)s::varchar[],
                                 %(companies)s::int[], %(old)s::varchar[], %(moments)s::timestamp[])
                          WITH ORDINALITY AS v(consent_id, partner_id, name, address, company_id, old_state, moment, n)
                 ORDER BY v.n
                RETURNING id""",
                channel=channel.id,
                purpose=purpose.id,
                state=vals["state"],
                basis=vals["legal_basis"] or None,
                source=vals["source"] or None,
                proof=vals["proof_ref"] or None,
                uid=env.uid,
                note=env.context.get("affinity_consent_note") or None,
                now=env.cr.now(),
                consents=array_literal(ordered),
                partners=array_literal([partner_of[consent_id] for consent_id in ordered]),
                names=array_literal([people[partner_of[consent_id]][0] for consent_id in ordered]),
                addresses=array_literal([people[partner_of[consent_id]][1] for consent_id in ordered]),
                companies=array_literal([people[partner_of[consent_id]][2] for consent_id in ordered]),
                old=array_literal(
                    [old[consent_id][2] if consent_id in old else None for consent_id in ordered]
                ),
                moments=array_literal([moments[partner_of[consent_id]] for consent_id in ordered]),
            )
        )
        for model, name in (
            ("affinity.consent", "log_ids"),
            ("res.partner", "affinity_consent_log_ids"),
            ("affinity.consent.text", "log_ids"),
        ):
            env[model].invalidate_model([name])
        return Log.browse([row[0] for row in ids])

    def _blacklist_insert(self, model, field, addresses, note):
        """New blacklist entries for these addresses, each with its chatter note saying why, as
        ``create`` under ``mail_create_nolog`` and ``_message_log_batch`` leave them; then the consent
        side of the entries (``affinity.blacklist.sync.mixin``) for whoever else holds the address."""
        env = self.env
        blacklist = env[model].sudo()
        blacklist.flush_model()
        now = env.cr.now()
        entries = blacklist.browse(
            row[0]
            for row in env.execute_query(
                SQL(
                    """INSERT INTO %(table)s (%(field)s, active, create_uid, write_uid, create_date, write_date)
                       SELECT address, TRUE, %(uid)s, %(uid)s, %(now)s, %(now)s
                         FROM unnest(%(addresses)s::varchar[]) WITH ORDINALITY AS v(address, n)
                     ORDER BY v.n
                    RETURNING id""",
                    table=SQL.identifier(blacklist._table),
                    field=SQL.identifier(field),
                    uid=env.uid,
                    now=now,
                    addresses=array_literal(addresses),
                )
            )
        )
        blacklist.invalidate_model()
        # As mail.thread's create: an entry made in this transaction is not tracked until it commits.
        entries._track_discard()
        self._blacklist_notes(entries, note)
        entries._affinity_sync_consent(blacklisted=True)

    def _blacklist_notes(self, entries, note):
        """``entries._message_log_batch(bodies=dict.fromkeys(entries.ids, note))`` in one statement."""
        env = self.env
        Message = env["mail.message"].sudo()
        author_id, email_from = entries._message_compute_author(None, None, raise_on_email=False)
        body = Message._fields["body"].convert_to_column_insert(
            Message._fields["body"].convert_to_cache(note, Message), Message
        )
        Message.flush_model()
        now, when = env.cr.now(), fields.Datetime.now()
        env.execute_query(
            SQL(
                """INSERT INTO mail_message (
                          res_id, model, body, author_id, email_from, record_alias_domain_id, record_company_id,
                          record_name, message_type, is_internal, subject, subtype_id, email_add_signature,
                          message_id, reply_to, reply_to_force_new, date,
                          create_uid, write_uid, create_date, write_date)
                   SELECT v.id, %(model)s, %(body)s, %(author)s, %(email_from)s, NULL, NULL, NULL, 'notification',
                          TRUE, NULL, %(subtype)s, FALSE, %(message_id)s, %(reply_to)s, NULL, %(when)s,
                          %(uid)s, %(uid)s, %(now)s, %(now)s
                     FROM unnest(%(ids)s::int[]) WITH ORDINALITY AS v(id, n)
                 ORDER BY v.n""",
                model=entries._name,
                body=body,
                author=author_id or None,
                email_from=email_from or None,
                subtype=env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                message_id=generate_tracking_message_id("message-notify"),
                reply_to=env["mail.thread"]._notify_get_reply_to(default=email_from)[False] or None,
                when=when,
                uid=env.uid,
                now=now,
                ids=array_literal(entries.ids),
            )
        )
        Message.invalidate_model()
        entries.invalidate_recordset()
