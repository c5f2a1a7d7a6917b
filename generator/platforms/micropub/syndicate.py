"""Micropub: copies of posts as h-entries on Micro.blog or any IndieWeb site (W3C Recommendation, 2017).

A copy is created with the JSON syntax (section 3.3.2), `{"type": ["h-entry"], "properties": ...}`:

- a note: `content` as `{"html": ..., "value": ...}`: its HTML with a last paragraph linking home
  (clickable), and the same as plain text with the bare link for servers that keep only text; an
  article: `name` (title), `summary`, and `content` as `{"html": ...}` with a last paragraph linking
  home. Tags go out as `category`, the server's own tags (Micropub has no length limit, so nothing is shortened and no
  hashtags are added to the text). `published` is the post's date; `mp-slug` its last path segment.
- `syndication: [<the post's URL>]`. The issue asks for it, and Micropub practice agrees: PESOS
  clients such as OwnYourGram create an entry with `syndication` naming the other copy of the same
  post, and servers that keep the property (IndieKit; WordPress with Syndication Links) can show it
  as a u-syndication link. Servers that do not know it must ignore it (section 3.3.5), which is why
  the link home is ALSO in `content`: that one reaches readers on every server, Micro.blog included.
- Content warnings have no standard property: `content-warning` is a microformats proposal
  (microformats/h-entry issue 19) and `summary` means a summary, not a warning. So the warning is
  written into the content as a first line "CW: <warning>" that every reader sees, and also sent as
  `content-warning` for the servers that implement the proposal (others ignore it).
- Images go to the media endpoint that `q=config` names (multipart `file`, 201 + Location), else
  they are referenced by their URLs on the site, which is live before anything is syndicated. Alt
  text travels as `{"value": url, "alt": text}` (section 3.3.2). A note's images are the post and
  go out as `photo` (post-type discovery makes it a photo post); an article's images already in its
  HTML stay there, and its cover goes out as `featured`, so the copy stays an article.

Micropub has no idempotency key. A create that timed out, lost its connection or met a gateway
error (500, 502, 504) may have been stored, so it is reported with `unknown_outcome`; `find` then
lists recent posts with `q=source&limit=20` (the "query for post list" extension: Micro.blog,
IndieKit and others) and looks for one naming the post's URL. A server without that query cannot
tell, and the post is held for the writer (`homepost syndicate --resolve`) rather than guessed.

`homepost auth <name>` signs in with IndieAuth (see `authorize`) or takes a pasted token.
"""

from __future__ import annotations

import copy as copying
import html
import logging
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from generator.config import TargetSettings
from generator.credentials import TargetCredentials
from generator.errors import NetworkError
from generator.http import HttpClient, Response
from generator.platforms.base import (
    AuthIO,
    Copy,
    Draft,
    Entry,
    Harvest,
    Media,
    PlatformError,
    missing_credential,
    server_reason,
)
from generator.platforms.micropub import client as api
from generator.platforms.micropub.backfeed import harvest
from generator.redaction import redact
from generator.syndication.loopback import LoopbackCallback, error_reason

log = logging.getLogger(__name__)

SCOPE = "create update delete media"
FIND_LIMIT = 20  # recent posts `find` looks through
CALLBACK_WAIT = 300.0  # seconds `authorize` waits for the browser to come back


