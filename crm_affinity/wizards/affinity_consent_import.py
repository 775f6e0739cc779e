import datetime
import re
import unicodedata
from collections import defaultdict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..models.affinity_consent import CONSENT_SOURCES, LEGAL_BASES
from ..tools.dates import TURKEY
from ..tools.iys import IYS_STATUS, IYS_TYPES
from ..tools.phone import partner_ids_by_phone_key, phone_key
from ..tools.records import reopen

STANDARD_COLUMNS = ("partner", "channel", "purpose", "state")
IYS_COLUMNS = ("recipient", "type", "status")
# States a file may set: a grant awaiting confirmation is the person's to confirm, never a file's.
IMPORT_STATES = ("granted", "denied", "not_asked")
# Dates as a spreadsheet in Turkey writes them (Turkish Excel: 06.11.2026 14:30), and ISO dates.
DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%Y/%m/%d")
TIME_FORMATS = (" %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M", "")
DATETIME_FORMATS = tuple(day + time for day in DATE_FORMATS for time in TIME_FORMATS)
# What the accepted formats look like, shown to a person whose date was refused.
DATE_EXAMPLES = "06.11.2026, 06.11.2026 14:30, 06.11.2026 14:30:00, 06/11/2026, 2026-11-06 14:30"


def fold(text):
    """A value as a person may type it, reduced to compare: case-blind with Turkish casing (İ/i, I/ı),
    accent-blind (ş/s, ğ/g, ç/c, ö/o, ü/u) and blind to spaces, hyphens and underscores:
    "E-POSTA", "e-posta" and "Eposta" fold alike, and so do "Not asked" and "not_asked"."""
    text = str(text or "").replace("İ", "i").replace("I", "i").replace("ı", "i")
    text = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[\W_]+", "", "".join(char for char in text if not unicodedata.combining(char)))


AMBIGUOUS = object()


class _Vocabulary:
    """The values one column accepts: each code and every label the product shows for it, in every
    installed language (record names and selection labels, read through Odoo's translations)."""

    def __init__(self):
        self.by_code = {}
        self.by_label = {}
        self.shown = []

    def add(self, value, code, labels, shown):
        self.shown.append((shown, code))
        self.by_code[fold(code)] = value
        for label in labels:
            key = fold(label)
            if key:
                # A label meaning two things means neither.
                self.by_label[key] = value if self.by_label.get(key, value) == value else AMBIGUOUS
        return self

    def get(self, text):
        """The value a cell names, by its code or by a label in any language; None if it names none."""
        key = fold(text)
        value = self.by_code.get(key, self.by_label.get(key)) if key else None
        return None if value is AMBIGUOUS else value

    def accepted(self):
        """What the column accepts, as the reader sees it: "E-posta (email), SMS (sms), …"."""
        return ", ".join(f"{shown} ({code})" if shown != code else code for shown, code in self.shown)


