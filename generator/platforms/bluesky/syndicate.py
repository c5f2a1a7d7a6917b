"""Bluesky: each post as an app.bsky.feed.post record in the account's repository on its PDS.

A note goes out as its text and the link home, an article as its title, summary and link home;
links, hashtags and @mentions become facets (UTF-8 byte offsets), hashtags that do not fit go into
the record's `tags`. A note with images carries them (up to 4, each under 1,000,000 bytes, with
alt text and aspect ratio); everything else carries a link card to the post, with the first image
that fits as its thumbnail. Bluesky has no content warnings: "CW: ..." opens the text, and a
self-label is added where the warning names one Bluesky knows. The record key is a TID derived from
the entry, so a retry after a timeout finds the earlier record instead of making a second one.
Bluesky posts cannot be edited. What answers a copy is read from the AppView (backfeed.py).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from generator.config import TargetSettings
from generator.errors import NetworkError
from generator.http import HttpClient
from generator.platforms.base import AuthIO, Copy, Credentials, Draft, Entry, Harvest, Media, PlatformError
from generator.platforms.bluesky.backfeed import harvest
from generator.platforms.bluesky.client import (
    MAX_BLOB,
    MAX_BYTES,
    MAX_GRAPHEMES,
    MAX_IMAGES,
    MAX_TAG_GRAPHEMES,
    MAX_TAGS,
    POST,
    Account,
    datetime_z,
    error_of,
    facets,
    find_hashtags,
    find_mentions,
    http_error,
    measure,
    record_key,
    resolve_handles,
    xrpc,
)
from generator.syndication.fitting import fit, grapheme_length, hashtag, shorten, utf8_length

log = logging.getLogger(__name__)

IMAGES = "app.bsky.embed.images"
EXTERNAL = "app.bsky.embed.external"
SELF_LABELS = "com.atproto.label.defs#selfLabels"
MAX_ALT = 2000  # graphemes, as the app allows
CARD_TITLE = 100  # graphemes of the text used as a link card title for a note
# Words of a content warning that name one of Bluesky's self-labels.
LABEL_WORDS = {
    "porn": "porn",
    "sexual": "sexual",
    "sex": "sexual",
    "nsfw": "sexual",
    "nudity": "nudity",
    "nude": "nudity",
    "gore": "graphic-media",
    "graphic": "graphic-media",
    "blood": "graphic-media",
}
APP_PASSWORD = re.compile(r"[a-z0-9]{4}(-[a-z0-9]{4}){3}")


class BlueskyPlatform:
    """One Bluesky account (target.handle on the PDS target.service)."""

    can_update = False  # the app has no edits
    can_backfeed = True

    def __init__(self, target: TargetSettings, client: HttpClient, credentials: Credentials) -> None:
        self.target, self.client, self.credentials = target, client, credentials
        self.account = Account(target, client, credentials)
        self._dids: dict[str, str | None] = {}

    def verify(self) -> None:
        """Check the session once per run (com.atproto.server.getSession; refreshed or made anew when refused)."""
        try:
            response = self.account.request("GET", "com.atproto.server.getSession")
        except NetworkError as exc:
            message = f"{self.target.name}: checking the session failed: {exc.problems[0].message}"
            raise PlatformError(message, temporary=True) from None
        if response.status != 200:
            raise http_error(response, self.target.name, "checking the session")

    # --- render ------------------------------------------------------------------------------

    def render(self, entry: Entry) -> Draft:
        """The post record for `entry`: text with facets, tags, language, labels and its embed."""
        notes: list[str] = []
        parts = (entry.text,) if entry.is_note else (entry.title or "", entry.summary)
        body = "\n\n".join(p.strip() for p in parts if p.strip())
        prefix, labels = "", []
        warning = " ".join(entry.content_warning.split())
        if warning and self.target.content_warning:
            prefix = f"CW: {warning}\n\n"
            labels = sorted({LABEL_WORDS[w] for w in re.findall(r"\w+", warning.lower()) if w in LABEL_WORDS})
            notes.append(
                "Bluesky has no content warnings: the warning opens the text as 'CW: …'"
                + (f", self-label {', '.join(labels)} added" if labels else ", no self-label matches it")
            )
        fitted, fit_notes = fit(body, entry.url, entry.tags, MAX_GRAPHEMES - measure(prefix), measure)
        text = prefix + fitted
        if grapheme_length(text) > MAX_GRAPHEMES or utf8_length(text) > MAX_BYTES:
            raise PlatformError(f"the link home of {entry.url} does not fit in a Bluesky post", temporary=False)
        if any(note.startswith("text shortened") for note in fit_notes):
            notes.append(f"text shortened to fit {MAX_GRAPHEMES} characters ({MAX_BYTES} bytes)")

        shown = {tag.casefold() for tag in find_hashtags(text)}
        wanted = [h[1:] for h in dict.fromkeys(t for t in (hashtag(tag) for tag in entry.tags) if t)]
        hidden = [t for t in wanted if t.casefold() not in shown and grapheme_length(t) <= MAX_TAG_GRAPHEMES][:MAX_TAGS]
        if hidden:
            notes.append(f"{len(hidden)} hashtag(s) that did not fit in the text went into the post's tags")

        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": datetime_z(entry.published)}
        if entry.language:
            record["langs"] = [entry.language]
        found = facets(text, self._resolve(find_mentions(text)))
        if found:
            record["facets"] = found
        if hidden:
            record["tags"] = hidden
        if labels:
            record["labels"] = {"$type": SELF_LABELS, "values": [{"val": label} for label in labels]}
        record["embed"], media, embed_notes = self._embed(entry)
        payload = {
            "repo": self.target.handle,
            "collection": POST,
            "rkey": record_key(entry.published, entry.key),
            "record": record,
        }
        return Draft(text=text, payload=payload, media=media, notes=tuple(notes + embed_notes))

    def _embed(self, entry: Entry) -> tuple[dict[str, Any], tuple[Media, ...], list[str]]:
        """Images for a note that has some (blobs added on create), else a link card with a thumbnail."""
        fitting = [m for m in entry.images if m.size <= MAX_BLOB]
        too_big = len(entry.images) - len(fitting)
        if entry.is_note and fitting:
            chosen = fitting[:MAX_IMAGES]
            notes = [f"{too_big} image(s) over Bluesky's {MAX_BLOB:,} bytes left out"] if too_big else []
            if len(fitting) > MAX_IMAGES:
                notes.append(f"{len(fitting) - MAX_IMAGES} image(s) left out: Bluesky takes {MAX_IMAGES}")
            images = []
            for media in chosen:
                image: dict[str, Any] = {"alt": shorten(media.alt, MAX_ALT)}
                if media.width and media.height:
                    image["aspectRatio"] = {"width": media.width, "height": media.height}
                images.append(image)
            return {"$type": IMAGES, "images": images}, tuple(chosen), notes
        title = entry.title or shorten(" ".join(entry.text.split()), CARD_TITLE)
        card = {"$type": EXTERNAL, "external": {"uri": entry.url, "title": title, "description": entry.summary}}
        notes = []
        if entry.images and not fitting:
            notes.append(f"no image under Bluesky's {MAX_BLOB:,} bytes ({too_big} left out): no thumbnail")
        elif not entry.is_note and too_big and fitting and entry.images[0] is not fitting[0]:
            notes.append(f"the first image is over {MAX_BLOB:,} bytes: the link card shows {fitting[0].path.name}")
        if not entry.is_note and len(entry.images) > 1:
            notes.append(f"{len(entry.images) - 1} other image(s) not attached: an article goes out as a link card")
        return card, tuple(fitting[:1]), notes

    def _resolve(self, handles: list[str]) -> dict[str, str | None]:
        """DIDs of @mentioned handles (cached; a handle that does not resolve gets no facet)."""
        todo = [h for h in handles if h not in self._dids]
        self._dids.update(resolve_handles(self.client, self.target.service, todo))
        return {h: self._dids.get(h) for h in handles}

    # --- create, find, update, delete -------------------------------------------------------

    def create(self, draft: Draft, entry: Entry) -> Copy:
        """Upload the images, then createRecord under the draft's record key (a retry finds the earlier record)."""
        body = copy.deepcopy(draft.payload)
        blobs = [self._upload(media) for media in draft.media]
        embed = body["record"].get("embed") or {}
        if embed.get("$type") == IMAGES:
            for image, blob in zip(embed["images"], blobs, strict=False):
                image["image"] = blob
        elif embed.get("$type") == EXTERNAL and blobs:
            embed["external"]["thumb"] = blobs[0]
        rkey = body["rkey"]
        try:
            body["repo"] = self.account.session().did
            response = self.account.request("POST", "com.atproto.repo.createRecord", json_body=body)
            if response.status == 200:
                result = response.json()
                log.info("created Bluesky post %s for %s", result["uri"], self.target.name)
                return self._copy(str(result["uri"]), str(result["cid"]), rkey)
        except NetworkError as exc:
            raise PlatformError(
                f"creating the Bluesky post for {self.target.name} failed ({exc.problems[0].message}); "
                "it may have been stored",
                temporary=True,
                unknown_outcome=True,
            ) from None
        except (KeyError, TypeError, AttributeError):
            raise PlatformError(
                f"Bluesky answered the new post of {self.target.name} with something unexpected",
                temporary=True,
                unknown_outcome=True,
            ) from None
        if response.status >= 500:  # a reference PDS answers 500 when the record key is taken
            try:
                existing = self.find(draft, entry)
            except PlatformError:
                existing = None
            if existing:
                log.info("Bluesky post %s of %s already existed", existing.id, self.target.name)
                return existing
        raise http_error(response, self.target.name, "creating the post", unknown_outcome=response.status >= 500)

    def find(self, draft: Draft, entry: Entry) -> Copy | None:
        """The record at the draft's record key (getRecord), or None when there is none."""
        rkey = draft.payload["rkey"]
        cached = self.account.cached()
        params = {"repo": cached.did if cached else self.target.handle, "collection": POST, "rkey": rkey}
        try:
            response = xrpc(self.client, self.target.service, "GET", "com.atproto.repo.getRecord", params=params)
            if response.status == 200:
                found = response.json()
                value = found.get("value") or {}
                if value.get("createdAt") != draft.payload["record"]["createdAt"]:
                    raise PlatformError(
                        f"the Bluesky record {rkey} of {self.target.name} holds a different post", temporary=False
                    )
                return self._copy(str(found["uri"]), str(found.get("cid") or ""), rkey)
        except NetworkError as exc:
            message = f"looking for the Bluesky post of {self.target.name} failed ({exc.problems[0].message})"
            raise PlatformError(message, temporary=True, unknown_outcome=True) from None
        except (KeyError, AttributeError):
            raise PlatformError(
                f"Bluesky answered getRecord for {self.target.name} with something unexpected",
                temporary=True,
                unknown_outcome=True,
            ) from None
        if response.status == 400 and error_of(response)[0] == "RecordNotFound":
            return None
        raise http_error(response, self.target.name, "looking for the post", unknown_outcome=True)

    def update(self, copy: Copy, draft: Draft, entry: Entry) -> Copy:
        """Always fails: Bluesky posts cannot be edited."""
        raise PlatformError(
            f"Bluesky posts cannot be edited: {copy.url} stays as it was (delete it and syndicate again to replace it)",
            temporary=False,
        )

    def delete(self, copy: Copy) -> None:
        """deleteRecord for the copy's at:// URI."""
        repo, collection, rkey = _parse_at_uri(copy.id)
        body = {"repo": repo, "collection": collection, "rkey": rkey}
        try:
            response = self.account.request("POST", "com.atproto.repo.deleteRecord", json_body=body)
        except NetworkError as exc:
            raise PlatformError(f"deleting {copy.url} failed ({exc.problems[0].message})", temporary=True) from None
        if response.status != 200:
            raise http_error(response, self.target.name, "deleting the post")
        log.info("deleted Bluesky post %s of %s", copy.id, self.target.name)

    def responses(self, copy: Copy, post_url: str, state: dict[str, str]) -> Harvest:
        """The replies (whole tree), likes, reposts and quotes of the copy, read from the AppView without a session.

        The AppView has no ETags or change cursors, so `state` is not used (see backfeed.py)."""
        return harvest(self.client, self.target, copy, post_url)

    def _upload(self, media: Media) -> dict[str, Any]:
        """uploadBlob: the raw bytes with their MIME type; the blob reference to put in the record."""
        try:
            content = media.path.read_bytes()
        except OSError as exc:
            raise PlatformError(f"cannot read {media.path.name} ({exc.strerror})", temporary=False) from None
        try:
            response = self.account.request(
                "POST", "com.atproto.repo.uploadBlob", data=content, content_type=media.mime
            )
            if response.status == 200:
                blob = response.json()["blob"]
                if isinstance(blob, dict):
                    return blob
        except NetworkError as exc:
            message = f"uploading {media.path.name} failed ({exc.problems[0].message})"
            raise PlatformError(message, temporary=True) from None
        except (KeyError, TypeError):
            pass
        if response.status == 200:
            raise PlatformError(
                f"Bluesky answered the upload of {media.path.name} with something unexpected", temporary=True
            )
        raise http_error(response, self.target.name, f"uploading {media.path.name}")

    def _copy(self, uri: str, cid: str, rkey: str) -> Copy:
        handle = self.target.handle or _parse_at_uri(uri)[0]
        return Copy(id=uri, url=f"https://bsky.app/profile/{handle}/post/{rkey}", extra={"cid": cid} if cid else {})


def _parse_at_uri(uri: str) -> tuple[str, str, str]:
    """(repo, collection, rkey) of an at:// URI."""
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3 or not all(parts):
        raise PlatformError(f"not a Bluesky record URI: {uri[:100]}", temporary=False)
    return parts[0], parts[1], parts[2]


def authorize(target: TargetSettings, client: HttpClient, credentials: Credentials, io: AuthIO) -> str:
    """Ask for an app password, check it by creating a session, and store both."""
    if not target.handle:
        raise PlatformError(f"set handle in [syndication.{target.name}] first", temporary=False)
    io.say(
        f"Homepost posts to Bluesky as @{target.handle} with an app password, not your account password: "
        "create one in Bluesky under Settings → Privacy and security → App passwords."
    )
    password = io.ask(f"App password for @{target.handle}", secret=True).strip()
    if not password:
        raise PlatformError("no app password given", temporary=False)
    if not APP_PASSWORD.fullmatch(password):
        io.say("That does not look like an app password (xxxx-xxxx-xxxx-xxxx); trying it anyway.")
    session = Account(target, client, credentials).login(password)
    credentials.save({"password": password})
    return f"Authorized @{session.handle or target.handle} ({session.did})"


__all__ = ["BlueskyPlatform", "authorize"]
