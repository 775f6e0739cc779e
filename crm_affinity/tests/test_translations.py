"""Turkish is complete: every term Odoo would export has a translation, in the words of the glossary."""

import re

from babel.messages.pofile import read_po

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

# English term -> the Turkish stem every translation of it keeps (i18n/GLOSSARY.tr.md).
GLOSSARY = [
    (r"\bconsents?\b", r"iz[iİ]?n|rıza"),
    (r"\bchannels?\b", r"kanal"),
    (r"\bpurposes?\b", r"ama[çc]"),
    (r"\bfollow-?ups?\b", r"taki[pb]"),
    (r"\bimportant dates?\b", r"önemli gün"),
    (r"\b(information|affinity) files?\b", r"dosya"),
    (r"\bform of address\b", r"hitap"),
    (r"\bcontact windows?\b", r"iletişim saat"),
    (r"\bblacklist", r"kara liste"),
    (r"\breview flags?\b", r"işaret"),
    (r"\bcomplain", r"şikâyet"),
    (r"\boffboard", r"vedalaş"),
    (r"\brelationship owner\b", r"sorumlu"),
    (r"\blifetime value\b", r"yaşam boyu değer"),
    (r"\bcost to serve\b", r"hizmet maliyet"),
    (r"\bdo not contact\b", r"iletişime geçilmesin"),
]
# Code names and placeholders are not words to translate.
NOT_WORDS = re.compile(r"<code>.*?</code>|%\([a-z_]+\)[.0-9]*[sdf]|\{\{.*?\}\}|<[^>]+>", re.S)
MODULES = ("crm_affinity", "crm_affinity_stock", "spreadsheet_dashboard_crm_affinity")
# Names and codes that read the same in Turkish: the PO files leave them empty, as OCA's po-pretty-format
# wants, and Odoo shows the source. Any other empty entry is a missing translation.
SAME_IN_TURKISH = {
    "Affinity",
    "ARAMA",
    "EPOSTA",
    "MESAJ",
    "IYS",
    "SMS",
    "WhatsApp",
    "RFM",
    "VIP",
    "ID",
    "JSON",
    "Excel (XLSX)",
    "Segment",
    "ONAY",
    "RET",
    "BIREYSEL",
    "TACIR",
}


@tagged("post_install", "-at_install")
class TestTurkish(TransactionCase):
    def _catalog(self, module):
        path = get_module_path(module)
        if not path:
            return {}
        with open(f"{path}/i18n/tr.po", "rb") as po_file:
            return {message.id: message.string for message in read_po(po_file) if message.id}

    def _installed(self):
        return self.env["ir.module.module"].search([("name", "in", MODULES), ("state", "=", "installed")])

    def test_every_term_is_translated(self):
        for module in self._installed().mapped("name"):
            catalog = self._catalog(module)
            terms = {
                source
                for term_module, _type, _name, _res_id, source, _value, _comments in TranslationModuleReader(
                    self.env.cr, modules=[module]
                )
                if term_module == module
            }
            missing = sorted(term for term in terms if not catalog.get(term) and term not in SAME_IN_TURKISH)
            with self.subTest(module=module):
                self.assertTrue(terms)
                self.assertFalse(
                    missing, f"{len(missing)} term(s) of {module} have no Turkish: {missing[:10]}"
                )

    def test_translations_keep_to_the_glossary(self):
        for module in MODULES:
            for english, turkish in self._catalog(module).items():
                words = NOT_WORDS.sub(" ", english)
                for term, stem in GLOSSARY:
                    if re.search(term, words, re.I):
                        with self.subTest(module=module, term=term, msgid=english[:60]):
                            self.assertRegex(turkish, re.compile(stem, re.I))

    def test_placeholders_survive(self):
        placeholder = re.compile(r"%\([a-z_]+\)[.0-9]*[sdf]|%[sd]|\{\{[^}]*\}\}|t-out=\"[^\"]*\"")
        for module in MODULES:
            for english, turkish in self._catalog(module).items():
                with self.subTest(module=module, msgid=english[:60]):
                    self.assertEqual(
                        sorted(placeholder.findall(english)), sorted(placeholder.findall(turkish))
                    )
