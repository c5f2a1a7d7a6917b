"""Fixtures of the browser tests: the system Chromium (one per session), the example site built with
the real CLI and served on loopback, and browser tabs that record what went wrong while they were
open (console errors, script errors, failed requests).

Nothing here downloads a browser: Playwright drives /usr/bin/chromium. When Chromium, Java or the
npm packages are missing the tests fail (not skip) and say to run tools/ci-setup.sh, since CI runs
it before the tests and a silent skip would hide a broken setup."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from generator.config import load_config
from generator.content.publishing import ReadOptions
from generator.content.reader import read_content
from generator.pipeline.collect import collect_site
from generator.sitedata.responses import load_responses
from generator.webmention.receiver import Receiver, ReceiverOptions, WorkerOptions
from tests.servers import LoopbackServer, Received, static_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, Route

ROOT = Path(__file__).resolve().parents[2]  # the repository: the example site's site.toml, content/, data/
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"  # screenshots; gitignored
CHROMIUM = Path("/usr/bin/chromium")
VNU_JAR = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
SETUP = "run `bash tools/ci-setup.sh` (as root) to install what the browser tests need"
WAIT_MS = 10_000  # the longest any browser wait may take
PHONE, DESKTOP = 390, 1280  # viewport widths in CSS pixels


def require(present: bool, what: str) -> None:
    """Fail the test, naming the setup script, when something the browser tests need is missing."""
    if not present:
        pytest.fail(f"{what} is missing: {SETUP}", pytrace=False)


def homepost(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `homepost` command (the script installed beside this Python), failing with its output."""
    script = Path(sys.executable).with_name("homepost")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "generator"]
    done = subprocess.run([*command, *args], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"homepost {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done


def copy_example(root: Path, extra_config: str = "") -> Path:
    """The example site (site.toml + `extra_config`, content/, data/) copied to `root`, so that
    building it leaves no build cache in the repository; its themes/ links to the repository's, so
    the theme under test is the one in the working tree."""
    root.mkdir(parents=True)
    for name in ("content", "data"):
        shutil.copytree(ROOT / name, root / name)
    (root / "themes").symlink_to(ROOT / "themes", target_is_directory=True)
    (root / "site.toml").write_text((ROOT / "site.toml").read_text(encoding="utf-8") + extra_config, encoding="utf-8")
    return root


@dataclass(frozen=True)
class Served:
    """A built site in `folder` served at `origin` (http://127.0.0.1:port); `site_url` is the URL it
    was built for. `server` is the static server serving it, when the tests started one."""

    folder: Path
    origin: str
    site_url: str
    server: LoopbackServer | None = None

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def serve(folder: Path, site_url: str) -> Served:
    """Serve a built folder as a static host would, on a free loopback port."""
    server = LoopbackServer()
    server.fallback = static_site(folder)
    return Served(folder, server.url("").rstrip("/"), site_url, server)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """The system Chromium, headless, driven by Playwright; one for all the browser tests."""
    require(CHROMIUM.is_file(), f"Chromium ({CHROMIUM})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Playwright for Python is missing: install the test extra (pip install -e '.[test]')", pytrace=False
        )
    # Playwright's own switches already keep Chromium off the network (no background networking,
    # sync or component updates); the tabs reach loopback only (see Visit).
    args = ["--autoplay-policy=no-user-gesture-required"]  # the episode test starts the player from a script
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root (CI runs as root)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example site built by `homepost build` in a temporary folder, and served."""
    root = copy_example(tmp_path_factory.mktemp("example") / "site")
    homepost("build", "--site", str(root), "-o", str(root / "public"))
    served = serve(root / "public", load_config(root).site.url)
    yield served
    served.close()


@dataclass(frozen=True)
class ExamplePages:
    """Root-relative paths of the example site's pages that the browser tests visit."""

    home: str
    long_post: str  # the post with the most words
    note: str  # a post without a title
    episode: str  # a podcast episode with chapters
    tag: str  # the tag with the most posts
    chinese: str  # the longest post in Chinese (it has code)
    conversation: str  # the post with the most responses

    def items(self) -> list[tuple[str, str]]:
        names = ("home", "long_post", "note", "episode", "tag", "chinese", "conversation")
        return [(name, getattr(self, name)) for name in names]


@pytest.fixture(scope="package")
def example_pages(example: Served) -> ExamplePages:
    """Chooses the pages from the site as `homepost build` reads it, so new content keeps the choice honest."""
    config = load_config(example.folder.parent)
    site = collect_site(config, read_content(config, ReadOptions(now=dt.datetime.now(tz=config.site.tz))))
    posts = site.posts  # published ones only, as built
    long_post = max((p for p in posts if not p.is_note and p.episode is None), key=lambda p: p.word_count)
    note = next(p for p in posts if p.is_note and p.episode is None)
    episode = next(p for p in posts if p.episode is not None and p.episode.chapters)
    tags = next(t for t in site.taxonomies if t.key == "tags")
    tag = max(tags.terms, key=lambda term: term.count)
    chinese = max((p for p in posts if (p.lang or config.site.language).startswith("zh")), key=lambda p: p.word_count)
    responses = load_responses(config)
    conversation = max(posts, key=lambda p: len(responses.get(p.url, ())))
    return ExamplePages("/", long_post.path, note.path, episode.path, tag.path, chinese.path, conversation.path)


@dataclass
class Visit:
    """One browser tab on a served site. Requests to other origins never leave the machine: those to
    the site's own public URL (canonical links, feeds) are answered from the built folder, the rest
    are aborted and listed in `external`. `problems` collects console errors, script errors, failed
    requests and error statuses from the site."""

    page: Page
    served: Served
    also: tuple[str, ...] = ()  # origins besides the site's that the tab may reach (a receiver)
    problems: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def attach(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _ours(self, url: str) -> bool:
        origins = (self.served.origin, *self.also)
        return any(url.startswith(origin + "/") for origin in origins) or url.startswith(self.served.site_url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and message.location.get("url", "") not in self.external:
            self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def _failed(self, request: Request) -> None:
        # ERR_ABORTED is the browser's own doing (the page went away while an event stream was
        # open, a player stopped loading), not a request the site failed to answer.
        if self._ours(request.url) and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if self._ours(response.url) and response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def elsewhere(self, route: Route) -> None:
        """Answers a request that is not for the loopback origins (see the class)."""
        url = route.request.url
        if self.served.site_url and url.startswith(self.served.site_url):
            base = urlsplit(self.served.site_url).path
            path = "/" + urlsplit(url).path.removeprefix(base)
            headers = Message()
            for name, value in route.request.headers.items():
                headers[name] = value
            reply = static_site(self.served.folder)(Received(route.request.method, path, headers, b""))
            body = reply.body.encode() if isinstance(reply.body, str) else reply.body
            route.fulfill(status=reply.status, headers=dict(reply.headers), body=body)
        else:
            self.external.append(url)
            route.abort()

    def goto(self, path: str) -> Response:
        """Open a page of the site and wait until it and everything it loads have arrived."""
        response = self.page.goto(self.served.url(path), wait_until="load")
        assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
        return response

    def assert_no_problems(self) -> None:
        assert not self.problems, "the page had problems:\n" + "\n".join(self.problems)


Opener = Callable[..., Visit]


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Opener]:
    """`open_tab(served, width=1280, color_scheme="light", also=())`: a new tab (in its own browser
    context) on `served`, recording problems; closed after the test. `also`: other origins it may
    reach (every other request is aborted)."""
    contexts = []

    def open_(
        served: Served, width: int = DESKTOP, color_scheme: str = "light", height: int = 800, also: tuple[str, ...] = ()
    ) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=color_scheme)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        visit = Visit(context.new_page(), served, tuple(origin.rstrip("/") for origin in also))
        visit.attach()
        allowed = tuple(origin + "/" for origin in (served.origin, *visit.also))
        context.route(lambda url: not url.startswith(allowed), visit.elsewhere)
        return visit

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="package")
def artifacts() -> Path:
    """Where screenshots go (tests/browser/artifacts/, kept by CI as test artifacts)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="package")
def java() -> str:
    found = shutil.which("java")
    require(found is not None, "Java (the java command, for the Nu Html Checker)")
    require(VNU_JAR.is_file(), f"The Nu Html Checker ({VNU_JAR.relative_to(HERE.parents[1])})")
    return found  # type: ignore[return-value]


@pytest.fixture(scope="package")
def axe_source() -> str:
    require(AXE_JS.is_file(), f"axe-core ({AXE_JS.relative_to(HERE.parents[1])})")
    return AXE_JS.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Commenting:
    """The example site built with `[comments] enabled = true`, its forms posting to a receiver."""

    served: Served
    receiver: Receiver
    with_replies: str  # path of a post whose comment form offers replies to answer


@pytest.fixture(scope="package")
def commenting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Commenting]:
    """The example site with comments on and its webmention endpoint on a receiver started here (on
    loopback, its database in a temporary folder), built with `homepost build` and served."""
    work = tmp_path_factory.mktemp("commenting")
    root = copy_example(work / "site", "\n[comments]\nenabled = true\n")
    config = (root / "site.toml").read_text(encoding="utf-8")
    endpoint = load_config(root).webmention.endpoint
    assert endpoint and endpoint in config
    options = ReceiverOptions(port=0, db_path=work / "receiver.sqlite3", worker=WorkerOptions(poll_interval=0.05))
    receiver = Receiver(load_config(root), options)
    receiver.start()
    try:
        (root / "site.toml").write_text(config.replace(endpoint, receiver.endpoint), encoding="utf-8")
        homepost("build", "--site", str(root))
        output = root / "public"
        page = next(f for f in output.rglob("index.html") if 'id="comment-reply-to"' in f.read_text(encoding="utf-8"))
        served = serve(output, load_config(root).site.url)
        try:
            yield Commenting(served, receiver, "/" + page.parent.relative_to(output).as_posix() + "/")
        finally:
            served.close()
    finally:
        receiver.stop()
