"""A stand-in for IYS's API on 127.0.0.1, for tests: the routes crm_affinity uses and the rules IYS enforces.

It is a real HTTP server in a thread. It keeps consents per (brand, recipient, recipientType, type), applies
IYS's rules to every add, answers bulk requests asynchronously (each item stays *enqueue* for a number of
polls), hands out OAuth2 tokens that expire, answers ``H084`` after too many token requests, and fails on
demand (``fail_next``: 500 or 429 for the next N calls). Its error codes other than H084 are the stand-in's
own names for the rules (``RULE_*``), not IYS's numbering.
"""

import datetime
import itertools
import json
import threading
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


def business_days_between(earlier, later, holidays=()):
    days, current = 0, earlier
    while current < later:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days += 1
    return days


class IysStandIn:
    def __init__(self, username="iys-user", password="iys-secret", iys_code="123456", brand_code="654321"):
        self.username, self.password = username, password
        self.iys_code, self.brand_code = iys_code, brand_code
        self.access_seconds, self.refresh_seconds = 7200, 14400
        self.token_limit = 10
        self.enqueue_polls = 1
        self.holidays = set()
        self.now = None  # a fixed Turkish-time moment for the rules, else the clock
        # consents/changes serves the last 7 days except the last hour, as IYS does.
        self.hold_back = datetime.timedelta(hours=1)
        self.keep = datetime.timedelta(days=7)
        self.consents = {}
        self.changes = []
        self.requests = {}
        self.tokens = {}
        self.refresh_tokens = {}
        self.token_requests = 0
        self.calls = []
        self.failures = []
        self._ids = itertools.count(1)
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

    def fail_next(self, status, count=1, code=None):
        self.failures += [(status, code)] * count

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self._dispatch(request)
        return response(environ, start_response)

    @staticmethod
    def _json(body, status=200):
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _error(self, status, code, message, location=None):
        return self._json({"errors": [{"code": code, "message": message, "location": location}]}, status)

    def _dispatch(self, request):
        self.calls.append((request.method, request.path))
        if self.failures:
            status, code = self.failures.pop(0)
            return self._error(status, code or f"HTTP_{status}", "stand-in failure on demand")
        if request.path == "/oauth2/token" and request.method == "POST":
            return self._token(request)
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        until = self.tokens.get(token)
        if not until or until < self._clock():
            return self._error(401, "UNAUTHORIZED", "invalid or expired token")
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
        return self._error(404, "NOT_FOUND", "no such route")

    def _clock(self):
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    def _turkish_now(self):
        return self.now or datetime.datetime.now(TURKEY).replace(tzinfo=None)

    # --- auth ------------------------------------------------------------------------------------------

    def _token(self, request):
        self.token_requests += 1
        if self.token_requests > self.token_limit:
            return self._json({"code": "H084", "message": "hourly token limit reached"}, 429)
        form = request.form
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
        """The error IYS would give this consent, or None; the rules per (brand, recipient, type)."""
        for field in ("recipient", "type", "recipientType", "status"):
            if not item.get(field):
                return "RULE_MISSING_FIELD", f"{field} is required", field
        if item["type"] not in ("MESAJ", "ARAMA", "EPOSTA") or item["status"] not in ("ONAY", "RET"):
            return "RULE_BAD_VALUE", "type or status is not known", "type"
        if item["recipientType"] not in ("BIREYSEL", "TACIR"):
            return "RULE_BAD_VALUE", "recipientType is not known", "recipientType"
        key = (item["recipient"], item["recipientType"], item["type"])
        current = self.consents.get(key)
        if item["recipientType"] == "TACIR":
            return None
        source, moment = item.get("source"), item.get("consentDate")
        if source not in HS_SOURCES:
            return "RULE_BAD_SOURCE", "source is not a service-provider source", "source"
        try:
            when = datetime.datetime.strptime(moment or "", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return "RULE_BAD_DATE", "consentDate is YYYY-MM-DD HH:mm:ss", "consentDate"
        if current is None and item["status"] == "RET":
            return "RULE_FIRST_RET", "a first consent cannot be RET", "status"
        if current is not None and current["status"] == item["status"]:
            return "RULE_SAME_STATUS", f"already {item['status']}", "status"
        if source == "HS_KARAR" and current is None:
            return "RULE_KARAR_FIRST", "HS_KARAR is not allowed on a first add", "source"
        if source == "HS_2015" and when != FIRST_DAY:
            return "RULE_2015_DATE", "HS_2015 only with 2015-05-01 00:00:00", "consentDate"
        if when < FIRST_DAY:
            return "RULE_TOO_OLD", "consentDate before 2015-05-01", "consentDate"
        now = self._turkish_now()
        if when > now:
            return "RULE_FUTURE", "consentDate is in the future", "consentDate"
        if source != "HS_2015" and business_days_between(when.date(), now.date(), self.holidays) > 3:
            return "RULE_LATE", "consentDate is more than 3 business days in the past", "consentDate"
        if current is not None and when <= current["consentDate"]:
            return "RULE_NOT_NEWER", "consentDate is not later than the previous one", "consentDate"
        return None

    def _apply(self, item, source_kind="HS"):
        key = (item["recipient"], item["recipientType"], item["type"])
        moment = datetime.datetime.strptime(
            item.get("consentDate") or "2015-05-01 00:00:00", "%Y-%m-%d %H:%M:%S"
        )
        self.consents[key] = dict(item, consentDate=moment)
        transaction = f"T{next(self._ids):08d}"
        self.changes.append(
            {
                "index": len(self.changes),
                "kind": source_kind,
                "visible_at": self._clock(),
                "change": {
                    "recipient": item["recipient"],
                    "recipientType": item["recipientType"],
                    "type": item["type"],
                    "status": item["status"],
                    "source": item.get("source"),
                    "consentDate": item.get("consentDate"),
                    "transactionId": transaction,
                },
            }
        )
        return transaction

    def citizen_says(self, recipient, consent_type, status, moment=None, source="IYS_MOBIL"):
        """A citizen's own decision in IYS (e-Devlet, the app, a short link): it always stands."""
        moment = moment or self._turkish_now()
        item = {
            "recipient": recipient,
            "recipientType": "BIREYSEL",
            "type": consent_type,
            "status": status,
            "source": source,
            "consentDate": moment.strftime("%Y-%m-%d %H:%M:%S"),
        }
        with self._lock:
            return self._apply(item, source_kind="IYS")

    # --- routes ----------------------------------------------------------------------------------------

    def _add_one(self, item):
        error = self._check(item or {})
        if error:
            code, message, location = error
            return self._error(422, code, message, location)
        return self._json({"transactionId": self._apply(item), "creationDate": self._clock().isoformat()})

    def _bulk(self, items):
        if not isinstance(items, list) or not items:
            return self._error(400, "RULE_BAD_BODY", "a JSON array of consents")
        request_id = uuid.uuid4().hex
        self.requests[request_id] = {"items": items, "polls": 0, "results": None}
        return self._json({"requestId": request_id})

    def _bulk_result(self, request_id):
        request = self.requests.get(request_id)
        if not request:
            return self._error(404, "NOT_FOUND", "unknown requestId")
        request["polls"] += 1
        if request["polls"] <= self.enqueue_polls:
            return self._json([{"index": i, "status": "enqueue"} for i in range(len(request["items"]))])
        if request["results"] is None:
            results = []
            for index, item in enumerate(request["items"]):
                error = self._check(item)
                if error:
                    code, message, location = error
                    results.append(
                        {
                            "index": index,
                            "status": "failure",
                            "error": {"code": code, "message": message, "location": location},
                        }
                    )
                else:
                    results.append({"index": index, "status": "success", "transactionId": self._apply(item)})
            request["results"] = results
        return self._json(request["results"])

    def _status(self, body):
        key = (body.get("recipient"), body.get("recipientType"), body.get("type"))
        current = self.consents.get(key)
        if not current:
            return self._error(404, "NOT_FOUND", "no consent for this recipient")
        return self._json(dict(current, consentDate=current["consentDate"].strftime("%Y-%m-%d %H:%M:%S")))

    def _changes(self, args):
        source = args.get("source")
        after = int(args.get("after") or -1)
        limit = int(args.get("limit") or 1000)
        horizon = self._clock() - self.hold_back
        oldest = self._clock() - self.keep
        selected = [
            entry
            for entry in self.changes
            if entry["index"] > after and entry["kind"] == source and oldest <= entry["visible_at"] <= horizon
        ][:limit]
        cursor = str(selected[-1]["index"]) if selected else (str(after) if after >= 0 else None)
        return self._json({"list": [entry["change"] for entry in selected], "after": cursor})
