"""Apple Podcasts' categories, and reading one as a show's settings write it.

The list is Apple's current one (19 categories since 2019), spelled exactly as Apple spells
it in `<itunes:category text="...">`: https://podcasters.apple.com/support/1691-apple-podcasts-categories
"""

from __future__ import annotations

import difflib

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga",
        "Automotive",
        "Aviation",
        "Crafts",
        "Games",
        "Hobbies",
        "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News",
        "Daily News",
        "Entertainment News",
        "News Commentary",
        "Politics",
        "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}

SEPARATOR = ">"


def parse_category(text: str) -> tuple[str, str | None]:
    """("Society & Culture", "Documentary") for "society & culture > documentary"; Apple's spelling.

    Raises ValueError naming the closest of Apple's categories when the name is not one of them.
    """
    parts = [" ".join(part.split()) for part in text.split(SEPARATOR)]
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"expected a category such as 'Technology' or 'Society & Culture > Documentary', got {text!r}")
    name = _lookup(parts[0], APPLE_CATEGORIES)
    if name is None:
        raise ValueError(_unknown_category(parts[0]))
    if len(parts) == 1:
        return name, None
    subs = APPLE_CATEGORIES[name]
    sub = _lookup(parts[1], subs)
    if sub is None:
        if not subs:
            raise ValueError(f"Apple's category {name!r} has no subcategories; write just '{name}'")
        hint = _hint(parts[1], subs) or f"; expected one of {', '.join(subs)}"
        raise ValueError(f"unknown subcategory {parts[1]!r} of {name!r}{hint}")
    return name, sub


def _lookup(name: str, names: dict[str, tuple[str, ...]] | tuple[str, ...]) -> str | None:
    """Apple's spelling of `name`, matched without regard to case."""
    wanted = name.casefold()
    return next((candidate for candidate in names if candidate.casefold() == wanted), None)


def _unknown_category(name: str) -> str:
    parents = [parent for parent, subs in APPLE_CATEGORIES.items() if _lookup(name, subs)]
    if parents:
        sub = _lookup(name, APPLE_CATEGORIES[parents[0]])
        return f"{sub!r} is a subcategory: write '{parents[0]} {SEPARATOR} {sub}'"
    pairs = [f"{parent} {SEPARATOR} {sub}" for parent, subs in APPLE_CATEGORIES.items() for sub in subs]
    everything = [*APPLE_CATEGORIES, *pairs]
    hint = _hint(name, everything) or f"; expected one of {', '.join(APPLE_CATEGORIES)}"
    return f"unknown Apple Podcasts category {name!r}{hint}"


def _hint(name: str, names: tuple[str, ...] | list[str]) -> str:
    """ "; did you mean 'A' or 'B'?" from difflib, compared without regard to case."""
    folded = {candidate.casefold(): candidate for candidate in names}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{folded[match]}'" for match in close) + "?"
