"""A small but complete blog used by the end-to-end tests."""

from __future__ import annotations

from tests.helpers import png_bytes

FIRST_POST = """\
---
title: "First post: \\"hello\\""
date: 2026-01-10 09:30
tags: [Python, 随笔]
categories: [Tech]
summary: A *short* summary of the first post.
---

The opening paragraph with a footnote[^1] and a [link to the note](2026-02-01-a-note.md).

<!-- more -->

## A section

```python
print("hi")
```

![A tiny picture](../images/pixel.png)

[^1]: The footnote text.
"""

NOTE = """\
---
date: 2026-02-01T08:00:00+08:00
tags: [随笔]
lang: zh
---

今天下雨。A short note without a title, linking to <https://example.net/>.
"""

CJK_BUNDLE = """\
+++
title = "中文标题的文章"
date = 2026-03-05T10:00:00+01:00
tags = ["Python"]
lang = "zh"
image = { src = "photo.png", alt = "一张照片" }
+++

第一段文字。

![照片](photo.png)
"""

OLD_POST = """\
---
title: The Old One
date: 2025-12-24
updated: 2026-01-02 10:00
aliases: [/old/path/]
series: Trilogy
---

Part one of the trilogy.
"""

SECOND_PART = """\
---
title: Part Two
date: 2025-12-26 12:00:00
series: Trilogy
---

Part two of the trilogy.
"""

DRAFT = """\
---
title: Not Yet
date: 2026-04-01
draft: true
---

Unfinished.
"""

FUTURE = """\
---
title: Scheduled
date: 2026-12-01 08:00
---

From the future.
"""

ABOUT = """\
---
title: About
menu: true
---

About the author.
"""

BLOG: dict[str, str | bytes] = {
    "content/posts/2026-01-10-first-post.md": FIRST_POST,
    "content/posts/2026-02-01-a-note.md": NOTE,
    "content/posts/2026-03-05-中文标题/index.md": CJK_BUNDLE,
    "content/posts/2026-03-05-中文标题/photo.png": png_bytes(40, 30),
    "content/posts/2025-12-24-old-one.md": OLD_POST,
    "content/posts/2025-12-26-part-two.md": SECOND_PART,
    "content/posts/2026-04-01-not-yet.md": DRAFT,
    "content/posts/2026-12-01-scheduled.md": FUTURE,
    "content/pages/about.md": ABOUT,
    "content/images/pixel.png": png_bytes(3, 2),
    "content/images/ada.png": png_bytes(8, 8),
}


def two_platform_site_toml(
    site_url: str, mastodon_url: str, bluesky_handle: str, bluesky_url: str, extra: str = ""
) -> str:
    """site.toml of a site on loopback syndicating to a Mastodon fake ("social") and a Bluesky fake ("sky")."""
    return f"""[site]
title = "Home"
url = "{site_url}"

[network]
allow_private_addresses = true
timeout = 3

[syndication]
default = ["social", "sky"]

[syndication.social]
platform = "mastodon"
instance = "{mastodon_url}"

[syndication.sky]
platform = "bluesky"
handle = "{bluesky_handle}"
service = "{bluesky_url}"
appview = "{bluesky_url}"
{extra}"""
