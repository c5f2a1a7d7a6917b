"""A real Micropub server on loopback for the tests: django-indieweb's endpoint (PyPI), run in its own process.

    python -m tests.real_micropub DATA_DIR

configures a throwaway Django project (SQLite in DATA_DIR), migrates it, makes a user and a token
with the create, update, delete and media scopes, serves `/indieweb/micropub/` on 127.0.0.1 with
wsgiref, and prints one JSON line `{"endpoint": ..., "token": ...}` when it is ready. Posts live in
django-indieweb's example in-memory content handler (one store for the process). `start(tmp_path)` runs it
from a test; the test ends it through the handle it gets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCOPE = "create update delete media"


def main(data: Path) -> None:
    """Set up and serve until killed."""
    import django
    from django.conf import settings
    from indieweb.handlers import InMemoryMicropubHandler

    class SharedHandler(InMemoryMicropubHandler):
        """The package's example in-memory handler with one store for every request (it makes a handler per
        request), looking entries up by path."""

        store = InMemoryMicropubHandler()

        def __init__(self) -> None:
            self.__dict__ = self.store.__dict__

        # It files entries under their path but the endpoint names them by the absolute URL of its Location.
        def get_entry(self, url: str, user: Any) -> Any:
            return super().get_entry(urlsplit(url).path, user)

        def update_entry(self, url: str, updates: dict[str, Any], user: Any) -> Any:
            return super().update_entry(urlsplit(url).path, updates, user)

        def delete_entry(self, url: str, user: Any) -> None:
            super().delete_entry(urlsplit(url).path, user)

    globals()["SharedHandler"] = SharedHandler

    settings.configure(
        DEBUG=False,
        SECRET_KEY="homepost-tests-only",
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sites", "indieweb"],
        SITE_ID=1,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(data / "db.sqlite3")}},
        INDIEWEB_MICROPUB_HANDLER="__main__.SharedHandler",
        MIDDLEWARE=[],
        USE_TZ=True,
        MEDIA_ROOT=str(data / "media"),
        LOGGING_CONFIG=None,
    )
    django.setup()
    global urlpatterns
    urlpatterns = _urls()  # ROOT_URLCONF is this module
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from indieweb.models import Token
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("writer", password="not-used")
    token = Token(owner=user, client_id="https://homepost.example/", me="https://example.org/", scope=SCOPE)
    token.save()

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    endpoint = f"http://127.0.0.1:{server.server_port}/indieweb/micropub/"
    print(json.dumps({"endpoint": endpoint, "token": token.raw_key}), flush=True)
    server.serve_forever()


def _urls() -> list:
    from django.urls import include, path

    return [path("indieweb/", include("indieweb.urls"))]


def start(data: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start the server in a child process; (the process, {"endpoint", "token"}) once it is ready."""
    command = [sys.executable, "-m", "tests.real_micropub", str(data)]
    root = Path(__file__).parent.parent
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.kill()
        raise RuntimeError(f"the Micropub server did not start: {process.stderr.read() if process.stderr else ''}")
    return process, json.loads(line)


urlpatterns: list = []

if __name__ == "__main__":
    main(Path(sys.argv[1]))
