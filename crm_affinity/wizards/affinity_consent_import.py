import datetime
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..models.affinity_consent import CONSENT_SOURCES, LEGAL_BASES
from ..tools.iys import IYS_STATUS, IYS_TYPES
from ..tools.phone import partner_ids_by_phone_key, phone_key
from ..tools.records import reopen

STANDARD_COLUMNS = ("partner", "channel", "purpose", "state")
IYS_COLUMNS = ("recipient", "type", "status")


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
        return reopen(self)

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
        self.channels = {c.code: c.id for c in env["affinity.channel"].search([])}
        self.purposes = {p.code: p.id for p in env["affinity.purpose"].search([])}
        self.sources = dict(CONSENT_SOURCES)
        self.bases = dict(LEGAL_BASES)
        refs = [
            str(row.get("partner" if layout == "standard" else "recipient", "")).strip() for _n, row in rows
        ]
        self.by_id, self.by_email, self.by_phone = self._load_partners(refs)

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
        if not value:
            return fields.Datetime.now()
        if isinstance(value, datetime.datetime):
            return value
        if isinstance(value, datetime.date):
            return datetime.datetime.combine(value, datetime.time())
        text = str(value).strip()
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, pattern)
            except ValueError:
                continue
        raise ValueError(text)

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
        if self.layout == "standard":
            ref, channel, purpose = row.get("partner"), row.get("channel"), row.get("purpose")
            state = str(row.get("state") or "").strip().lower()
            source = str(row.get("source") or "import").strip().lower()
            vals["proof_ref"] = str(row.get("proof_ref") or row.get("proof") or "").strip() or False
            basis = str(row.get("legal_basis") or "consent").strip().lower()
            if basis not in self.bases:
                errors.append(self.env._("unknown legal basis '%s'", basis))
            vals["legal_basis"] = basis
            date_value = row.get("date")
            expiry = row.get("expiry_date")
        else:
            ref = row.get("recipient")
            iys_type = str(row.get("type") or "").strip().upper()
            channel = IYS_TYPES.get(iys_type)
            if not channel:
                errors.append(self.env._("unknown IYS type '%s' (ARAMA, MESAJ, EPOSTA)", iys_type))
            purpose = "marketing"
            status = str(row.get("status") or "").strip().upper()
            state = IYS_STATUS.get(status, status.lower())
            if status not in IYS_STATUS:
                errors.append(self.env._("unknown IYS status '%s' (ONAY, RET)", status))
            source = "iys"
            code = str(row.get("source") or "").strip().upper()
            vals["proof_ref"] = f"IYS {code}".strip()
            date_value = row.get("consentdate")
            expiry = None
        vals["partner_id"] = self.partner(ref)
        if str(ref or "").strip() and not vals["partner_id"]:
            errors.append(self.env._("no partner matches '%s'", ref))
        channel_code = str(channel or "").strip().lower()
        vals["channel_id"] = self.channels.get(channel_code, False)
        if channel_code and not vals["channel_id"]:
            errors.append(self.env._("unknown channel '%s'", channel_code))
        purpose_code = str(purpose or "").strip().lower()
        vals["purpose_id"] = self.purposes.get(purpose_code, False)
        if purpose_code and not vals["purpose_id"]:
            errors.append(self.env._("unknown purpose '%s'", purpose_code))
        if state and state not in ("granted", "denied", "not_asked") and self.layout == "standard":
            errors.append(self.env._("state must be granted, denied or not_asked, not '%s'", state))
        vals["consent_state"] = state if state in ("granted", "denied", "not_asked") else False
        if source not in self.sources:
            errors.append(self.env._("unknown source '%s'", source))
        vals["source"] = source
        try:
            vals["date_given"] = self.parse_datetime(date_value)
            if vals["date_given"] > datetime.datetime.now() + datetime.timedelta(days=1):
                errors.append(self.env._("the consent date lies in the future"))
        except ValueError:
            errors.append(self.env._("'%s' is not a date", date_value))
        if expiry:
            try:
                vals["expiry_date"] = self.parse_datetime(expiry).date()
            except ValueError:
                errors.append(self.env._("'%s' is not a date", expiry))
            else:
                if vals["date_given"] and vals["expiry_date"] < vals["date_given"].date():
                    errors.append(
                        self.env._(
                            "the consent expires (%(expiry)s) before it was given (%(given)s)",
                            expiry=vals["expiry_date"],
                            given=vals["date_given"].date(),
                        )
                    )
        vals["error"] = "; ".join(str(e) for e in errors) or False
        return vals


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
    error = fields.Char()
