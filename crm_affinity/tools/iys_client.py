"""The IYS client: every request crm_affinity makes to İleti Yönetim Sistemi goes through here.

It knows IYS's routes, its OAuth2 password grant with refresh tokens, and how each failure is to be read:
``IysError.kind`` says what the caller should do — ``retry`` (network, 5xx: back off), ``pause`` (H084,
429: stop asking for a while), ``auth`` (bad credentials: tell an administrator), ``rejected`` (422 and
other 4xx: show it, never retry blindly). Credentials and tokens never reach a log line.
"""

import csv
import datetime
import io
import logging

import requests

_logger = logging.getLogger(__name__)

TIMEOUT = 30
# IYS answers H084 when the hourly number of token requests is reached.
TOKEN_LIMIT_CODE = "H084"
# The most consents one bulk request (Asenkron Çoklu İzin Ekleme) carries. The stored copy of the page
# does not show the figure (see readme/IYS.md): this is the size the addon has always sent.
BULK_MAX = 1000
# The daily change file (Günlük İzin Hareket Dosyası) can be asked for the 7 days before today.
CHANGE_FILE_DAYS = 7


class IysError(Exception):
    def __init__(self, kind, message, code=None, http_status=None, errors=None, retry_after=None):
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.http_status = http_status
        self.errors = errors or []
        self.retry_after = retry_after


