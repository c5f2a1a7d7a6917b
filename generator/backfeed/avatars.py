"""Authors' pictures, downloaded once, made small, and served from the site itself.

A reader's browser never fetches anything from the platforms (which would tell them who reads
what): the build links `/avatars/<digest>.jpg` when the picture was fetched, else the theme's
fallback. Pictures are fetched through the one HTTP client (size cap, private-address guard),
decoded with Pillow (anything it cannot read is skipped), cropped square and saved as JPEG.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import NetworkError
from generator.sitedata.avatars import AVATARS_DIR, avatar_name

if TYPE_CHECKING:  # the build only needs the names below; fetching imports the network stack
    from generator.http import HttpClient
from generator.state import write_atomic

log = logging.getLogger(__name__)

SIZE = 96  # pixels, square: twice the largest size the theme shows
MAX_BYTES = 2_000_000
MAX_PIXELS = 25_000_000  # a decompression bomb is refused, whatever its file size


def fetch_avatars(data_dir: Path, client: HttpClient, urls: Iterable[str]) -> int:
    """Download, shrink and store the pictures not stored yet; how many were added."""
    from generator.redaction import redact

    folder = data_dir / AVATARS_DIR
    added = 0
    for url in dict.fromkeys(u for u in urls if u):
        path = folder / avatar_name(url)
        if path.exists():
            continue
        try:
            answer = client.get(url, headers={"Accept": "image/*"})
        except NetworkError as exc:
            log.info("avatar %s: %s", redact(url), exc.problems[0].message)
            continue
        if answer.status != 200 or len(answer.content) > MAX_BYTES:
            continue
        small = shrink(answer.content)
        if small is not None:
            write_atomic(path, small)
            added += 1
    return added


def shrink(data: bytes) -> bytes | None:
    """The picture cropped to a centred square of SIZE pixels, as JPEG; None if it is not a picture."""
    from PIL import Image, UnidentifiedImageError  # only backfeed needs Pillow, not every build

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            image.seek(0)
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    side = min(picture.size)
    left, top = (picture.width - side) // 2, (picture.height - side) // 2
    square = picture.crop((left, top, left + side, top + side)).resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", square.size, (255, 255, 255))
    flat.paste(square, mask=square.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
