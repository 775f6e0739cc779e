"""IYS (İleti Yönetim Sistemi) codes and how they map onto this addon's consent values."""

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
    "import": "HS_2015",
    "manual": "HS_FIZIKSEL_ORTAM",
}
STATE_TO_IYS = {state: code for code, state in IYS_STATUS.items()}
CHANNEL_TO_IYS = {channel: code for code, channel in IYS_TYPES.items()}
