"""The site's configuration: `site.toml` read into typed, frozen objects.

`settings` holds the objects, `schema` what each table may contain, `loader` the reading and the
error reporting. Everything a caller needs is importable from here.
"""

from generator.config.loader import load_config, parse_config, toml_problem
from generator.config.settings import (
    CONFIG_NAME,
    DEFAULT_TAXONOMIES,
    PERMALINK_TOKENS,
    Author,
    BackfeedSettings,
    BuildSettings,
    CommentSettings,
    DeploySettings,
    ModerationSettings,
    NewsletterSettings,
    Config,
    NetworkSettings,
    PodcastSettings,
    SiteSettings,
    SyndicationSettings,
    TargetSettings,
    TaxonomySettings,
    ThemeSettings,
    WebmentionSettings,
)

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_TAXONOMIES",
    "PERMALINK_TOKENS",
    "Author",
    "BackfeedSettings",
    "BuildSettings",
    "CommentSettings",
    "DeploySettings",
    "ModerationSettings",
    "NewsletterSettings",
    "Config",
    "NetworkSettings",
    "PodcastSettings",
    "SiteSettings",
    "SyndicationSettings",
    "TargetSettings",
    "TaxonomySettings",
    "ThemeSettings",
    "WebmentionSettings",
    "load_config",
    "parse_config",
    "toml_problem",
]
