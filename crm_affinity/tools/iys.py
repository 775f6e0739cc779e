"""IYS (İleti Yönetim Sistemi) codes and how they map onto this addon's consent values."""

from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from .dates import utc_to_turkish

IYS_TYPES = {"EPOSTA": "email", "MESAJ": "sms", "ARAMA": "phone"}
IYS_STATUS = {"ONAY": "granted", "RET": "denied"}
IYS_SOURCES = {
    "HS_WEB": "web_form",
    "HS_EORTAM": "web_form",
    "HS_FIZIKSEL_ORTAM": "paper",
    "HS_ISLAK_IMZA": "paper",
    "HS_CAGRI_MERKEZI": "call_centre",
    "HS_SOSYAL_MEDYA": "web_form",
    "HS_EPOSTA": "email",
    "HS_MESAJ": "sms",
    "HS_ETKINLIK": "event",
    "HS_2015": "import",
    "HS_ATM": "paper",
    "HS_KARAR": "iys",
}
# The source code IYS receives for a consent obtained through each of this addon's sources.
SOURCE_TO_IYS = {
    "web_form": "HS_WEB",
    "paper": "HS_ISLAK_IMZA",
    "call_centre": "HS_CAGRI_MERKEZI",
    "email": "HS_EPOSTA",
    "sms": "HS_MESAJ",
    "event": "HS_ETKINLIK",
    # A list imported from elsewhere: how each consent was obtained is not known; only one older than
    # 1 May 2015 is HS_2015 (``iys_source_and_date``).
    "import": "HS_FIZIKSEL_ORTAM",
    "manual": "HS_FIZIKSEL_ORTAM",
}
# IYS's recipientType of a partner, by whether it is a company: IYS keeps a person's (BIREYSEL) and a merchant's
# (TACIR) consent to one address apart ("Aynı iletişim adresi için bir bireysel, bir tacir izin kaydı
# oluşturulabilir", İzin Doğrulama Kuralları).
RECIPIENT_TYPES = {False: "BIREYSEL", True: "TACIR"}
# İzin Doğrulama Kuralları: "source: HS_2015 değeri için, sadece "consentDate": "2015-05-01 00:00:00" kabul
# edilir": consents obtained before that day are registered with it, whatever their own moment.
HS_2015_DATE = "2015-05-01 00:00:00"
STATE_TO_IYS = {state: code for code, state in IYS_STATUS.items()}
CHANNEL_TO_IYS = {channel: code for code, channel in IYS_TYPES.items()}
SOURCE_TO_IYS.update(
    {
        "preference_centre": "HS_WEB",
        "capture": "HS_WEB",
        "confirmation": "HS_EPOSTA",
        "unsubscribe": "HS_EPOSTA",
        "offboarding": "HS_FIZIKSEL_ORTAM",
        "blacklist": "HS_FIZIKSEL_ORTAM",
    }
)
# Consents of this purpose are the commercial ones IYS registers (greetings follow them).
IYS_PURPOSE = "marketing"
# IYS holds Turkish numbers only (+90): a number elsewhere can never get an ONAY there, so the registry's
# requirement does not apply to it and it is never sent. Any e-mail address can be registered.
TURKISH_PREFIX = "+90"
# What the contact decision reads instead of IYS's status for a number IYS cannot hold.
NOT_HELD = "not_held"


def turkish_number_sql(number, country, turkey_id):
    """SQL: is this stored number (as typed) a Turkish one, the way E.164 formatting reads it? +90 or 0090,
    or a national number of a partner in Turkey or of no country (the safe side: IYS's rule applies)."""
    # translate() rather than a regular expression: a mailing reads 100 000 numbers.
    cleaned = SQL("translate(COALESCE(%s, ''), ' -()./', '')", number)
    return SQL(
        "(%(n)s LIKE %(plus90)s OR %(n)s LIKE %(zero90)s OR (%(n)s NOT LIKE %(plus)s AND %(n)s NOT LIKE %(zero)s"
        " AND (%(country)s IS NULL OR %(country)s = %(turkey)s)))",
        n=cleaned,
        plus90="+90%",
        zero90="0090%",
        plus="+%",
        zero="00%",
        country=country,
        turkey=turkey_id,
    )