class MicropubPlatform:
    """One Micropub endpoint (Micro.blog, IndieKit, a WordPress site...) that posts are copied to."""

    can_update = True
    can_backfeed = False  # nothing to read: replies to a Micropub copy arrive as webmentions
    max_images = 10  # Micropub sets no limits; these keep a copy reasonable and uploads bounded
    max_image_bytes = 10_000_000

    def __init__(self, target: TargetSettings, client: HttpClient, credentials: TargetCredentials) -> None:
        self.target = target
        self.client = client
        self.credentials = credentials
        self._config: dict[str, Any] | None = None  # the endpoint's q=config, read once

    # --- the Platform protocol ---------------------------------------------------------------

    def render(self, entry: Entry) -> Draft:
        """The h-entry for `entry`, with photos by their site URLs (create swaps in uploaded ones)."""
        text, properties = self._content(entry)
        media, notes = self._images(entry)
        properties.update(category=list(entry.tags), published=[entry.published.isoformat()], syndication=[entry.url])
        if media:  # a note's images are the post (photo); an article's cover only features it (featured)
            properties[_image_property(entry)] = [_image_value(m.url, m.alt) for m in media]
        slug = _slug(entry.url)
        properties["mp-slug"] = [slug] if slug else []  # a command; in JSON it rides along with the properties
        payload = {"type": ["h-entry"], "properties": {key: value for key, value in properties.items() if value}}
        return Draft(text=text, payload=payload, media=tuple(media), notes=tuple(notes))

    def verify(self) -> None:
        """Check the token once per run: `q=config` with it (read once, also naming the media endpoint)."""
        self._media_endpoint()

    def create(self, draft: Draft, entry: Entry) -> Copy:
        """Upload the images (where there is a media endpoint) and create the h-entry."""
        payload = copying.deepcopy(draft.payload)
        if draft.media and self._media_endpoint():
            payload["properties"][_image_property(entry)] = [_image_value(self._upload(m), m.alt) for m in draft.media]
        try:
            response = self.client.post(self.target.endpoint, json=payload, headers=self._headers())
        except NetworkError as exc:
            raise api.network_error(exc, self.target.name, "creating the post", unknown_outcome=True) from None
        if response.status not in (200, 201, 202):
            raise self._error(response, "creating the post", unknown_outcome=True)
        url = api.location(response)
        if url is None:  # created, perhaps, but nobody can say where
            raise self._held(f"create: answered {response.status} without a Location; the post may exist there")
        log.info("%s: created %s", self.target.name, redact(url))
        return Copy(id=url, url=url)

    def find(self, draft: Draft, entry: Entry) -> Copy | None:
        """The recent post on the server that names `entry.url`, or None; raises when the server cannot list posts."""
        try:
            response = self.client.get(
                self.target.endpoint, params={"q": "source", "limit": str(FIND_LIMIT)}, headers=self._headers()
            )
        except NetworkError as exc:
            raise api.network_error(exc, self.target.name, "listing recent posts", unknown_outcome=True) from None
        if response.status in (401, 403, 429) or response.status >= 500:
            raise self._error(response, "listing recent posts").undecided()
        items = _items(response) if response.status == 200 else None
        if items is None:
            raise self._held(f"the server cannot list recent posts (q=source) to look for a copy of {entry.url}")
        for item in items:
            properties = item.get("properties") if isinstance(item, dict) else None
            if not isinstance(properties, dict) or entry.url not in api.urls_in(properties):
                continue
            urls = [u for u in properties.get("url") or [] if isinstance(u, str) and u.startswith(("http:", "https:"))]
            if not urls:
                raise self._held(f"a recent post names {entry.url}, but the server does not say its URL")
            return Copy(id=urls[0], url=urls[0])
        return None

    def update(self, copy: Copy, draft: Draft, entry: Entry) -> Copy:
        """Replace the copy's content, title, summary, tags and warning (section 3.4); its photos stay."""
        properties = draft.payload["properties"]
        names = ("content", "name", "summary", "category", "content-warning")
        replace = {name: properties[name] for name in names if name in properties}
        body: dict[str, Any] = {"action": "update", "url": copy.url, "replace": replace}
        gone = [name for name in names[2:] if name not in properties and not (name == "summary" and entry.is_note)]
        if gone:
            body["delete"] = gone
        response = self._post(body, "editing the copy")
        url = api.location(response) if response.status == 201 else None  # the copy moved
        return Copy(id=url, url=url, extra=copy.extra) if url else copy

    def delete(self, copy: Copy) -> None:
        """Delete the copy (section 3.5); one the server no longer has counts as deleted."""
        self._post({"action": "delete", "url": copy.url}, "deleting the copy", missing_ok=True)

    def responses(self, copy: Copy, post_url: str, state: dict[str, str]) -> Harvest:
        """Micropub has no way to read what answered a post: its replies arrive as webmentions (see backfeed.py)."""
        return harvest(state)

    # --- formatting --------------------------------------------------------------------------

    def _content(self, entry: Entry) -> tuple[str, dict[str, Any]]:
        """The text readers see and the properties that carry it."""
        warning = entry.content_warning.strip() if self.target.content_warning else ""
        lead = f"CW: {warning}\n\n" if warning else ""
        extra: dict[str, Any] = {"content-warning": [warning]} if warning else {}
        home = f'<p><a href="{html.escape(entry.url)}">{html.escape(entry.url, quote=False)}</a></p>'
        cw = f"<p>CW: {html.escape(warning, quote=False)}</p>\n" if warning else ""
        if entry.is_note:  # HTML with a clickable link home, and the same as plain text for servers that take only that
            text = f"{lead}{entry.text.strip()}\n\n{entry.url}" if entry.text.strip() else f"{lead}{entry.url}"
            body = f"{cw}{entry.html.strip()}\n{home}" if entry.html.strip() else f"{cw}{home}"
            return text, {"content": [{"html": body, "value": text}], **extra}
        title = entry.title or ""
        text = "\n\n".join(part for part in (title, lead.strip(), entry.text.strip(), entry.url) if part)
        summary = {"summary": [entry.summary.strip()]} if entry.summary.strip() else {}
        return text, {"name": [title], **summary, "content": [{"html": f"{cw}{entry.html.strip()}\n{home}"}], **extra}

    def _images(self, entry: Entry) -> tuple[list[Media], list[str]]:
        """The images to attach, and notes on those left out."""
        notes: list[str] = []
        images = [m for m in entry.images if entry.is_note or m.url not in entry.html]
        images = images if entry.is_note else images[:1]  # an article: its cover
        fitting = [m for m in images if m.size <= self.max_image_bytes]
        if len(fitting) < len(images):
            notes.append(f"{len(images) - len(fitting)} image(s) over {self.max_image_bytes // 1_000_000} MB left out")
        if len(fitting) > self.max_images:
            notes.append(f"{len(fitting) - self.max_images} image(s) over the limit of {self.max_images} left out")
        return fitting[: self.max_images], notes

    # --- requests ----------------------------------------------------------------------------

    def _token(self) -> str:
        token = self.credentials.get("token")
        if not token:
            raise missing_credential(self.target)
        return token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}

    def _error(self, response: Response, action: str, *, unknown_outcome: bool = False) -> PlatformError:
        token = self.credentials.get("token") or ""
        return api.http_error(response, self.target.name, action, secrets=(token,), unknown_outcome=unknown_outcome)

    def _held(self, reason: str) -> PlatformError:
        """The error that holds a post for the writer: nobody can tell whether the copy exists."""
        where = redact(self.target.endpoint)
        message = f"{self.target.name}: {reason}; check {where}'s site and run `homepost syndicate --resolve`"
        return PlatformError(message, temporary=False, unknown_outcome=True)

    def _post(self, body: dict[str, Any], action: str, *, missing_ok: bool = False) -> Response:
        """POST an action (update, delete) to the endpoint; a success is 200, 201 or 204."""
        try:
            response = self.client.post(self.target.endpoint, json=body, headers=self._headers())
        except NetworkError as exc:
            raise api.network_error(exc, self.target.name, action) from None
        if missing_ok and response.status in (404, 410):
            return response
        if response.status not in (200, 201, 202, 204):
            raise self._error(response, action)
        log.info("%s: %s %s", self.target.name, body["action"], redact(str(body["url"])))
        return response

    def _media_endpoint(self) -> str | None:
        """The media endpoint from q=config (read once per instance), or None when the server has none."""
        if self._config is None:
            try:
                response = self.client.get(self.target.endpoint, params={"q": "config"}, headers=self._headers())
            except NetworkError as exc:
                raise api.network_error(exc, self.target.name, "reading the configuration") from None
            if response.status in (401, 403, 429) or response.status >= 500:
                raise self._error(response, "reading the configuration")
            body = _json(response) if response.status == 200 else None
            self._config = body if isinstance(body, dict) else {}  # no q=config: no media endpoint
        endpoint = self._config.get("media-endpoint")
        return endpoint if isinstance(endpoint, str) and endpoint.startswith(("http://", "https://")) else None

    def _upload(self, media: Media) -> str:
        """Upload one image to the media endpoint; its URL there."""
        endpoint = self._media_endpoint() or ""
        body, content_type = api.multipart(media.path.name, media.mime, media.path.read_bytes())
        try:
            response = self.client.post(endpoint, data=body, headers={**self._headers(), "Content-Type": content_type})
        except NetworkError as exc:
            raise api.network_error(exc, self.target.name, f"uploading {media.path.name}") from None
        if response.status not in (200, 201, 202):
            raise self._error(response, f"uploading {media.path.name}")
        url = api.location(response)
        if url is None:
            message = f"{self.target.name}: uploading {media.path.name}: the media endpoint gave no Location"
            raise PlatformError(message, temporary=False)
        log.debug("%s: uploaded %s", self.target.name, media.path.name)
        return url


