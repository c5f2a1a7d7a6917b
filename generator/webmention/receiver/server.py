"""Running the receiver: the WSGI app under waitress, the worker beside it, a clean stop on SIGTERM or Ctrl-C.

`Receiver` starts and stops the pieces together (tests run it in-process on port 0), refusing a
damaged database and holding connections within `guard.ConnectionLimits`;
`run_receiver` serves until a signal, for `homepost receiver`; `main` is the same from
`python -m generator.webmention.receiver [--site DIR] [--host H] [--port N] [--db PATH]`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Self

from waitress import wasyncore
from waitress.server import create_server

from generator.config import Config, load_config
from generator.errors import HomepostError
from generator.http import HttpClient
from generator.redaction import SafeFormatter
from generator.webmention.receiver.app import ENDPOINT_PATH, MAX_BODY, ReceiverApp, comment_body_limit
from generator.webmention.receiver.guard import ConnectionLimits, install
from generator.webmention.receiver.mentions_api import API_PATH
from generator.webmention.receiver.store import Store, default_db_path
from generator.webmention.receiver.verify import verify
from generator.webmention.receiver.worker import Worker, WorkerOptions

if TYPE_CHECKING:
    from generator.fediverse.processing import InboxWorker
    from generator.newsletter.mailer import Mailer

log = logging.getLogger(__name__)
DEFAULT_WORKER = WorkerOptions()


@dataclass(frozen=True)
class ReceiverOptions:
    """Where the receiver listens and keeps its database, how its worker paces itself, how many connections it holds."""

    host: str = "127.0.0.1"
    port: int = 8080  # 0: any free port (see Receiver.port)
    db_path: Path | None = None  # default: .homepost/receiver.sqlite3 under the site
    threads: int = 4  # waitress worker threads
    worker: WorkerOptions = field(default_factory=WorkerOptions)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    trusted_proxy: str | None = None  # the address of a reverse proxy whose X-Forwarded-For names the client ("*": any)


class Receiver:
    """The store, the worker and the waitress server of one site, started and stopped together."""

    def __init__(self, config: Config, options: ReceiverOptions | None = None) -> None:
        options = options or ReceiverOptions()
        self.config = config
        self.options = options
        self.store = Store(options.db_path or default_db_path(config), check=True)
        self.worker = Worker(self.store, partial(verify, HttpClient(config.network)), options.worker)
        self.mailer = _mailer(config, self.store, options.worker.poll_interval)
        self.fediverse = _fediverse_worker(config, self.store, options.worker)
        self.app = ReceiverApp(config, self.store, notify=self._wake)
        self._map: dict[int, object] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        from generator.fediverse.inbox import MAX_BODY as INBOX_BODY  # imports the app's helpers

        body_limit = 4 * max(
            MAX_BODY, INBOX_BODY, comment_body_limit(config.comments.max_length)
        )  # the app answers 413 first
        proxy = (
            {
                "trusted_proxy": options.trusted_proxy,
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                "clear_untrusted_proxy_headers": True,
            }
            if options.trusted_proxy
            else {}
        )
        try:
            self._server = create_server(
                self.app,
                map=self._map,
                host=options.host,
                port=options.port,
                threads=options.threads,
                ident="Homepost",
                max_request_body_size=body_limit,
                expose_tracebacks=False,
                asyncore_use_poll=True,
                **options.limits.waitress_settings(),
                **proxy,
            )
            install(self._map, options.limits, exempt=options.trusted_proxy)
        except BaseException:
            self.store.close()
            raise

    def _wake(self) -> None:
        """A request was queued: wake the worker and the mailer."""
        self.worker.wake()
        if self.mailer is not None:
            self.mailer.wake()
        if self.fediverse is not None:
            self.fediverse.wake()

    @property
    def port(self) -> int:
        """The port actually listened on."""
        server = self._server
        return int(getattr(server, "effective_port", 0) or server.effective_listen[0][1])

    @property
    def url(self) -> str:
        """The base URL it serves, e.g. http://127.0.0.1:8080/."""
        host = getattr(self._server, "effective_host", None) or self.options.host
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{self.port}/"

    @property
    def endpoint(self) -> str:
        """The Webmention endpoint's URL."""
        return self.url.rstrip("/") + ENDPOINT_PATH

    @property
    def api(self) -> str:
        """The mentions API's URL."""
        return self.url.rstrip("/") + API_PATH

    def start(self) -> None:
        """Start verifying (the rows an earlier run left first) and serving, both in background threads."""
        self.worker.start()
        if self.mailer is not None:
            self.mailer.start()
        if self.fediverse is not None:
            self.fediverse.start()
            _announce_inbox(self.config, self.url)
        if self.config.comments.enabled and self.config.comments.auto_approve_known:
            log.info(
                "comments: approving at once those that carry the secret cookie of an approved commenter "
                "(a name and website alone are never enough)"
            )
        if self.options.trusted_proxy:
            log.info(
                "connections from the proxy at %s are not capped per address: cap them per client at the proxy",
                self.options.trusted_proxy,
            )
        self._thread = threading.Thread(target=self._serve, name="webmention-receiver", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set() and self._map:
            wasyncore.loop(timeout=0.5, map=self._map, use_poll=True, count=1)
        self._close_server()

    def _close_server(self) -> None:
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._map)

    @property
    def running(self) -> bool:
        """True while the server thread serves."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving, let the worker finish its current row, close the database."""
        self._stopping.set()
        if self._thread is not None:
            pull_trigger = getattr(self._server, "pull_trigger", None)
            if pull_trigger:
                try:
                    pull_trigger()  # wake the loop now rather than at its next timeout
                except OSError:
                    pass  # the loop saw the flag first and already closed the trigger
            self._thread.join()
            self._thread = None
        else:
            self._close_server()
        self.worker.stop()
        if self.mailer is not None:
            self.mailer.stop()
        if self.fediverse is not None:
            self.fediverse.stop()
        self.store.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _mailer(config: Config, store: Store, poll_interval: float) -> Mailer | None:
    """The thread sending confirmation emails, with `[newsletter] enabled`."""
    if not config.newsletter.enabled:
        return None
    from generator.newsletter.mailer import Mailer
    from generator.newsletter.store import NewsletterStore

    newsletter = NewsletterStore(store)
    newsletter.make_private()
    return Mailer(config, newsletter, poll_interval=max(poll_interval, 0.05))


