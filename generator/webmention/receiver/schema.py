"""The receiver database's tables: one script per schema version, applied in order by `store.Store`; and the error
of a database SQLite finds damaged.

The version lives in `PRAGMA user_version`. 1: the queue and the mentions; 2: readers' comments
and blocks; 3: the digest of each comment's commenter token (see `comments.token_digest`); 4: the
newsletter's subscribers, the confirmation emails to send, the issues and their outbox, and its
settings (the token secret, the first run's time; see `generator.newsletter.store`); 5: the fediverse inbox's
queue of activities, the actors (and their keys) it fetched, the followers, the responses (likes, boosts,
replies) and the signed answers to deliver (see `generator.fediverse.inbox_store`).
"""

from __future__ import annotations

from pathlib import Path

from generator.errors import Problem

SCHEMA_VERSION = 5
MIGRATIONS: dict[int, str] = {  # version -> the script that brings the previous version to it
    1: """
        CREATE TABLE queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            received TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
            result TEXT NOT NULL DEFAULT '',
            finished TEXT
        );
        CREATE INDEX queue_due ON queue (status, next_attempt);
        CREATE INDEX queue_pair ON queue (source, target);
        CREATE TABLE mentions (
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            data TEXT NOT NULL,
            received TEXT NOT NULL,
            verified TEXT NOT NULL,
            changed TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (source, target)
        );
        CREATE INDEX mentions_target ON mentions (target);
        CREATE INDEX mentions_changed ON mentions (changed);
    """,
    2: """
        CREATE TABLE comments (
            id TEXT PRIMARY KEY,
            target TEXT NOT NULL,
            name TEXT NOT NULL,
            website TEXT NOT NULL DEFAULT '',
            markdown TEXT NOT NULL,
            html TEXT NOT NULL,
            reply_to TEXT NOT NULL DEFAULT '',
            ip TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
            decided_at TEXT,
            approved_at TEXT
        );
        CREATE INDEX comments_status ON comments (status, created);
        CREATE INDEX comments_target ON comments (target, status);
        CREATE INDEX comments_decided ON comments (decided_at);
        CREATE TABLE blocks (
            kind TEXT NOT NULL CHECK (kind IN ('ip', 'domain', 'author')),
            value TEXT NOT NULL,
            created TEXT NOT NULL,
            PRIMARY KEY (kind, value)
        );
    """,
    3: """
        ALTER TABLE comments ADD COLUMN token TEXT NOT NULL DEFAULT '';
        CREATE INDEX comments_token ON comments (token, status);
    """,
    4: """
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            address TEXT NOT NULL,
            normalized TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed')),
            origin TEXT NOT NULL DEFAULT 'form',
            created TEXT NOT NULL,
            changed TEXT NOT NULL,
            confirmed_at TEXT,
            nonce TEXT NOT NULL DEFAULT '',
            bounces INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX subscribers_state ON subscribers (state, id);
        CREATE TABLE newsletter_mail (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            subscriber INTEGER NOT NULL,
            created TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
            result TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX newsletter_mail_due ON newsletter_mail (status, next_attempt);
        CREATE TABLE newsletter_issues (
            issue TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE newsletter_outbox (
            issue TEXT NOT NULL,
            subscriber INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('sending', 'data', 'sent', 'retry', 'bounced', 'unknown')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL DEFAULT '',
            result TEXT NOT NULL DEFAULT '',
            changed TEXT NOT NULL,
            PRIMARY KEY (issue, subscriber)
        );
        CREATE TABLE newsletter_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
    """,
    5: """
        CREATE TABLE fediverse_inbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            activity_id TEXT NOT NULL UNIQUE,
            actor TEXT NOT NULL,
            type TEXT NOT NULL,
            body TEXT NOT NULL,
            received TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
            result TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX fediverse_inbox_due ON fediverse_inbox (status, next_attempt);
        CREATE TABLE fediverse_actors (
            id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL DEFAULT '',
            public_pem TEXT NOT NULL DEFAULT '',
            inbox TEXT NOT NULL DEFAULT '',
            shared_inbox TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            photo TEXT NOT NULL DEFAULT '',
            handle TEXT NOT NULL DEFAULT '',
            also_known_as TEXT NOT NULL DEFAULT '',
            fetched TEXT NOT NULL
        );
        CREATE INDEX fediverse_actors_key ON fediverse_actors (key_id);
        CREATE TABLE fediverse_followers (
            actor TEXT PRIMARY KEY,
            inbox TEXT NOT NULL,
            shared_inbox TEXT NOT NULL DEFAULT '',
            follow_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
            followed_at TEXT NOT NULL,
            changed TEXT NOT NULL
        );
        CREATE INDEX fediverse_followers_follow ON fediverse_followers (follow_id);
        CREATE TABLE fediverse_responses (
            id TEXT PRIMARY KEY,
            activity TEXT NOT NULL,
            actor TEXT NOT NULL,
            target TEXT NOT NULL,
            data TEXT NOT NULL,
            received TEXT NOT NULL,
            changed TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX fediverse_responses_activity ON fediverse_responses (activity);
        CREATE INDEX fediverse_responses_actor ON fediverse_responses (actor);
        CREATE INDEX fediverse_responses_target ON fediverse_responses (target);
        CREATE INDEX fediverse_responses_changed ON fediverse_responses (changed);
        CREATE TABLE fediverse_deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            inbox TEXT NOT NULL,
            body TEXT NOT NULL,
            created TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
            result TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX fediverse_deliveries_due ON fediverse_deliveries (status, next_attempt);
    """,
}


def damaged(path: Path, detail: str) -> Problem:
    """The error of a database whose pages SQLite finds damaged, with how to recover it."""
    detail = " ".join(detail.split())[:200]
    return Problem(
        str(path),
        (
            f"the receiver database is damaged ({detail}); it was not changed. Recover what it holds with "
            f'`sqlite3 {path} ".recover" | sqlite3 recovered.sqlite3` and start with --db recovered.sqlite3, '
            "or restore it from a backup"
        ),
    )
