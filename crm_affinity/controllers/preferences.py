"""Doors a person opens for themself: the preference centre, the double opt-in link, the capture endpoint."""

import json
import re

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import email_normalize

from ..models.affinity_consent_capture import CaptureRefused
from ..tools.inputs import clean_text
from ..tools.phone import phone_key

# Form fields a person never sees: a robot that fills them in is not a person.
HONEYPOT_FIELD = "website"
# The largest capture post read (bytes): a consent text of 10 000 characters fits several times over.
MAX_BODY = 64 * 1024
RECORD_ID = re.compile(r"[0-9]{1,9}")


def _evidence():
    """What the person's own request says about where and with what they decided."""
    agent = request.httprequest.user_agent.string or ""
    return {"ip_address": request.httprequest.remote_addr, "user_agent": agent[:512]}


class AffinityPreferences(http.Controller):
    def _centre(self, partner, lang=None):
        installed = dict(request.env["res.lang"].get_installed())
        lang = lang if lang in installed else partner.lang if partner.lang in installed else None
        if lang:
            request.update_context(lang=lang)
        return request.env["affinity.preference.centre"].sudo().with_context(lang=request.env.lang)

    def _render_page(self, partner, action_url, saved=None, lang=None):
        centre = self._centre(partner, lang)
        offers = centre._offers(partner)
        text = centre._text(offers)
        installed = request.env["res.lang"].get_installed()
        return request.render(
            "crm_affinity.preference_centre_page",
            {
                "partner": partner,
                "offers": offers,
                "text": text,
                "lines": centre._text_lines(offers),
                "action_url": action_url,
                "saved": saved,
                "languages": installed if len(installed) > 1 else [],
                "current_lang": request.env.lang,
                "do_not_contact": partner.sudo().affinity_do_not_contact,
            },
        )

    def _save(self, partner, post):
        centre = self._centre(partner, post.get("lang"))
        text_id = post.get("text_id") or "0"
        text = request.env["affinity.consent.text"].sudo().browse(int(text_id)).exists()
        if not text or text.kind != "preference_centre":
            # The page a person saved is the page they were shown: a text of another kind proves nothing.
            text = centre._text(centre._offers(partner))
        wanted = {key[len("offer_") :] for key in post if key.startswith("offer_")}
        return centre._apply(partner, wanted, post.get("do_not_contact"), dict(_evidence(), text_id=text.id))

    @http.route(
        "/affinity/preferences/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
    )
    def preferences(self, token, **post):
        partner, error = request.env["affinity.preference.centre"].sudo()._partner_of_token(token)
        if not partner:
            return self._render_invalid(error, 410 if error == "expired" else 404)
        return self._page(partner, f"/affinity/preferences/{token}", post)

    @http.route(
        "/my/affinity/preferences",
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
    )
    def my_preferences(self, **post):
        return self._page(request.env.user.partner_id.sudo(), "/my/affinity/preferences", post)

    def _page(self, partner, action_url, post):
        """The person's page; a POST (CSRF-checked by Odoo) saves what they changed first."""
        if not all(clean_text(value) for value in post.values()) or not RECORD_ID.fullmatch(
            post.get("text_id") or "0"
        ):
            # A file, a NUL or a broken character where the page sends text: nothing is read or changed.
            return self._render_invalid("bad_request", 400)
        changes = self._save(partner, post) if request.httprequest.method == "POST" else None
        return self._render_page(partner, action_url, saved=changes, lang=post.get("lang"))

    @http.route(
        "/affinity_preferences", type="http", auth="public", website=True, multilang=False, sitemap=False
    )
    def preferences_placeholder(self, **kwargs):
        """The placeholder of a test message: the real message carries the person's own link."""
        return self._render_invalid("placeholder")

    def _render_invalid(self, error, status=200):
        """One neutral page for every link that cannot be used: it names nobody and nothing."""
        return request.render(
            "crm_affinity.preference_centre_invalid", {"error": error or "invalid"}, status=status
        )

    @http.route(
        "/affinity/confirm/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def confirm(self, token, **kwargs):
        # A GET only shows the button: mail scanners open links, only a person presses a button.
        consent, error = request.env["affinity.preference.centre"].sudo()._confirm_check(token)
        return self._render_confirm(token, consent, error, done=False)

    @http.route(
        "/affinity/confirm/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def confirm_post(self, token, **post):
        consent, error = request.env["affinity.preference.centre"].sudo()._confirm(token, _evidence())
        return self._render_confirm(token, consent, error, done=not error)

    def _render_confirm(self, token, consent, error, done):
        """What a link shows once its signature held; a forged, foreign or unknown one shows the neutral page."""
        if error == "invalid":
            return self._render_invalid("invalid", 404)
        centre = self._centre(consent.partner_id)
        # The channel and the purpose are named in the person's language, as the page around them.
        consent = consent.with_env(centre.env)
        return request.render(
            "crm_affinity.preference_confirm_page",
            {"token": token, "consent": consent, "done": done, "error": error},
            status=410 if error == "expired" else 200,
        )

    @http.route(
        "/affinity/consent/capture",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,  # Other sites post here without an Odoo session; no cookie is read or changed.
        sitemap=False,
        save_session=False,
    )
    def capture(self, **kwargs):
        """Bad input answers 4xx naming the field and writes nothing; the answer never tells who is known."""
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_BODY:
            return self._refuse(request.env._("The body is larger than %s bytes.", MAX_BODY), "body", 413)
        raw = httprequest.get_data()
        if len(raw) > MAX_BODY:
            return self._refuse(request.env._("The body is larger than %s bytes.", MAX_BODY), "body", 413)
        try:
            # UTF-8 only (RFC 8259 §8.1): another encoding, or a byte order mark, is refused.
            payload = json.loads(raw.decode("utf-8") if raw else "null")
        except (ValueError, RecursionError):
            return self._refuse(request.env._("The body is not JSON."), "body")
        capture = request.env["affinity.consent.capture"].sudo()
        lang = payload.get("lang") if isinstance(payload, dict) else None
        if isinstance(lang, str) and lang in dict(request.env["res.lang"].get_installed()):
            capture = capture.with_context(lang=lang)
        try:
            values = capture._parse(payload)
        except CaptureRefused as error:
            return self._refuse(error.args[0], error.field)
        evidence = _evidence()
        grants = any(state == "granted" for _channel, _purpose, state in values["lines"])
        attempt, allowed = (
            request.env["affinity.capture.attempt"]
            .sudo()
            ._record(
                evidence["ip_address"], email_normalize(values["email"]), phone_key(values["phone"]), grants
            )
        )
        if not allowed:
            return self._refuse(capture.env._("Too many posts: try again in an hour."), "body", 429)
        if payload.get(HONEYPOT_FIELD):
            # Answered like a success, so a robot learns nothing; nothing is recorded.
            return self._json({"ok": True, "consents": capture._answer(values["lines"])})
        try:
            with request.env.cr.savepoint():
                result = capture._capture(values, evidence)
        except (UserError, AccessError) as error:
            return self._refuse(error.args[0], "body")
        attempt.accepted = True
        return self._json({"ok": True, "consents": result})

    def _refuse(self, message, field, status=400):
        return self._json({"error": message, "field": field}, status)

    def _json(self, body, status=200):
        return request.make_json_response(body, status=status)