class AffinityConsentImport(models.TransientModel):
    """Import consents from CSV/XLSX: preview first, write only a file without a single bad row."""

    _name = "affinity.consent.import"
    _inherit = "affinity.file.import.mixin"
    _description = "Import Consents"

    layout = fields.Selection(
        [("standard", "Standard (partner, channel, purpose, state…)"), ("iys", "IYS bulk file")],
        required=True,
        default="standard",
    )
    state = fields.Selection(
        [("upload", "Upload"), ("preview", "Preview"), ("done", "Done")], default="upload"
    )
    line_ids = fields.One2many("affinity.consent.import.line", "wizard_id")
    error_count = fields.Integer(compute="_compute_counts")
    valid_count = fields.Integer(compute="_compute_counts")
    imported_count = fields.Integer(readonly=True)

    @api.depends("line_ids.error")
    def _compute_counts(self):
        for wizard in self:
            wizard.error_count = len(wizard.line_ids.filtered("error"))
            wizard.valid_count = len(wizard.line_ids) - wizard.error_count

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_preview(self):
        """Dry run: parse and check every row, write nothing."""
        self.ensure_one()
        self.line_ids.unlink()
        self.line_ids = [(0, 0, vals) for vals in self._parse()]
        self.state = "preview"
        return self._reopen()

    def action_import(self):
        self.ensure_one()
        lines = self._parse()
        errors = [line for line in lines if line["error"]]
        if errors:
            rows = [
                self.env._("Line %(line)s: %(error)s", line=error["line_no"], error=error["error"])
                for error in errors[:50]
            ]
            if len(errors) > 50:
                rows.append(
                    self.env._("… and %s more row(s): the preview lists every one.", len(errors) - 50)
                )
            raise UserError(
                self.env._(
                    "Nothing was imported: %(count)s row(s) are wrong.\n%(rows)s",
                    count=len(errors),
                    rows="\n".join(rows),
                )
            )
        if not lines:
            raise UserError(self.env._("The file holds no consent rows."))
        self._apply(lines)
        self.imported_count = len(lines)
        self.state = "done"
        return self._reopen()

    def _reopen(self):
        # The dialog keeps its title ("Import Consents" in the reader's language), not Odoo's default.
        return dict(reopen(self), name=self.env["ir.model"]._get(self._name).sudo().name)

    # ------------------------------------------------------------------
    # Parsing
    # ------------------------------------------------------------------

    def _required_columns(self):
        return STANDARD_COLUMNS if self.layout == "standard" else IYS_COLUMNS

    def _parse(self):
        rows = self._read_rows()
        resolver = _Resolver(self, rows)
        lines = [resolver.line(line_no, row) for line_no, row in rows]
        self._flag_duplicates(lines)
        return lines

    def _flag_duplicates(self, lines):
        """Two lines for one partner, channel and purpose: which one is meant is the file's to say."""
        by_key = defaultdict(list)
        for line in lines:
            key = (line["partner_id"], line["channel_id"], line["purpose_id"])
            if all(key):
                by_key[key].append(line)
        for same in by_key.values():
            if len(same) < 2:
                continue
            for line in same:
                others = ", ".join(str(other["line_no"]) for other in same if other is not line)
                message = self.env._("the same partner, channel and purpose as line %s", others)
                line["error"] = "; ".join(filter(None, [line["error"], message]))

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------

    def _apply(self, lines):
        """Upsert consents row by row values, but with one search for the whole file."""
        Consent = self.env["affinity.consent"].with_context(
            affinity_consent_note=self.env._("Imported from %s", self.filename or self.env._("a file"))
        )
        keys = {(line["partner_id"], line["channel_id"], line["purpose_id"]) for line in lines}
        existing = Consent.search([("partner_id", "in", list({k[0] for k in keys}))])
        by_key = {(c.partner_id.id, c.channel_id.id, c.purpose_id.id): c for c in existing}
        to_create = []
        for line in lines:
            key = (line["partner_id"], line["channel_id"], line["purpose_id"])
            vals = {
                "state": line["consent_state"],
                "date_given": line["date_given"],
                "source": line["source"],
                "proof_ref": line["proof_ref"],
                "legal_basis": line["legal_basis"] or "consent",
                "expiry_date": line["expiry_date"],
            }
            if key in by_key:
                by_key[key].write(vals)
            else:
                to_create.append(dict(vals, partner_id=key[0], channel_id=key[1], purpose_id=key[2]))
        if to_create:
            Consent.create(to_create)


