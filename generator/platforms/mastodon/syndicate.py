"""Mastodon (and compatible servers: GoToSocial, Pleroma, Pixelfed's Mastodon API): statuses with images.

A note goes out as its text, an article as its title and summary; both end with the link home and
the post's hashtags, fitted into the instance's own limits (`GET /api/v2/instance`: characters,
the weight of a URL, images, alt text). The content warning becomes `spoiler_text`. A status is
created with `Idempotency-Key: entry.key`, so a retry within the hour returns the same status; after
that, `find` looks for the copy among the account's latest statuses by its link home. Edits are
real edits (`PUT /api/v1/statuses/:id`) that keep the media ids of images the status already holds
(recorded in the outbox, updating their alt text) and upload only new or changed images. Backfeed
(`responses`) lives in backfeed.py.

`authorize` registers Homepost on the instance and runs OAuth 2 authorization code with PKCE
(S256): the browser comes back to a one-shot server on 127.0.0.1, or the person pastes the code
shown by the instance (urn:ietf:wg:oauth:2.0:oob) when no browser or loopback server is available.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from urllib.parse import urlencode, urlsplit

from oauthlib.oauth2 import WebApplicationClient

from generator.config import TargetSettings
from generator.credentials import TargetCredentials
from generator.errors import NetworkError
from generator.http import HttpClient, Response
from generator.platforms.base import AuthIO, Copy, Draft, Entry, Harvest, Media, PlatformError, missing_credential
from generator.platforms.mastodon.backfeed import harvest
from generator.platforms.mastodon.client import (
    Api,
    Limits,
    attached,
    copy_of,
    fetch_limits,
    fingerprint,
    links_home,
    primary_language,
    upload,
    with_media,
)
from generator.syndication.fitting import fit, grapheme_length, shorten, url_weighted
from generator.syndication.loopback import LoopbackCallback, error_reason

log = logging.getLogger(__name__)

SCOPES = "read:accounts read:statuses write:statuses write:media"
OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK_WAIT = 300.0  # seconds to wait for the browser to come back
FIND_LIMIT = 40  # the latest statuses searched for an earlier copy (Mastodon's maximum page)


class MastodonPlatform:
    """One account on a Mastodon-compatible server."""

    can_update = True
    can_backfeed = True

    def __init__(
        self,
        target: TargetSettings,
        client: HttpClient,
        credentials: TargetCredentials,
        *,
        media_polls: int = 30,
        media_poll_wait: float = 1.0,
    ) -> None:
        self.target = target
        self.client = client
        self.credentials = credentials
        self.media_polls = media_polls  # how often to ask whether an uploaded image is processed
        self.media_poll_wait = media_poll_wait  # seconds between those questions
        self._limits: Limits | None = None

    # --- reading -------------------------------------------------------------------------------

    def limits(self) -> Limits:
        """The instance's limits, read once per run (no token needed)."""
        if self._limits is None:
            self._limits = fetch_limits(Api(self.target, self.client))
        return self._limits

    def render(self, entry: Entry) -> Draft:
        """The status for `entry`: text fitted to the instance, CW, visibility, language, images."""
        limits = self.limits()
        notes: list[str] = []
        spoiler = entry.content_warning.strip() if self.target.content_warning else ""
        if grapheme_length(spoiler) > limits.max_characters // 2:
            spoiler = shorten(spoiler, limits.max_characters // 2)
            notes.append(f"content warning shortened to {limits.max_characters // 2} characters")
        if entry.is_note:
            body = entry.text
        else:
            body = "\n\n".join(part for part in (entry.title or "", entry.summary.strip()) if part)
        # Mastodon counts the content warning and the text together against max_characters
        budget = limits.max_characters - grapheme_length(spoiler)
        text, fitted = fit(body, entry.url, entry.tags, budget, url_weighted(limits.url_weight))
        notes += fitted
        payload: dict[str, object] = {"status": text, "visibility": self.target.visibility, "spoiler_text": spoiler}
        payload["sensitive"] = bool(spoiler)  # servers default it to false, which shows the images unblurred
        language = primary_language(entry.language)
        if language:
            payload["language"] = language
        media, media_notes = self._choose_images(entry.images, limits)
        return Draft(text=text, payload=payload, media=media, notes=tuple(notes + media_notes))

    def _choose_images(self, images: tuple[Media, ...], limits: Limits) -> tuple[tuple[Media, ...], list[str]]:
        """The images the instance takes, their alt text cut to its limit, and notes on the rest."""
        notes: list[str] = []
        usable: list[Media] = []
        for image in images:
            if image.mime not in limits.mime_types:
                notes.append(f"left out {image.path.name}: the server does not take {image.mime or 'this type'}")
            elif image.size > limits.image_size_limit:
                notes.append(
                    f"left out {image.path.name}: {image.size} bytes, over the server's {limits.image_size_limit}"
                )
            else:
                usable.append(image)
        if len(usable) > limits.max_media:
            extra = len(usable) - limits.max_media
            notes.append(
                f"left out {extra} image{'s' if extra > 1 else ''} over the limit of {limits.max_media} per status"
            )
            usable = usable[: limits.max_media]
        chosen: list[Media] = []
        for image in usable:
            if grapheme_length(image.alt) > limits.description_limit:
                image = dataclasses.replace(image, alt=shorten(image.alt, limits.description_limit))
                notes.append(f"alt text of {image.path.name} shortened to {limits.description_limit} characters")
            chosen.append(image)
        return tuple(chosen), notes

    def find(self, draft: Draft, entry: Entry) -> Copy | None:
        """The status an earlier create made, found by its link home among the account's latest statuses."""
        api = self._api()
        try:
            account = api.json(
                api.call("GET", "/api/v1/accounts/verify_credentials", "reading the account"), "reading the account"
            )
            path = f"/api/v1/accounts/{account.get('id', '')}/statuses"
            response = api.call("GET", path, "reading the latest statuses", params={"limit": str(FIND_LIMIT)})
            statuses = response.json()
        except PlatformError as exc:
            if not exc.temporary:
                raise
            raise exc.undecided() from None
        except NetworkError:  # an answer that is not JSON: cannot tell
            raise PlatformError(
                f"{self.target.name}: the latest statuses could not be read", temporary=True, unknown_outcome=True
            ) from None
        for status in statuses if isinstance(statuses, list) else []:
            if isinstance(status, dict) and links_home(status, entry.url):
                return copy_of(status)
        return None

    def responses(self, copy: Copy, post_url: str, state: dict[str, str]) -> Harvest:
        """The copy's reply tree, favourites, boosts and quotes (read with the token when there is one)."""
        return harvest(Api(self.target, self.client, self.credentials.get("token") or None), copy, post_url, state)

    # --- writing -------------------------------------------------------------------------------

    def verify(self) -> None:
        """Check the token once per run (GET /api/v1/accounts/verify_credentials) before anything is posted."""
        api = self._api()
        api.call("GET", "/api/v1/accounts/verify_credentials", "checking the credentials")

    def create(self, draft: Draft, entry: Entry) -> Copy:
        """Upload the images, then post the status once (Idempotency-Key: entry.key)."""
        api = self._api()
        payload = dict(draft.payload)
        media = self._attach(api, draft.media, [])
        if media:
            payload["media_ids"] = [media_id for media_id, _ in media]
        response = api.call(
            "POST",
            "/api/v1/statuses",
            "posting the status",
            json=payload,
            headers={"Idempotency-Key": entry.key},
            unknown_outcome=True,
        )
        copy = self._copy(api, response, "posting the status")
        log.info("%s: posted %s", self.target.name, copy.url)
        return with_media(copy, media)

    def update(self, copy: Copy, draft: Draft, entry: Entry) -> Copy:
        """Edit the status to match the post (its text, content warning, language and images): images it already
        holds keep their media ids (their alt text updated with `media_attributes`); only new ones are uploaded."""
        api = self._api()
        payload = {key: value for key, value in draft.payload.items() if key != "visibility"}  # not editable
        held = attached(copy)
        kept = {media_id for media_id, _ in held}
        media = self._attach(api, draft.media, held)
        payload["media_ids"] = [media_id for media_id, _ in media]  # an edit without them drops the images
        payload["media_attributes"] = [
            {"id": media_id, "description": image.alt}
            for (media_id, _), image in zip(media, draft.media, strict=False)
            if media_id in kept
        ]
        response = api.call("PUT", f"/api/v1/statuses/{copy.id}", "editing the status", json=payload)
        updated = self._copy(api, response, "editing the status")
        log.info("%s: edited %s", self.target.name, updated.url or copy.url)
        return with_media(Copy(id=updated.id, url=updated.url or copy.url, extra=copy.extra), media)

    def delete(self, copy: Copy) -> None:
        """Delete the status (one already gone counts as deleted)."""
        response = self._api().call("DELETE", f"/api/v1/statuses/{copy.id}", "deleting the status", accept=(404,))
        log.info("%s: %s %s", self.target.name, "was already gone:" if response.status == 404 else "deleted", copy.url)

    # --- helpers -------------------------------------------------------------------------------

    def _api(self) -> Api:
        token = self.credentials.get("token")
        if not token:
            raise missing_credential(self.target)
        return Api(self.target, self.client, token)

    def _attach(self, api: Api, media: tuple[Media, ...], held: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """(media id, fingerprint) of each image: an id the status already holds for those bytes, else a new upload."""
        spare = list(held)
        attachments: list[tuple[str, str]] = []
        for image in media:
            digest = fingerprint(image)
            match = next((pair for pair in spare if digest and pair[1] == digest), None)
            if match is not None:
                spare.remove(match)  # two equal images are two attachments
            media_id = match[0] if match else upload(api, image, self.media_polls, self.media_poll_wait)
            attachments.append((media_id, digest))
        return attachments

    def _copy(self, api: Api, response: Response, action: str) -> Copy:
        status = api.json(response, action)
        if "id" not in status:
            raise PlatformError(
                f"{self.target.name}: {action}: the server's answer has no status id",
                temporary=True,
                unknown_outcome=True,
            )
        return copy_of(status)


# --- homepost auth ------------------------------------------------------------------------------


def authorize(
    target: TargetSettings,
    client: HttpClient,
    credentials: TargetCredentials,
    io: AuthIO,
    *,
    wait: float = CALLBACK_WAIT,
) -> str:
    """Register Homepost on the instance, get a token by OAuth 2 with PKCE, check it and store it."""
    api = Api(target, client)
    callback = LoopbackCallback.start()
    try:
        redirects = [callback.redirect_uri, OOB] if callback else [OOB]
        app = api.json(
            api.call(
                "POST",
                "/api/v1/apps",
                "registering Homepost on the instance",
                data={
                    "client_name": "Homepost",
                    "redirect_uris": "\n".join(redirects),
                    "scopes": SCOPES,
                },
            ),
            "registering Homepost on the instance",
        )
        client_id, client_secret = str(app.get("client_id") or ""), str(app.get("client_secret") or "")
        if not client_id or not client_secret:
            raise PlatformError(f"{target.name}: the instance registered no client id and secret", temporary=False)
        api.secrets += [client_secret]
        oauth = WebApplicationClient(client_id)
        verifier = oauth.create_code_verifier(64)
        challenge = oauth.create_code_challenge(verifier, "S256")
        api.secrets += [verifier]
        code, redirect = _browser_code(api, callback, client_id, challenge, io, wait) if callback else (None, OOB)
    finally:
        if callback:
            callback.close()
    if code is None:
        redirect = OOB
        io.say(
            f"Open this address, approve Homepost, and paste the code the instance shows:\n"
            f"{_authorize_url(api, client_id, OOB, challenge, None)}"
        )
        code = io.ask("Authorization code").strip()
        if not code:
            raise PlatformError(f"{target.name}: no authorization code was given", temporary=False)
    api.secrets += [code]
    token = _exchange(api, client_id, client_secret, code, redirect, verifier)
    api.token = token
    api.secrets += [token]
    account = api.json(
        api.call("GET", "/api/v1/accounts/verify_credentials", "checking the new token"), "checking the new token"
    )
    credentials.save({"client_id": client_id, "client_secret": client_secret, "token": token})
    handle = str(account.get("acct") or account.get("username") or "")
    if "@" not in handle:
        handle = f"{handle}@{urlsplit(api.base).netloc}"
    log.info("%s: authorized @%s", target.name, handle)
    return f"Authorized @{handle}"


def _authorize_url(api: Api, client_id: str, redirect: str, challenge: str, state: str | None) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "scope": SCOPES,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if state:
        query["state"] = state
    return f"{api.base}/oauth/authorize?{urlencode(query)}"


def _browser_code(
    api: Api, callback: LoopbackCallback, client_id: str, challenge: str, io: AuthIO, wait: float
) -> tuple[str | None, str]:
    """The code the browser brings back to the loopback server, or (None, OOB) to paste it instead."""
    state = secrets.token_urlsafe(24)
    callback.expect(state)
    if not io.open(_authorize_url(api, client_id, callback.redirect_uri, challenge, state)):
        return None, OOB
    io.say("Approve Homepost in the browser window; waiting for it to come back…")
    params = callback.wait(wait)
    if params is None:
        io.say(f"The browser did not come back within {round(wait)} s.")
        return None, OOB
    if "error" in params or not params.get("code"):
        reason = error_reason(params, limit=100)
        raise PlatformError(f"{api.name}: the instance did not authorize Homepost ({reason})", temporary=False)
    return params["code"], callback.redirect_uri


def _exchange(api: Api, client_id: str, client_secret: str, code: str, redirect: str, verifier: str) -> str:
    """The access token for an authorization code (POST /oauth/token with the PKCE verifier)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
        "client_id": client_id,
        "client_secret": client_secret,
        "code_verifier": verifier,
        "scope": SCOPES,
    }
    data = api.json(api.call("POST", "/oauth/token", "getting the token", data=form), "getting the token")
    token = str(data.get("access_token") or "")
    if not token:
        raise PlatformError(f"{api.name}: the instance gave no access token", temporary=False)
    return token
