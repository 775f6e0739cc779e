"""Doors a person opens for themself: the preference centre, the double opt-in link, the capture endpoint."""

import json

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import email_normalize

from ..tools import tokens
from ..tools.phone import phone_key

# Form fields a person never sees: a robot that fills them in is not a person.
HONEYPOT_FIELD = "website"


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
        text = request.env["affinity.consent.text"].sudo().browse(int(post.get("text_id") or 0)).exists()
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
            return self._render_invalid(error)
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
        changes = self._save(partner, post) if request.httprequest.method == "POST" else None
        return self._render_page(partner, action_url, saved=changes, lang=post.get("lang"))

    @http.route(
        "/affinity_preferences", type="http", auth="public", website=True, multilang=False, sitemap=False
    )
    def preferences_placeholder(self, **kwargs):
        """The placeholder of a test message: the real message carries the person's own link."""
        return self._render_invalid("placeholder")

    def _render_invalid(self, error):
        return request.render("crm_affinity.preference_centre_invalid", {"error": error or "invalid"})

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
        consent = self._pending_consent(token)
        return request.render(
            "crm_affinity.preference_confirm_page",
            {"token": token, "consent": consent, "done": False, "error": None if consent else "invalid"},
        )

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
        if consent:
            self._centre(consent.partner_id)
        return request.render(
            "crm_affinity.preference_confirm_page",
            {"token": token, "consent": consent, "done": bool(consent), "error": error},
        )

    def _pending_consent(self, token):
        consent_id = tokens.subject_of(token)
        consent = request.env["affinity.consent"].sudo().browse(consent_id).exists() if consent_id else None
        if consent:
            self._centre(consent.partner_id)
        return consent or None

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
        try:
            payload = json.loads(request.httprequest.get_data(as_text=True) or "null")
        except ValueError:
            return self._json({"error": request.env._("The body is not JSON.")}, 400)
        if not isinstance(payload, dict):
            return self._json({"error": request.env._("Send one JSON object.")}, 400)
        evidence = _evidence()
        address = email_normalize(payload.get("email") or "") or phone_key(payload.get("phone") or "") or ""
        Attempt = request.env["affinity.capture.attempt"].sudo()
        allowed = Attempt._allowed(evidence["ip_address"], address)
        attempt = Attempt.create({"ip_address": evidence["ip_address"], "address": address})
        if not allowed:
            return self._json({"error": request.env._("Too many posts: try again in an hour.")}, 429)
        if payload.get(HONEYPOT_FIELD):
            # Answered like a success, so a robot learns nothing; nothing is recorded.
            return self._json({"ok": True, "consents": []})
        centre = request.env["affinity.preference.centre"].sudo()
        if payload.get("lang") in dict(request.env["res.lang"].get_installed()):
            centre = centre.with_context(lang=payload["lang"])
        try:
            with request.env.cr.savepoint():
                result = centre._capture(payload, evidence)
        except (UserError, AccessError) as error:
            return self._json({"error": str(error)}, 400)
        attempt.accepted = True
        return self._json({"ok": True, "consents": result})

    def _json(self, body, status=200):
        return request.make_json_response(body, status=status)