class _Resolver:
    """Turns file rows into consent values; loads partners, channels and purposes once per file."""

    def __init__(self, wizard, rows):
        env = wizard.env
        self.env = env
        self.wizard = wizard
        self.layout = layout = wizard.layout
        self.channels, self.purposes, self.states, self.sources, self.bases = self._vocabularies()
        # A time typed in a file is the importing person's local time, as Odoo's own import reads it;
        # IYS writes Turkish time.
        self.tz = TURKEY if layout == "iys" else self._user_tz()
        refs = [
            str(row.get("partner" if layout == "standard" else "recipient", "")).strip() for _n, row in rows
        ]
        self.by_id, self.by_email, self.by_phone = self._load_partners(refs)

    def _user_tz(self):
        for name in (self.env.context.get("tz"), self.env.user.tz):
            try:
                if name:
                    return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
        return datetime.UTC

    def _vocabularies(self):
        """Each column's accepted values, from the names and labels the product shows in each language."""
        env = self.env
        languages = {code for code, _name in env["res.lang"].get_installed()} | {"en_US"}
        envs = [env(context=dict(env.context, lang=lang)) for lang in sorted(languages)]
        vocabularies = []
        for model in ("affinity.channel", "affinity.purpose"):
            records = env[model].search([])
            names = defaultdict(list)
            for lang_env in envs:
                for record in records.with_env(lang_env):
                    names[record.id].append(record.name)
            vocabulary = _Vocabulary()
            for record in records:
                vocabulary.add(record.id, record.code, names[record.id], record.name)
            vocabularies.append(vocabulary)
        Consent = env["affinity.consent"]
        for field_name, keep in (("state", IMPORT_STATES), ("source", None), ("legal_basis", None)):
            field = Consent._fields[field_name]
            labels = defaultdict(list)
            for lang_env in envs:
                for code, label in field._description_selection(lang_env):
                    labels[code].append(label)
            shown = dict(field._description_selection(env))
            vocabulary = _Vocabulary()
            for code in keep or shown:
                vocabulary.add(code, code, labels[code], shown[code])
            vocabularies.append(vocabulary)
        return vocabularies

    def _load_partners(self, refs):
        ids = [int(ref) for ref in refs if ref.isdigit() and len(ref) < 10]
        emails = [email_normalize(ref) for ref in refs if "@" in ref]
        Partner = self.env["res.partner"].with_context(active_test=False)
        by_id = {p.id: p.id for p in Partner.browse(ids).exists()}
        by_email = {}
        for partner in Partner.search_read(
            [("email_normalized", "in", [e for e in emails if e])], ["email_normalized"]
        ):
            by_email.setdefault(partner["email_normalized"], partner["id"])
        by_phone = partner_ids_by_phone_key(self.env, [phone_key(ref) for ref in refs if "@" not in ref])
        return by_id, by_email, by_phone

    def partner(self, ref):
        ref = str(ref or "").strip()
        if not ref:
            return None
        if "@" in ref:
            return self.by_email.get(email_normalize(ref))
        if ref.isdigit() and len(ref) < 10 and int(ref) in self.by_id:
            return self.by_id[int(ref)]
        return self.by_phone.get(phone_key(ref))

    @staticmethod
    def parse_datetime(value):
        """A cell as a local datetime: a workbook's own date or date-time cell, or text in a Turkish or ISO
        format (06.11.2026 14:30, 06/11/2026, 2026-11-06 14:30:00…); None when empty."""
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, datetime.date):
            return datetime.datetime.combine(value, datetime.time())
        text = " ".join(str(value).split())
        for pattern in DATETIME_FORMATS:
            try:
                return datetime.datetime.strptime(text, pattern)
            except ValueError:
                continue
        raise ValueError(text)

    def to_utc(self, local):
        return local.replace(tzinfo=self.tz).astimezone(datetime.UTC).replace(tzinfo=None)

    def unknown(self, column, value, vocabulary):
        """The refusal of a value a column does not know, naming the column and what it accepts."""
        args = {"value": value, "accepted": vocabulary.accepted()}
        if column == "channel":
            return self.env._(
                "column 'channel': unknown channel '%(value)s'; use one of: %(accepted)s", **args
            )
        if column == "purpose":
            return self.env._(
                "column 'purpose': unknown purpose '%(value)s'; use one of: %(accepted)s", **args
            )
        if column == "state":
            return self.env._("column 'state': unknown state '%(value)s'; use one of: %(accepted)s", **args)
        if column == "source":
            return self.env._("column 'source': unknown source '%(value)s'; use one of: %(accepted)s", **args)
        return self.env._(
            "column 'legal_basis': unknown legal basis '%(value)s'; use one of: %(accepted)s", **args
        )

    def not_a_date(self, column, value):
        return self.env._(
            "column '%(column)s': '%(value)s' is not a date; write it as %(examples)s",
            column=column,
            value=value,
            examples=DATE_EXAMPLES,
        )

    def line(self, line_no, row):
        vals = {
            "line_no": line_no,
            "error": False,
            "partner_id": False,
            "channel_id": False,
            "purpose_id": False,
            "consent_state": False,
            "date_given": False,
            "source": "import",
            "proof_ref": False,
            "legal_basis": "consent",
            "expiry_date": False,
        }
        errors, row = self.wizard._cell_errors(row)
        channel_id = purpose_id = False
        if self.layout == "standard":
            ref_column, date_column = "partner", "date"
            ref = row.get("partner")
            channel = str(row.get("channel") or "").strip()
            channel_id = self.channels.get(channel)
            if channel and not channel_id:
                errors.append(self.unknown("channel", channel, self.channels))
            purpose = str(row.get("purpose") or "").strip()
            purpose_id = self.purposes.get(purpose)
            if purpose and not purpose_id:
                errors.append(self.unknown("purpose", purpose, self.purposes))
            state_text = str(row.get("state") or "").strip()
            state = self.states.get(state_text)
            if state_text and not state:
                errors.append(self.unknown("state", state_text, self.states))
            source_text = str(row.get("source") or "").strip()
            source = self.sources.get(source_text) if source_text else "import"
            if not source:
                errors.append(self.unknown("source", source_text, self.sources))
            vals["proof_ref"] = str(row.get("proof_ref") or row.get("proof") or "").strip() or False
            basis_text = str(row.get("legal_basis") or "").strip()
            basis = self.bases.get(basis_text) if basis_text else "consent"
            if not basis:
                errors.append(self.unknown("legal_basis", basis_text, self.bases))
            vals["legal_basis"] = basis or False
            date_value = row.get("date")
            expiry = row.get("expiry_date")
        else:
            ref_column, date_column = "recipient", "consentdate"
            ref = row.get("recipient")
            iys_type = str(row.get("type") or "").strip().upper()
            channel_id = self.channels.get(IYS_TYPES.get(iys_type, ""))
            if not channel_id:
                errors.append(
                    self.env._(
                        "column 'type': unknown IYS type '%s'; use one of: ARAMA, MESAJ, EPOSTA", iys_type
                    )
                )
            purpose_id = self.purposes.get("marketing")
            status = str(row.get("status") or "").strip().upper()
            state = IYS_STATUS.get(status)
            if not state:
                errors.append(
                    self.env._("column 'status': unknown IYS status '%s'; use one of: ONAY, RET", status)
                )
            source = "iys"
            code = str(row.get("source") or "").strip().upper()
            vals["proof_ref"] = f"IYS {code}".strip()
            date_value = row.get("consentdate")
            expiry = None
        vals["partner_id"] = self.partner(ref)
        if str(ref or "").strip() and not vals["partner_id"]:
            errors.append(
                self.env._(
                    "column '%(column)s': no partner matches '%(value)s'; give an e-mail address, a phone "
                    "number or a contact's ID",
                    column=ref_column,
                    value=ref,
                )
            )
        vals["channel_id"] = channel_id or False
        vals["purpose_id"] = purpose_id or False
        vals["consent_state"] = state or False
        vals["source"] = source or False
        given = None
        try:
            given = self.parse_datetime(date_value)
        except ValueError:
            errors.append(self.not_a_date(date_column, date_value))
        now = fields.Datetime.now()
        vals["date_given"] = self.to_utc(given) if given else now
        if given and vals["date_given"] > now + datetime.timedelta(days=1):
            errors.append(self.env._("column '%s': the consent date lies in the future", date_column))
        if expiry not in (None, ""):
            try:
                vals["expiry_date"] = self.parse_datetime(expiry).date()
            except ValueError:
                errors.append(self.not_a_date("expiry_date", expiry))
            else:
                given_day = given.date() if given else self.to_local(now).date()
                if vals["expiry_date"] < given_day:
                    errors.append(
                        self.env._(
                            "column 'expiry_date': the consent expires (%(expiry)s) before it was given "
                            "(%(given)s)",
                            expiry=vals["expiry_date"],
                            given=given_day,
                        )
                    )
        vals["error"] = "; ".join(str(e) for e in errors) or False
        return vals

    def to_local(self, moment):
        return moment.replace(tzinfo=datetime.UTC).astimezone(self.tz).replace(tzinfo=None)


class AffinityConsentImportLine(models.TransientModel):
    _name = "affinity.consent.import.line"
    _description = "Import Consents: Preview Line"
    _order = "line_no"

    wizard_id = fields.Many2one("affinity.consent.import", required=True, ondelete="cascade")
    line_no = fields.Integer(string="Line")
    partner_id = fields.Many2one("res.partner")
    channel_id = fields.Many2one("affinity.channel")
    purpose_id = fields.Many2one("affinity.purpose")
    consent_state = fields.Selection(
        [("granted", "Granted"), ("denied", "Denied"), ("not_asked", "Not asked")]
    )
    date_given = fields.Datetime()
    source = fields.Selection(CONSENT_SOURCES)
    proof_ref = fields.Char()
    legal_basis = fields.Selection(LEGAL_BASES)
    expiry_date = fields.Date()
    # Text, not Char: the preview wraps a long error instead of cutting it off.
    error = fields.Text()
