"""The receiver database's tables: one script per schema version, applied in order by `store.Store`.

The version lives in `PRAGMA user_version`. 1: the queue and the mentions; 2: readers' comments
and blocks; 3: the digest of each comment's commenter token (see `comments.token_digest`).
"""

from __future__ import annotations

SCHEMA_VERSION = 3
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
}
