"""The seeded dataset's vocabulary: sizes, names, places, products, likes and gifts."""

import unicodedata

SIZES = {
    "small": {"customers": 500, "prospect_leads": 350, "extra_opportunities": 150},
    "medium": {"customers": 10_000, "prospect_leads": 6_000, "extra_opportunities": 4_000},
    "large": {"customers": 100_000, "prospect_leads": 60_000, "extra_opportunities": 40_000},
}
YEARS = 3

TR_FEMALE = [
    "Ayşe",
    "Fatma",
    "Emine",
    "Hatice",
    "Zeynep",
    "Elif",
    "Meryem",
    "Zehra",
    "Selin",
    "Ece",
    "Büşra",
    "Derya",
    "Gül",
    "Songül",
    "Nur",
]
TR_MALE = [
    "Mehmet",
    "Mustafa",
    "Ahmet",
    "Ali",
    "Hüseyin",
    "Hasan",
    "İbrahim",
    "Osman",
    "Yusuf",
    "Murat",
    "Ömer",
    "Burak",
    "Emre",
    "Cem",
    "Gökhan",
]
TR_LAST = [
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Yıldırım",
    "Öztürk",
    "Aydın",
    "Özdemir",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Kara",
    "Koç",
    "Kurt",
    "Özkan",
    "Şimşek",
]
INT_FEMALE = ["Anna", "Maria", "Sophie", "Emma", "Lea", "Olivia", "Chiara", "Ingrid", "Julia", "Nora"]
INT_MALE = ["John", "Luca", "Pierre", "Jan", "Oliver", "Lukas", "Carlos", "Tom", "Henrik", "David"]
INT_LAST = [
    "Müller",
    "Smith",
    "García",
    "Rossi",
    "Martin",
    "Kowalski",
    "Johnson",
    "Brown",
    "Schneider",
    "Dubois",
    "Jansen",
    "Novak",
]
COMPANY_KINDS = [
    "Tekstil A.Ş.",
    "Gıda Ltd. Şti.",
    "Lojistik A.Ş.",
    "Mimarlık",
    "Yazılım A.Ş.",
    "Otomotiv Ltd. Şti.",
    "Turizm A.Ş.",
]
INT_COMPANY_KINDS = ["GmbH", "Ltd", "SARL", "S.p.A.", "B.V."]
TR_CITIES = [
    ("İstanbul", "34"),
    ("Ankara", "06"),
    ("İzmir", "35"),
    ("Bursa", "16"),
    ("Antalya", "07"),
    ("Konya", "42"),
    ("Adana", "01"),
    ("Gaziantep", "27"),
    ("Eskişehir", "26"),
    ("Trabzon", "61"),
]
INT_CITIES = [
    ("Berlin", "de", "Europe/Berlin", "+49 151"),
    ("London", "uk", "Europe/London", "+44 7700"),
    ("Paris", "fr", "Europe/Paris", "+33 6"),
    ("Madrid", "es", "Europe/Madrid", "+34 612"),
    ("Amsterdam", "nl", "Europe/Amsterdam", "+31 6"),
    ("New York", "us", "America/New_York", "+1 212"),
]
STREETS = [
    "Atatürk Cd.",
    "Cumhuriyet Cd.",
    "İstiklal Cd.",
    "Bağdat Cd.",
    "Gazi Blv.",
    "Main Street",
    "Kurfürstendamm",
    "Rue de Rivoli",
    "Gran Vía",
    "Keizersgracht",
]

# name, medium, share of customers, spend per new customer (CAC), order frequency factor, basket factor
# (name, medium, share of customers, acquisition cost per customer in TRY, purchase frequency, basket)
# A believable ranking: referrals cost little and stay loyal, paid ads and fairs cost the most, organic
# search costs the content that feeds it.
SOURCES = [
    ("Google Ads", "cpc", 0.22, 650.0, 1.0, 1.0),
    ("Instagram", "social", 0.18, 480.0, 0.7, 0.7),
    ("Referral", "referral", 0.14, 150.0, 1.5, 1.3),
    ("Trade fair", "event", 0.08, 2200.0, 1.4, 2.2),
    ("Newspaper banner", "banner", 0.06, 1600.0, 0.8, 0.9),
    ("Website", "organic", 0.20, 260.0, 1.1, 1.0),
    ("Cold call", "phone", 0.12, 900.0, 0.9, 1.2),
]
# The pilot that should not be rolled out: an influencer trial on Instagram, last year in March-May,
# buying customers at three times the cost of the ordinary Instagram campaign.
PILOT = {"source": "Instagram", "name": "Instagram influencer pilot", "months": (3, 4, 5), "cost_factor": 3.0}
PRODUCTS = [
    ("Espresso machine", 420.0, 260.0),
    ("Coffee beans 1 kg", 28.0, 14.0),
    ("Turkish tea set", 65.0, 30.0),
    ("Copper cezve", 24.0, 9.0),
    ("Porcelain cups (6)", 48.0, 20.0),
    ("Milk frother", 55.0, 25.0),
    ("Grinder", 140.0, 80.0),
    ("Descaler", 12.0, 4.0),
    ("Barista course", 180.0, 60.0),
    ("Maintenance plan", 95.0, 35.0),
    ("Gift box", 38.0, 18.0),
    ("Office coffee subscription", 240.0, 150.0),
]
LIKES = [
    ("flowers", "like", "Daisies"),
    ("flowers", "never", "Roses"),
    ("food", "like", "Seaside fish restaurant"),
    ("food", "like", "Country café breakfast"),
    ("food", "dislike", "Spicy food"),
    ("topic", "like", "Football"),
    ("topic", "never", "Politics"),
    ("brand", "like", "Handmade ceramics"),
    ("place", "like", "Bosphorus view"),
    ("gift", "like", "Books"),
    ("gift", "dislike", "Chocolate"),
    ("other", "like", "Jazz"),
]
GIFTS = [("Bouquet of daisies", 25.0), ("Coffee gift box", 38.0), ("Book", 20.0), ("Ceramic mug", 15.0)]


def ascii_slug(text):
    text = text.replace("ı", "i").replace("İ", "I")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum() and ord(c) < 128).lower()