class IysClient:
    """One account's conversation with IYS; ``tokens`` is a dict the caller stores between runs."""

    def __init__(self, base_url, iys_code, brand_code, username, password, tokens=None, now=None):
        self.base_url = (base_url or "").rstrip("/")
        self.iys_code = iys_code
        self.brand_code = brand_code
        self.username = username
        self.password = password
        self.tokens = dict(tokens or {})
        self._now = now or (lambda: datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
        self.requests = 0

    # --- tokens ----------------------------------------------------------------------------------------

    def _token_request(self, body):
        # Kimlik Yönetimi → Jeton Alma / Jeton Yenileme: the body is JSON, not a form.
        body = self._json(self._send("POST", "/oauth2/token", json=body, authenticated=False))
        now = self._now()
        self.tokens = {
            "access_token": body["access_token"],
            "refresh_token": body.get("refresh_token"),
            "access_until": (
                now + datetime.timedelta(seconds=int(body.get("expires_in", 7200)) - 60)
            ).isoformat(),
            "refresh_until": (
                now + datetime.timedelta(seconds=int(body.get("refresh_expires_in", 14400)) - 60)
            ).isoformat(),
        }
        return self.tokens["access_token"]

    def access_token(self):
        """A valid access token: the one in hand, else refreshed, else a new login."""
        now = self._now().isoformat()
        if self.tokens.get("access_token") and self.tokens.get("access_until", "") > now:
            return self.tokens["access_token"]
        if self.tokens.get("refresh_token") and self.tokens.get("refresh_until", "") > now:
            try:
                return self._token_request(
                    {"grant_type": "refresh_token", "refresh_token": self.tokens["refresh_token"]}
                )
            except IysError as error:
                if error.kind != "auth":
                    raise
        return self._token_request(
            {"grant_type": "password", "username": self.username, "password": self.password}
        )

    # --- routes ----------------------------------------------------------------------------------------

    def _brand_path(self, tail):
        return f"/sps/{self.iys_code}/brands/{self.brand_code}/{tail}"

    def add_consent(self, consent):
        """One consent at once: ``{transactionId, creationDate}``."""
        return self._call("POST", self._brand_path("consents"), json=consent)

    def brands(self):
        """The brands of this IYS code (Marka Listeleme): ``[{brandCode, name, master, stats}]``."""
        return self._call("GET", f"/sps/{self.iys_code}/brands")

    def submit(self, consents):
        """An asynchronous bulk request (Asenkron Çoklu İzin Ekleme): ``{requestId, subRequests}``, one
        sub-request per consent, each with the ``subrequestId`` its result carries later."""
        if len(consents) > BULK_MAX:
            raise ValueError(f"a bulk request carries at most {BULK_MAX} consents")
        return self._call("POST", self._brand_path("consents/request"), json=consents)

    def result(self, request_id):
        """Per item of a bulk request (Çoklu İzin Ekleme İsteği Sorgulama):
        ``{index (from 1), subrequestId, status, transactionId, error}``."""
        return self._call("GET", self._brand_path(f"consents/request/{request_id}"))

    def status(self, recipient, recipient_type, consent_type):
        """IYS's current consent of one recipient, or None when IYS has none."""
        try:
            return self._call(
                "POST",
                self._brand_path("consents/status"),
                json={"recipient": recipient, "recipientType": recipient_type, "type": consent_type},
            )
        except IysError as error:
            if error.http_status == 404:
                return None
            raise

    def changes(self, source, after=None, limit=1000):
        """Changes since the cursor: ``{"list": [...], "after": cursor}``."""
        params = {"source": source, "limit": limit}
        if after:
            params["after"] = after
        # İzin Hareketi Sorgulama (Pull): source=IYS "bu isteklere boş cevap dönülmektedir": an empty page, an
        # empty JSON value or an empty body, all read as no change (for source=HS no page allows one).
        empty = {"list": [], "after": after} if source == "IYS" else None
        page = self._call("GET", self._brand_path("consents/changes"), empty=empty, params=params)
        return empty if empty is not None and not page else page

    def change_file(self, report_date):
        """The day's change file (Günlük İzin Hareket Dosyası), its CSV lines as dicts with the keys of
        the pull (``recipient``, ``recipientType``, ``type``, ``status``, ``consentDate``, ``source``,
        ``transactionId``, ``creationDate``)."""
        path = self._brand_path(f"changes/{report_date.isoformat()}/file")
        token = self.access_token()
        try:
            text = self._send("GET", path, token=token).text
        except IysError as error:
            if error.kind != "auth":
                raise
            self.tokens = {}
            text = self._send("GET", path, token=self.access_token()).text
        text = text.lstrip("\ufeff")
        header = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=header.count)
        return [
            {key.strip(): (value or "").strip() for key, value in row.items() if key}
            for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)
        ]

    # --- transport -------------------------------------------------------------------------------------

    def _call(self, method, path, empty=None, **kwargs):
        """``empty``: what an answer of 200 with an empty body means, where a page allows one."""
        token = self.access_token()
        try:
            return self._json(self._send(method, path, token=token, **kwargs), empty)
        except IysError as error:
            if error.kind != "auth" or path.startswith("/oauth2"):
                raise
        # The token was refused (revoked or expired early): one new login, then give up.
        self.tokens = {}
        return self._json(self._send(method, path, token=self.access_token(), **kwargs), empty)

    @staticmethod
    def _json(response, empty=None):
        """The answer's JSON; an answer without (a gateway's page, a cut body) is IYS failing: retry."""
        if empty is not None and response.status_code == 200 and not response.content.strip():
            return empty
        try:
            return response.json()
        except ValueError:
            raise IysError("retry", f"IYS answered HTTP {response.status_code} without JSON") from None

    def _send(self, method, path, token=None, authenticated=True, **kwargs):
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.requests += 1
        try:
            response = requests.request(
                method, self.base_url + path, headers=headers, timeout=TIMEOUT, **kwargs
            )
        except requests.RequestException as error:
            raise IysError("retry", f"IYS could not be reached: {type(error).__name__}") from None
        if response.status_code < 400:
            return response
        try:
            body = response.json()
        except ValueError:
            body = {}
        errors = body.get("errors") or []
        code = body.get("code") or (errors[0].get("code") if errors else None)
        message = body.get("message") or (errors[0].get("message") if errors else None) or response.reason
        retry_after = response.headers.get("Retry-After")
        status = response.status_code
        if code == TOKEN_LIMIT_CODE or status == 429:
            kind = "pause"
        elif status in (401, 403) or (path.startswith("/oauth2") and status == 400):
            kind = "auth"
        elif status >= 500:
            kind = "retry"
        else:
            kind = "rejected"
        _logger.info("IYS answered %s %s to %s %s", status, code or "", method, path.split("?")[0])
        raise IysError(kind, message, code=code, http_status=status, errors=errors, retry_after=retry_after)