def iys_source_and_date(source, moment):
    """The ``source`` and ``consentDate`` IYS receives for a change of ours given at ``moment`` (a naive UTC
    datetime, or None: no date): its moment in IYS's ``YYYY-MM-DD HH:mm:ss`` (GMT+3), except that a consent
    obtained before 2015-05-01 is HS_2015 on that very day, the only date IYS takes with it."""
    consent_date = utc_to_turkish(moment) if moment else ""
    if consent_date and consent_date < HS_2015_DATE:
        return "HS_2015", HS_2015_DATE
    return SOURCE_TO_IYS.get(source, "HS_FIZIKSEL_ORTAM"), consent_date


def iys_holds(consent_type, recipient):
    """Can IYS hold this recipient (an E.164 number for MESAJ / ARAMA, an address for EPOSTA)?"""
    if consent_type == "EPOSTA":
        return bool(recipient)
    return bool(recipient) and recipient.startswith(TURKISH_PREFIX)


_lt = LazyTranslate(__name__)
# What an IYS answer means, in words people read. H084 is IYS's; the RULE_* names are those of the
# stand-in server in the tests, one per rule IYS enforces (IYS's own numbering is in its documentation).
IYS_ERROR_LABELS = {
    "H084": _lt("the hourly limit of token requests is reached: the account waits before asking again"),
    "RULE_FIRST_RET": _lt("a first consent for this recipient cannot be a rejection"),
    "RULE_SAME_STATUS": _lt("IYS already holds this status"),
    "RULE_NOT_NEWER": _lt("the consent date is not later than the one IYS holds"),
    "RULE_FUTURE": _lt("the consent date is in the future"),
    "RULE_TOO_OLD": _lt("the consent date is before 1 May 2015"),
    "H155": _lt("the consent date is before 1 May 2015"),
    "H111": _lt("IYS does not know the consent type"),
    "H113": _lt("the source is not one IYS accepts"),
    "H114": _lt("the recipient is missing"),
    "H501": _lt("the report date is not in the form YYYY-MM-DD"),
    "RULE_RECIPIENT": _lt("IYS holds Turkish numbers only (+90)"),
    "RULE_BODY_NOT_JSON": _lt("the request body is not the JSON IYS expects"),
    "RULE_LATE": _lt("the consent is more than 3 business days old: IYS no longer accepts it"),
    "RULE_KARAR_FIRST": _lt("HS_KARAR cannot be the source of a first consent"),
    "RULE_2015_DATE": _lt("HS_2015 goes only with 2015-05-01 00:00:00"),
    "RULE_BAD_SOURCE": _lt("the source is not one IYS accepts"),
    "RULE_BAD_DATE": _lt("the consent date is not in the form YYYY-MM-DD HH:mm:ss"),
    "RULE_MISSING_FIELD": _lt("a required field is missing"),
}
KIND_LABELS = {
    "retry": _lt("IYS could not be reached or failed: the change is tried again later"),
    "pause": _lt("IYS asked us to wait: the account pauses"),
    "auth": _lt("IYS refused the credentials: check the account's user name and password"),
    "rejected": _lt("IYS rejected the change"),
}


def iys_error_label(env, error=None, code=None, kind=None):
    """An IYS answer as people read it, whatever language they work in."""
    code = code or (error.code if error else None)
    kind = kind or (error.kind if error else None)
    if code in IYS_ERROR_LABELS:
        return env._(IYS_ERROR_LABELS[code])
    if kind in KIND_LABELS:
        return env._(KIND_LABELS[kind])
    return str(error) if error else (code or "")
