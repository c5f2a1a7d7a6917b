"""The site's configuration: `site.toml` read into typed, frozen objects.

`settings`, `targets` (syndication) and `services` (comments, newsletter, moderation, backfeed,
deploy) declare every key once, as a field of a frozen dataclass (`declare` says how); `checks`
holds the checks on values, `loader` reads any declared table and reports every problem, and
`reference` makes the README's table of keys. Everything a caller needs is importable from here.
"""

from generator.config.checks import PERMALINK_TOKENS
from generator.config.loader import load_config, parse_config, toml_problem
from generator.config.services import (
    BackfeedSettings,
    CommentSettings,
    DeploySettings,
    FediverseSettings,
    ModerationSettings,
    NewsletterSettings,
)
from generator.config.settings import (
    CONFIG_NAME,
    DEFAULT_TAXONOMIES,
    Author,
    BuildSettings,
    Config,
    NetworkSettings,
    PodcastSettings,
    SiteSettings,
    TaxonomySettings,
    ThemeSettings,
    WebmentionSettings,
)
from generator.config.targets import SyndicationSettings, TargetSettings

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
    "FediverseSettings",
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