def authorize(
    target: TargetSettings,
    client: HttpClient,
    credentials: TargetCredentials,
    io: AuthIO,
    *,
    wait: float = CALLBACK_WAIT,
) -> str:
    """Get a Micropub token: sign in with IndieAuth at the writer's site, or take a pasted one; store it."""
    site = io.ask("Your site's URL, to sign in with IndieAuth (or press Enter to paste a token)").strip()
    if not site:
        token = io.ask(f"Token for {redact(target.endpoint)}", secret=True).strip()
        if not token:
            raise PlatformError("no token given", temporary=False)
        _check_token(target, client, token)
        credentials.save({"token": token})
        return f"Authorized a pasted token at {redact(target.endpoint)}"
    server = api.discover(client, api.canonical_url(site))
    if server.micropub and server.micropub != target.endpoint:
        io.say(
            f"Note: {server.me} advertises the Micropub endpoint {redact(server.micropub)}, "
            f"but {target.name} posts to {redact(target.endpoint)}"
        )
    token, me, scope = _indieauth(server, client, io, wait)
    _check_token(target, client, token)
    missing = [s for s in SCOPE.split() if s not in scope.split()]
    if scope and missing:
        io.say(f"Note: the token was granted without {', '.join(missing)}")
    credentials.save({"token": token})
    return f"Authorized {me} at {redact(target.endpoint)}"


