"""A stand-in for IYS's API on 127.0.0.1, for tests: the routes crm_affinity uses and the rules IYS enforces.

Strict by the published pages (dev.iys.org.tr, "API Metotlar"); each rule below names the page it comes
from, and ``crm_affinity/readme/IYS.md`` lists them all beside the client and the tests. It is a real HTTP
server in a thread. It keeps consents per (brand, recipient, recipientType, type), applies IYS's rules to
every add, answers bulk requests asynchronously (each item stays *enqueue* for a number of polls), hands out
OAuth2 tokens that expire, answers ``H084`` after too many token requests, and fails on demand
(``fail_next``: 500 or 429 for the next N calls).

Error codes: where a stored page shows IYS's code for a rule (H111, H113, H114, H155, H501) the
stand-in answers it; where no stored page shows one, it answers its own name (``RULE_*``), said so beside
the rule. H084 (the hourly token limit) is known from integrators, not from a stored page; its answer's shape
here (429, a top-level ``code``) is ours.
"""

import datetime
import hashlib
import itertools
import json
import re
import threading
import time
import uuid

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

TURKEY = datetime.timezone(datetime.timedelta(hours=3))
FIRST_DAY = datetime.datetime(2015, 5, 1)
HS_SOURCES = {
    "HS_WEB",
    "HS_FIZIKSEL_ORTAM",
    "HS_ISLAK_IMZA",
    "HS_ETKINLIK",
    "HS_EORTAM",
    "HS_MOBIL",
    "HS_MESAJ",
    "HS_EPOSTA",
    "HS_CAGRI_MERKEZI",
    "HS_SOSYAL_MEDYA",
    "HS_ATM",
    "HS_2015",
    "HS_KARAR",
}


# The registry holds Turkish numbers (issue #35; every number on the pages is +90 and ten digits).
TURKISH_NUMBER = re.compile(r"^\+90\d{10}$")
CSV_COLUMNS = (
    "creationDate",
    "transactionId",
    "recipient",
    "recipientType",
    "type",
    "status",
    "consentDate",
    "source",
)


class ChangeList(list):
    """The changes IYS took, counting its own edits: the pull's order by creationDate is sorted again only
    after one (a bench pulls 100 000 changes a page at a time)."""

    version = 0

    def _edited(method):  # noqa: N805 - a decorator of the class body
        def edit(self, *args):
            self.version += 1
            return method(self, *args)

        return edit

    append = _edited(list.append)
    extend = _edited(list.extend)
    insert = _edited(list.insert)
    clear = _edited(list.clear)
    pop = _edited(list.pop)
    remove = _edited(list.remove)
    __setitem__ = _edited(list.__setitem__)
    __delitem__ = _edited(list.__delitem__)
    __iadd__ = _edited(list.__iadd__)


