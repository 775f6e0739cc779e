"""Turkish is complete: every term Odoo would export has a translation, in the words of the glossary."""

import re

from babel.messages.pofile import read_po
from lxml import etree

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
MODULES = (
    "crm_affinity",
    "crm_affinity_stock",
    "spreadsheet_dashboard_crm_affinity",
    "crm_affinity_automation",
)
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


def catalog(module):
    """{English: Turkish} of a module's tr.po."""
    path = get_module_path(module)
    if not path:
        return {}
    with open(f"{path}/i18n/tr.po", "rb") as po_file:
        return {message.id: message.string for message in read_po(po_file) if message.id}


WORDS = re.compile(r"[^\W\d_]+")
# Words of the English catalog that Turkish screens may still show, each for a reason: names and codes the
# glossary keeps (Affinity, IYS, SMS…), parts of addresses and file formats, and Odoo's own name.
ALLOWED_ENGLISH = {
    "affinity",  # the product's name (GLOSSARY.tr.md: the same in Turkish)
    "whatsapp",
    "odoo",
    "http",
    "https",
    "www",
    "com",
    "example",  # example.com in placeholders of addresses
    "csv",
    "xlsx",
    "utf",
    "json",
    "rfm",
    "vip",
    "bireysel",  # IYS's recipient types, Turkish words the catalog keeps as codes
    "tacir",
}
# Views of the web client whose words are not ours to translate: none. Data records whose names Odoo does not
# translate: none (the seed's questions are search filters, not shared favourites: ir.filters.name is not a
# translated field in Odoo 18).
# automation_oca's journey and step names are plain text: made translatable, its own test suite (which rebuilds
# those models from automation_oca alone) would read them as the wrong column type. What customers read of a
# shipped journey, its mail templates, is translated.
UNTRANSLATABLE_RECORDS = {"automation.configuration", "automation.configuration.step"}


@tagged("post_install", "-at_install")
class TestTurkishScreens(TransactionCase):
    """What a Turkish admin's screens show, rendered in tr_TR: no word of the English catalog is left on them.

    The oracle is the catalog itself: an English word is one the English texts use and no Turkish text does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.modules = cls.env["ir.module.module"].search(
            [("name", "in", MODULES), ("state", "=", "installed")]
        )
        cls.env["res.lang"]._activate_lang("tr_TR")
        cls.env["ir.module.module"]._load_module_terms(cls.modules.mapped("name"), ["tr_TR"], overwrite=True)
        cls.tr = cls.env(context=dict(cls.env.context, lang="tr_TR"))
        english, turkish = set(), set()
        for module in cls.modules.mapped("name"):
            for source, translation in catalog(module).items():
                english |= set(WORDS.findall(NOT_WORDS.sub(" ", source).lower()))
                turkish |= set(WORDS.findall((translation or "").lower()))
        cls.english = {word for word in english - turkish - ALLOWED_ENGLISH if len(word) > 2}

    def english_in(self, text):
        return sorted(set(WORDS.findall(NOT_WORDS.sub(" ", str(text or "")).lower())) & self.english)

    def assertTurkish(self, where, texts):
        left = {(text[:80], tuple(self.english_in(text))) for text in texts if self.english_in(text)}
        self.assertFalse(left, f"English on a Turkish screen ({where}): {sorted(left)[:10]}")

    def own(self, model):
        """Records of this addon's data of a model (its views, its configuration)."""
        data = self.env["ir.model.data"].search(
            [("module", "in", self.modules.mapped("name")), ("model", "=", model)]
        )
        return self.tr[model].browse(data.mapped("res_id")).exists()

    def test_the_english_oracle_knows_english(self):
        # The oracle finds what issue #34 saw; the Turkish words of the same screens are not mistaken for it.
        self.assertTrue({"wedding", "anniversary", "gifts"} <= self.english)
        self.assertFalse(self.english_in("Sıradaki Vesile: Evlilik yıldönümü · NASIL HİTAP EDİLMELİ"))
        self.assertEqual(self.english_in("Sıradaki Vesile: Wedding anniversary"), ["anniversary", "wedding"])

    def test_views_speak_turkish(self):
        """Every view and page of the addon: labels, titles, placeholders, help and texts."""
        for view in self.own("ir.ui.view"):
            root = etree.fromstring(view.arch_db.encode())
            texts = []
            for node in root.iter(etree.Element):
                texts += [node.get(attr) for attr in ("string", "placeholder", "help", "title", "confirm")]
                if node.tag != "code":
                    texts += [node.text] if node.text and not node.text.strip().startswith("{{") else []
                texts += [node.tail]
            with self.subTest(view=view.key or view.name):
                self.assertTurkish(view.key or view.name, [text for text in texts if text and text.strip()])

    def test_fields_speak_turkish(self):
        """The label, help and choices of every field the addon defines, as the screens and filters show them;
        of a core field the addon extends, the choices it adds."""
        modules = set(self.modules.mapped("name"))
        added = {}
        for value in self.own("ir.model.fields.selection"):
            added.setdefault((value.field_id.model, value.field_id.name), set()).add(value.value)
        for model_name, model in self.tr.registry.items():
            fields_ = {
                name: field
                for name, field in model._fields.items()
                if field._module in modules and not name.startswith(("activity_", "message_"))
            }
            if not fields_:
                continue
            described = self.tr[model_name].fields_get(list(fields_), ["string", "help", "selection"])
            texts = []
            for name, description in described.items():
                wholly_ours = set(fields_[name]._modules) <= modules
                if wholly_ours:
                    texts += [description.get("string"), description.get("help")]
                selection = description.get("selection")
                if isinstance(selection, list):
                    texts += [
                        label
                        for value, label in selection
                        if wholly_ours or value in added.get((model_name, name), ())
                    ]
            with self.subTest(model=model_name):
                self.assertTurkish(model_name, [text for text in texts if text])

    def test_records_speak_turkish(self):
        """Names the addon's data gives: channels, purposes, kinds of dates, segments, rules, templates, menus…"""
        models = set(
            self.env["ir.model.data"].search([("module", "in", self.modules.mapped("name"))]).mapped("model")
        )
        for model_name in sorted(models - UNTRANSLATABLE_RECORDS):
            if model_name.startswith(("ir.model", "ir.ui.view", "ir.rule")) or model_name not in self.tr:
                continue
            records = self.own(model_name)
            name_field = "name" if model_name == "res.groups" else "display_name"
            texts = [record[name_field] for record in records]
            if model_name == "mail.template":
                texts += records.mapped("subject")
            with self.subTest(model=model_name):
                self.assertTurkish(model_name, [text for text in texts if isinstance(text, str)])

    def test_python_titles_speak_turkish(self):
        """Titles built in Python: the windows a partner's buttons open, the import dialog."""
        partner = self.tr["res.partner"].create({"name": "Deniz Yıldız"})
        titles = [
            getattr(partner, method)()["name"]
            for method in (
                "action_affinity_contacts_due",
                "action_affinity_open_file",
                "action_affinity_open_communication",
                "action_affinity_open_value",
                "action_affinity_followups",
                "action_affinity_offboard",
                "action_affinity_review_flags",
            )
        ]
        wizard = self.tr["affinity.consent.import"].create({"file": b"cGFydG5lcg==", "filename": "x.csv"})
        titles.append(wizard._reopen()["name"])
        self.assertTurkish("python titles", titles)
        self.assertIn("Takipler", titles)