def _indieauth(server: api.AuthServer, client: HttpClient, io: AuthIO, wait: float) -> tuple[str, str, str]:
    """The authorization code flow with PKCE through a loopback redirect: (token, me, scope)."""
    verifier, challenge = api.pkce()
    state = secrets.token_urlsafe(24)
    callback = LoopbackCallback()  # its origin is the client_id: IndieAuth allows a loopback one (section 3.3)
    callback.expect(state)
    client_id = callback.base_url
    try:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": callback.redirect_uri,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "scope": SCOPE,
                "me": server.me,
            }
        )
        url = f"{server.authorization_endpoint}{'&' if '?' in server.authorization_endpoint else '?'}{query}"
        if not io.open(url):
            io.say(f"Open this address in a browser on this computer to sign in:\n{url}")
        io.say("Waiting for the browser to come back…")
        params = callback.wait(wait)
    finally:
        callback.close()
    if params is None:
        raise PlatformError("the browser did not come back in time; sign in again or paste a token", temporary=False)
    if "code" not in params:
        reason = error_reason(params)
        raise PlatformError(f"sign-in refused: {reason}", temporary=False)
    if server.issuer and params.get("iss") and params["iss"] != server.issuer:
        raise PlatformError("the sign-in came back from a different server than the one asked", temporary=False)
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "client_id": client_id,
        "redirect_uri": callback.redirect_uri,
        "code_verifier": verifier,
    }
    try:
        response = client.post(server.token_endpoint, data=form, headers={"Accept": "application/json"})
    except NetworkError as exc:
        raise PlatformError(f"token endpoint: {exc.problems[0].message}", temporary=True) from None
    body = _json(response)
    if response.status != 200 or not isinstance(body, dict) or not body.get("access_token"):
        detail = server_reason(response, (params["code"], verifier))
        raise PlatformError(f"the token endpoint refused the code ({detail})", temporary=False)
    me = str(body.get("me") or server.me)
    elsewhere = api.canonical_url(me) != server.me  # then that site must name the same authorization server
    if (
        elsewhere
        and api.discover(client, api.canonical_url(me)).authorization_endpoint != server.authorization_endpoint
    ):
        raise PlatformError(f"the token is for {redact(me)}, whose site names another server", temporary=False)
    return str(body["access_token"]), me, str(body.get("scope") or "")


def _check_token(target: TargetSettings, client: HttpClient, token: str) -> None:
    """Ask the endpoint for its configuration with `token`; raise unless it accepts the token."""
    try:
        response = client.get(target.endpoint, params={"q": "config"}, headers={"Authorization": f"Bearer {token}"})
    except NetworkError as exc:
        raise api.network_error(exc, target.name, "checking the token") from None
    if response.status in (401, 403, 429) or response.status >= 500:
        raise api.http_error(response, target.name, "checking the token", secrets=(token,))


def _json(response: Response) -> Any:
    try:
        return response.json()
    except NetworkError:
        return None


def _items(response: Response) -> list[Any] | None:
    """The `items` of a post list, or None when the answer is not one (the server does not support it)."""
    body = _json(response)
    items = body.get("items") if isinstance(body, dict) else None
    return items if isinstance(items, list) else None


def _image_property(entry: Entry) -> str:
    """`photo` for the images of a note (they are the post: a photo post), `featured` for an article's cover."""
    return "photo" if entry.is_note else "featured"


def _image_value(url: str, alt: str) -> str | dict[str, str]:
    """An image property value: with its alt text as `{"value", "alt"}` (Micropub 3.3.2), else the URL."""
    return {"value": url, "alt": alt} if alt else url


def _slug(url: str) -> str:
    """The last path segment of `url`, without an .html ending."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return segments[-1].removesuffix(".html") if segments else ""