def _announce_inbox(config: Config, url: str) -> None:
    """Log where the inbox listens and where the actor document says it is (a warning when it cannot say)."""
    from generator.fediverse.urls import INBOX_ROUTE, inbox_url, receiver_base

    public = inbox_url(config) if receiver_base(config) else "nowhere"
    log.info("fediverse inbox at %s (the actor document names %s)", url.rstrip("/") + INBOX_ROUTE, public)
    if not receiver_base(config):
        log.warning(
            "set [fediverse] receiver (or [webmention] endpoint) to the receiver's public URL: no inbox is known"
        )


def _fediverse_worker(config: Config, store: Store, options: WorkerOptions) -> InboxWorker | None:
    """The thread processing the fediverse inbox, with `[fediverse] enabled`."""
    if not config.fediverse.enabled:
        return None
    from generator.fediverse.actors import site_signer
    from generator.fediverse.inbox_store import FediverseStore
    from generator.fediverse.processing import InboxWorker

    return InboxWorker(config, FediverseStore(store), HttpClient(config.network), site_signer(config), options)


def run_receiver(
    config: Config,
    host: str = "127.0.0.1",
    port: int = 8080,
    db_path: Path | None = None,
    *,
    worker: WorkerOptions = DEFAULT_WORKER,
    ready: Callable[[Receiver], None] | None = None,
    trusted_proxy: str | None = None,
) -> None:
    """Serve the receiver until SIGTERM or Ctrl-C; `ready` is called once it listens. OSError if it cannot listen.

    Behind a reverse proxy, `trusted_proxy` (its address) makes the client's address come from
    X-Forwarded-For, so that the comment rate limit and IP blocks see readers, not the proxy.
    """
    options = ReceiverOptions(host=host, port=port, db_path=db_path, worker=worker, trusted_proxy=trusted_proxy)
    receiver = Receiver(config, options)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_signal) if in_main else None
    try:
        receiver.start()
        if ready:
            ready(receiver)
        while receiver.running and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
        receiver.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m generator.webmention.receiver`: run the receiver of a site; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m generator.webmention.receiver", description=__doc__)
    parser.add_argument("--site", type=Path, default=Path("."), help="the site folder (holding site.toml)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on, 0 for any (default: 8080)")
    parser.add_argument(
        "--db", type=Path, default=None, help="the SQLite database (default: .homepost/receiver.sqlite3)"
    )
    parser.add_argument(
        "--trusted-proxy",
        default=None,
        metavar="ADDRESS",
        help="a reverse proxy whose X-Forwarded-For header names the client (for the comment rate limit and IP blocks)",
    )
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(levelname)s: %(message)s"))  # remote strings escaped, secrets redacted
    logging.basicConfig(level=logging.INFO, handlers=[handler])

    def announce(receiver: Receiver) -> None:
        print(f"Receiving webmentions at {receiver.endpoint} (Ctrl+C to stop)", flush=True)

    try:
        run_receiver(
            load_config(args.site), args.host, args.port, args.db, ready=announce, trusted_proxy=args.trusted_proxy
        )
    except HomepostError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
