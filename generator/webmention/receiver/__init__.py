"""The self-hostable Webmention receiver (W3C Webmention Recommendation, section 3.2).

`app` is the WSGI application (`POST /webmention`, `GET /api/mentions`), `store` the SQLite
database (a durable queue and the verified mentions), `verify` the check of one source, `worker`
the thread that verifies queued requests, `server` the waitress server running it all, `guard`
its connection limits, `schema` the database's tables, `faults` the crash tests' kill switch.
Readers' comments: `comments` the model, `comment_validation` the checks of a form, `moderation` what
becomes of a comment (submitted, approved, rejected, blocked).
"""

from generator.webmention.receiver.app import RateLimiter, ReceiverApp
from generator.webmention.receiver.guard import ConnectionLimits
from generator.webmention.receiver.server import Receiver, ReceiverOptions, main, run_receiver
from generator.webmention.receiver.store import Job, Store, StoredMention, default_db_path
from generator.webmention.receiver.verify import Verdict, links_to, read_response, verify
from generator.webmention.receiver.worker import Worker, WorkerOptions

__all__ = [
    "ConnectionLimits",
    "Job",
    "RateLimiter",
    "Receiver",
    "ReceiverApp",
    "ReceiverOptions",
    "Store",
    "StoredMention",
    "Verdict",
    "Worker",
    "WorkerOptions",
    "default_db_path",
    "links_to",
    "main",
    "read_response",
    "run_receiver",
    "verify",
]