class IysStandIn:
    def __init__(self, username="iys-user", password="iys-secret", iys_code="123456", brand_code="654321"):
        self.username, self.password = username, password
        self.iys_code, self.brand_code = iys_code, brand_code
        self.access_seconds, self.refresh_seconds = 7200, 14400
        self.token_limit = 10
        self.brand_names = {brand_code: "Marka"}
        # The bulk results in the order of their index (as the page shows them) or reversed: the client
        # must match them by subrequestId, whatever the order.
        self.reversed_results = False
        self.bulk_max = 1000
        # İzin Hareketi Sorgulama (Pull): "changes?source=IYS henüz yayına alınmadığı için bu isteklere boş
        # cevap dönülmektedir". Set True to play the day it goes live.
        self.serve_citizen_changes = False
        self.empty_body = False
        self.token_bodies = []
        self.status_requests = 0
        # A pause before each status answer, and before each page of changes or change file, in seconds: a
        # realistic network round trip for the bench.
        self.status_delay = 0
        self.changes_delay = 0
        self.enqueue_polls = 1
        self.holidays = set()
        # The last day a brand could load its backdated consents (Aktivasyon tarihi): a brand's own; the pages
        # give none, the registry's announced deadlines ended on 31 December 2020.
        self.activation = datetime.datetime(2021, 1, 1)
        self.now = None  # a fixed Turkish-time moment for the rules, else the clock
        # consents/changes serves the last 7 days except the last hour, as IYS does.
        self.hold_back = datetime.timedelta(hours=1)
        self.keep = datetime.timedelta(days=7)
        self.consents = {}
        self.changes = ChangeList()
        self.requests = {}
        self.tokens = {}
        self.refresh_tokens = {}
        self.token_requests = 0
        self.calls = []
        self.failures = []
        self._ids = itertools.count(1)
        self._ordered, self._places, self._version = [], {}, None
        self._lock = threading.Lock()

    # --- the server ------------------------------------------------------------------------------------

    def start(self):
        self.server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)

    def fail_next(self, status, count=1, code=None, after=0):
        """The next ``count`` calls fail with ``status``, once ``after`` calls went through."""
        self.failures += [None] * after + [(status, code)] * count

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        if self.status_delay and request.path.endswith("/consents/status"):
            time.sleep(self.status_delay)
        if self.changes_delay and (
            request.path.endswith("/consents/changes") or request.path.endswith("/file")
        ):
            time.sleep(self.changes_delay)
        with self._lock:
            response = self._dispatch(request)
        return response(environ, start_response)

    @staticmethod
    def _json(body, status=200):
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _error(self, status, code, message, location=None):
        # Tekil İzin Ekleme, 422: each error's ``location`` is a list ("location": ["recipient"]).
        return self._json(
            {"errors": [{"code": code, "message": message, "location": [location] if location else []}]},
            status,
        )

    def _dispatch(self, request):
        self.calls.append((request.method, request.path))
        failure = self.failures.pop(0) if self.failures else None
        if failure:
            status, code = failure
            return self._error(status, code or f"HTTP_{status}", "stand-in failure on demand")
        if request.path == "/oauth2/token" and request.method == "POST":
            return self._token(request)
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        until = self.tokens.get(token)
        if not until or until < self._clock():
            return self._error(401, "UNAUTHORIZED", "invalid or expired token")
        # İzin Doğrulama Kuralları: the service provider's IYS code and the brand's code are path parameters;
        # an IYS code or brand that is not ours is not found (no stored page shows a code: own name).
        if not request.path.startswith(f"/sps/{self.iys_code}/brands"):
            return self._error(404, "NOT_FOUND", "unknown IYS code")
        if request.path.rstrip("/") == f"/sps/{self.iys_code}/brands" and request.method == "GET":
            return self._brands()
        prefix = f"/sps/{self.iys_code}/brands/{self.brand_code}/"
        if not request.path.startswith(prefix):
            return self._error(404, "NOT_FOUND", "unknown brand")
        tail = request.path[len(prefix) :]
        if tail == "consents" and request.method == "POST":
            return self._add_one(request.get_json())
        if tail == "consents/request" and request.method == "POST":
            return self._bulk(request.get_json())
        if tail.startswith("consents/request/") and request.method == "GET":
            return self._bulk_result(tail.rsplit("/", 1)[1])
        if tail == "consents/status" and request.method == "POST":
            return self._status(request.get_json())
        if tail == "consents/changes" and request.method == "GET":
            return self._changes(request.args)
        if tail.startswith("changes/") and tail.endswith("/file") and request.method == "GET":
            return self._change_file(tail.split("/")[1])
        return self._error(404, "NOT_FOUND", "no such route")

    def _clock(self):
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    def _turkish_now(self):
        return self.now or datetime.datetime.now(TURKEY).replace(tzinfo=None)

    # --- auth ------------------------------------------------------------------------------------------

    def _token(self, request):
        self.token_requests += 1
        if self.token_requests > self.token_limit:
            # H084: no stored page shows it; the shape of this answer is ours.
            return self._json({"code": "H084", "message": "hourly token limit reached"}, 429)
        # Kimlik Yönetimi → Jeton Alma / Jeton Yenileme: a JSON body {"username", "password", "grant_type":
        # "password"} or {"refresh_token", "grant_type": "refresh_token"}; a form is refused (own code).
        form = request.get_json(silent=True) if request.mimetype == "application/json" else None
        if not isinstance(form, dict):
            return self._error(400, "RULE_BODY_NOT_JSON", "the token request is a JSON body")
        self.token_bodies.append(dict(form))
        if form.get("grant_type") == "password":
            if (form.get("username"), form.get("password")) != (self.username, self.password):
                return self._json({"code": "INVALID_GRANT", "message": "bad credentials"}, 401)
        elif form.get("grant_type") == "refresh_token":
            until = self.refresh_tokens.pop(form.get("refresh_token"), None)
            if not until or until < self._clock():
                return self._json({"code": "INVALID_GRANT", "message": "refresh token expired"}, 401)
        else:
            return self._json({"code": "UNSUPPORTED_GRANT", "message": "grant_type"}, 400)
        access, refresh = uuid.uuid4().hex, uuid.uuid4().hex
        self.tokens[access] = self._clock() + datetime.timedelta(seconds=self.access_seconds)
        self.refresh_tokens[refresh] = self._clock() + datetime.timedelta(seconds=self.refresh_seconds)
        return self._json(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": self.access_seconds,
                "refresh_expires_in": self.refresh_seconds,
                "token_type": "Bearer",
            }
        )

    # --- the rules -------------------------------------------------------------------------------------

    def _check(self, item):
        """The error IYS would give this consent, or None; the rules per (brand, recipient, type).

        Pages: Tekil İzin Ekleme (fields, H111 / H113 / H114), İzin Doğrulama Kuralları (the rules),
        Çoklu İzin Ekleme İsteği Sorgulama (H155). Rules whose code no stored page shows answer RULE_*."""
        if not isinstance(item, dict):
            return "RULE_MISSING_FIELD", "a consent is a JSON object", "body"
        # Tekil İzin Ekleme, 422: "Alıcı (recipient) bulunamadı" H114, "İzin tipi (type) bulunamadı" H111.
        if not item.get("recipient"):
            return "H114", "Alıcı (recipient) bulunamadı.", "recipient"
        if item.get("type") not in ("MESAJ", "ARAMA", "EPOSTA"):
            return "H111", "İzin tipi (type) bulunamadı.", "type"
        for field in ("recipientType", "status"):
            if not item.get(field):
                return "RULE_MISSING_FIELD", f"{field} is required", field
        if item["status"] not in ("ONAY", "RET"):
            return "RULE_BAD_VALUE", "status is ONAY or RET", "status"
        if item["recipientType"] not in ("BIREYSEL", "TACIR"):
            return "RULE_BAD_VALUE", "recipientType is not known", "recipientType"
        if item["type"] != "EPOSTA" and not TURKISH_NUMBER.match(item["recipient"]):
            # Issue #35: the registry holds Turkish numbers, +90 and ten digits (own code).
            return "RULE_RECIPIENT", "a number IYS holds is +90 and ten digits", "recipient"
        # İzin Doğrulama Kuralları: the rules hold "her brandCode, recipient, recipientType ve type dörtlüsü
        # için"; "Aynı iletişim adresi için bir bireysel, bir tacir izin kaydı oluşturulabilir".
        key = (item["recipient"], item["recipientType"], item["type"])
        current = self.consents.get(key)
        source, moment = item.get("source"), item.get("consentDate")
        # İzin Doğrulama Kuralları: "consentDate ve source değerleri tacir izinleri için zorunlu değildir": a
        # merchant's consent may go without them; given, they are checked as a person's are.
        optional = item["recipientType"] == "TACIR"
        # İzin Doğrulama Kuralları: the source is never one of IYS's own (IYS_*) for a provider's add.
        # Tekil İzin Ekleme, 422: "İzin kaynağı (source) bulunamadı" H113 (for an IYS_* source no page shows a
        # code: H113 is our reading).
        if (source is not None or not optional) and source not in HS_SOURCES:
            return "H113", "İzin kaynağı (source) bulunamadı.", "source"
        when = None
        if moment is not None or not optional:
            try:
                when = datetime.datetime.strptime(moment or "", "%Y-%m-%d %H:%M:%S")
            except ValueError:
                return "RULE_BAD_DATE", "consentDate is YYYY-MM-DD HH:mm:ss", "consentDate"
        # İzin Doğrulama Kuralları: "İlk defa kaydedilen bir recipient için status RET olamaz" and "Bir iletişim
        # adresi için daha önce "ONAY" kaydedilmemişse "RET" kaydedilemez" (own code); for TACIR too.
        if current is None and item["status"] == "RET":
            return "RULE_FIRST_RET", "a first consent cannot be RET", "status"
        # İzin Doğrulama Kuralları: "Onaylı bir iletişim adresi için tekrar onay, ret kaydı bulunan bir
        # iletişim adresi için tekrar ret eklenemez" (own code).
        if current is not None and current["status"] == item["status"]:
            return "RULE_SAME_STATUS", f"already {item['status']}", "status"
        if source == "HS_KARAR" and current is None:
            # No page says so: HS_KARAR records a decision on an existing consent (own reading, own code).
            return "RULE_KARAR_FIRST", "HS_KARAR is not allowed on a first add", "source"
        if when is None:
            return None  # a merchant's consent without a date: nothing more to check
        # İzin Doğrulama Kuralları: HS_2015 only with "2015-05-01 00:00:00" (own code).
        if source == "HS_2015" and when != FIRST_DAY:
            return "RULE_2015_DATE", "HS_2015 only with 2015-05-01 00:00:00", "consentDate"
        # İzin Doğrulama Kuralları: nothing before 2015-05-01 00:00:00; the code is the one Çoklu İzin
        # Ekleme İsteği Sorgulama shows for it.
        if when < FIRST_DAY:
            return (
                "H155",
                "İzin tarihi (consentDate) için 2015-05-01 00:00:00 tarihinden önceki tarihler girilmemelidir.",
                "consentDate",
            )
        # İzin Doğrulama Kuralları: times are GMT+3; a consentDate after the moment of the request is
        # refused (own code).
        now = self._turkish_now()
        if when > now:
            return "RULE_FUTURE", "consentDate is in the future", "consentDate"
        # İzin Doğrulama Kuralları: "Aktivasyon tarihinden sonra sisteme yüklenecek izin, mevcut tarih ve
        # saatten en fazla 3 iş günü geride olabilir. Aktivasyon tarihi, geçmiş tarihli izinlerin sisteme
        # yüklenebileceği son tarihtir": after it, the date and the hour (a consent of Monday 14:00 is taken
        # until Thursday 14:00), HS_2015 included (own code).
        if now > self.activation and now > self.last_moment(when):
            return "RULE_LATE", "consentDate is more than 3 business days in the past", "consentDate"
        # İzin Doğrulama Kuralları: a new consentDate is always later than the one IYS holds (own code).
        if current is not None and when <= current["consentDate"]:
            return "RULE_NOT_NEWER", "consentDate is not later than the previous one", "consentDate"
        return None

    def last_moment(self, when):
        """The last moment IYS takes a consent given at ``when``: 3 business days later, the same hour."""
        day, days = when.date(), 0
        while days < 3:
            day += datetime.timedelta(days=1)
            if day.weekday() < 5 and day not in self.holidays:
                days += 1
        return datetime.datetime.combine(day, when.time())

    def _apply(self, item, source_kind="HS", created=None):
        key = (item["recipient"], item["recipientType"], item["type"])
        moment = datetime.datetime.strptime(
            item.get("consentDate") or "2015-05-01 00:00:00", "%Y-%m-%d %H:%M:%S"
        )
        created = created or self._turkish_now()
        self.consents[key] = dict(
            item, consentDate=moment, creationDate=created.strftime("%Y-%m-%d %H:%M:%S")
        )
        transaction = f"T{next(self._ids):08d}"
        self.changes.append(
            {
                "index": len(self.changes),
                "kind": source_kind,
                "visible_at": self._clock(),
                "created": created,
                "change": {
                    "recipient": item["recipient"],
                    "recipientType": item["recipientType"],
                    "type": item["type"],
                    "status": item["status"],
                    "source": item.get("source"),
                    "consentDate": item.get("consentDate"),
                    "creationDate": created.strftime("%Y-%m-%d %H:%M:%S"),
                    "transactionId": transaction,
                },
            }
        )
        return transaction

    def citizen_says(
        self, recipient, consent_type, status, moment=None, source="IYS_MOBIL", created=None, kind="BIREYSEL"
    ):
        """A citizen's own decision in IYS (e-Devlet, the app, a short link): it always stands.

        ``moment`` is the citizen's consentDate and ``created`` the registration (both Turkish time)."""
        moment = moment or created or self._turkish_now()
        item = {
            "recipient": recipient,
            "recipientType": kind,
            "type": consent_type,
            "status": status,
            "source": source,
            "consentDate": moment.strftime("%Y-%m-%d %H:%M:%S"),
        }
        with self._lock:
            return self._apply(item, source_kind="IYS", created=created or moment)

    # --- routes ----------------------------------------------------------------------------------------

    def _add_one(self, item):
        error = self._check(item or {})
        if error:
            code, message, location = error
            return self._error(422, code, message, location)
        # Tekil İzin Ekleme, 200: {"transactionId", "creationDate": "2020-07-24 14:27:06"} (Turkish time).
        return self._json(
            {
                "transactionId": self._apply(item),
                "creationDate": self._turkish_now().strftime("%Y-%m-%d %H:%M:%S"),
            }
        )

    def _brands(self):
        """Marka Listeleme: the brands of this IYS code."""
        return self._json(
            [
                {
                    "brandCode": int(code) if str(code).isdigit() else code,
                    "name": name,
                    "master": True,
                    "stats": {"consents": {"approval": 0, "rejection": 0, "total": 0}},
                }
                for code, name in self.brand_names.items()
            ]
        )

    def _bulk(self, items):
        if not isinstance(items, list) or not items:
            return self._error(400, "RULE_BAD_BODY", "a JSON array of consents")
        if len(items) > self.bulk_max:
            # The stored page does not show the maximum; the stand-in holds the addon's figure (own code).
            return self._error(400, "RULE_BULK_MAX", f"at most {self.bulk_max} consents a request")
        request_id = str(uuid.uuid4())
        # Asenkron Çoklu İzin Ekleme: the answer gives the requestId and, per item, a subrequestId.
        subrequests = [
            dict(item if isinstance(item, dict) else {}, subrequestId=str(uuid.uuid4())) for item in items
        ]
        self.requests[request_id] = {"items": items, "subrequests": subrequests, "polls": 0, "results": None}
        return self._json({"requestId": request_id, "subRequests": subrequests})

    def _bulk_result(self, request_id):
        """Çoklu İzin Ekleme İsteği Sorgulama: per item its ``index`` (the place in the batch, from 1),
        ``subrequestId``, ``status`` (enqueue, success, failure) and ``transactionId`` or ``error``."""
        request = self.requests.get(request_id)
        if not request:
            return self._error(404, "NOT_FOUND", "unknown requestId")
        request["polls"] += 1
        subrequests = request["subrequests"]
        if request["polls"] <= self.enqueue_polls:
            results = [
                {"index": index, "status": "enqueue", "subrequestId": sub["subrequestId"]}
                for index, sub in enumerate(subrequests, start=1)
            ]
        else:
            if request["results"] is None:
                results = []
                for index, (item, sub) in enumerate(zip(request["items"], subrequests, strict=True), start=1):
                    entry = {"index": index, "subrequestId": sub["subrequestId"]}
                    error = self._check(item)
                    if error:
                        code, message, location = error
                        # The page's example: "error": {"code", "message"}, no location.
                        entry.update(status="failure", error={"code": code, "message": message})
                    else:
                        entry.update(
                            status="success",
                            transactionId=self._apply(item),
                            creationDate=self._turkish_now().strftime("%Y-%m-%d %H:%M:%S"),
                        )
                    results.append(entry)
                request["results"] = results
            results = request["results"]
        return self._json(list(reversed(results)) if self.reversed_results else results)

    def _status(self, body):
        """Tekil İzin Durumu Sorgulama: the consent IYS holds, citizens' own changes included."""
        self.status_requests += 1
        body = body if isinstance(body, dict) else {}
        key = (body.get("recipient"), body.get("recipientType"), body.get("type"))
        current = self.consents.get(key)
        if not current:
            return self._error(404, "NOT_FOUND", "no consent for this recipient")
        return self._json(dict(current, consentDate=current["consentDate"].strftime("%Y-%m-%d %H:%M:%S")))

    def _change_file(self, report_date):
        """Günlük İzin Hareket Dosyası İndirme: the day's changes as CSV, for the 7 days before today."""
        try:
            day = datetime.datetime.strptime(report_date, "%Y-%m-%d").date()
        except ValueError:
            # The page's 422 example: H501 for a reportDate not in the form YYYY-MM-DD.
            return self._json(
                {
                    "errors": [
                        {
                            "code": "H501",
                            "location": ["reportDate"],
                            "value": report_date,
                            "message": "Tarih formatı yyyy-MM-dd olmalıdır.",
                        }
                    ]
                },
                422,
            )
        today = self._turkish_now().date()
        if not today - datetime.timedelta(days=7) <= day < today:
            # "İleri tarihli veya yedi günden daha eski bir gün için ... talepleri kabul edilmez" (own code).
            return self._error(422, "RULE_REPORT_DATE", "only the 7 days before today", "reportDate")
        lines = [",".join(CSV_COLUMNS)]
        for entry in self.changes:
            if entry["created"].date() == day:
                change = entry["change"]
                lines.append(",".join(str(change.get(column) or "") for column in CSV_COLUMNS))
        return Response("\n".join(lines) + "\n", status=200, content_type="text/csv; charset=utf-8")

    @staticmethod
    def cursor(entry):
        """The ``after`` of a change as the page shows one: "1604423100000_053a37a1…" (the moment IYS took
        it, in milliseconds, and a hash): opaque to the client, which only hands it back."""
        created = entry["created"].replace(tzinfo=TURKEY)
        digest = hashlib.sha256(entry["change"]["transactionId"].encode()).hexdigest()
        return f"{int(created.timestamp() * 1000)}_{digest}"

    def _in_order(self):
        """The changes "İYS'ye kayıt tarihine (creationDate) göre sıralı", and each cursor's place there."""
        if self._version != self.changes.version:
            self._version = self.changes.version
            self._ordered = sorted(self.changes, key=lambda entry: (entry["created"], entry["index"]))
            self._places = {self.cursor(entry): place for place, entry in enumerate(self._ordered)}
        return self._ordered

    def _changes(self, args):
        """İzin Hareketi Sorgulama (Pull): "son 1 saat hariç 7 gün içerisinde gerçekleşen izin hareketleri
        İYS'ye kayıt tarihine (creationDate) göre sıralı olarak listelenir", from the ``after`` given on."""
        source = args.get("source")
        after = args.get("after") or None
        # No stored page shows ``limit``; clients send it and the stand-in honours it.
        limit = int(args.get("limit") or 1000)
        if source == "IYS" and not self.serve_citizen_changes:
            # "changes?source=IYS henüz yayına alınmadığı için bu isteklere boş cevap dönülmektedir": an empty
            # list, or (``empty_body``) nothing at all; the page does not say which.
            if self.empty_body:
                return Response("", status=200)
            return self._json({"list": [], "after": after})
        ordered = self._in_order()
        start = 0
        if after is not None:
            if after not in self._places:
                # No page says what IYS answers a cursor it never gave (own code).
                return self._error(422, "RULE_BAD_CURSOR", "unknown after", "after")
            start = self._places[after] + 1
        horizon = self._clock() - self.hold_back
        oldest = self._clock() - self.keep
        selected = []
        for place in range(start, len(ordered)):
            entry = ordered[place]
            if entry["kind"] != source or entry["visible_at"] < oldest:
                continue
            if entry["visible_at"] > horizon:
                # "son 1 saat hariç": what came later is not served yet, and the cursor stays before it.
                break
            selected.append(entry)
            if len(selected) == limit:
                break
        cursor = self.cursor(selected[-1]) if selected else after
        return self._json({"list": [entry["change"] for entry in selected], "after": cursor})
