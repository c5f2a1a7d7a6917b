"""The build's own record of what it published (.homepost/published.json), and the tombstones it gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.config import load_config
from generator.errors import ContentError
from generator.pipeline.build import BuildOptions, build_site
from generator.pipeline.published import PUBLISHED_FILE, PublishedRecord
from generator.pipeline.session import BuildSession
from generator.sitedata.sent import SENT_FILE
from tests.conftest import SiteFactory
from tests.helpers import NOW, build

ROOT = Path(__file__).resolve().parent.parent
POST = "---\ntitle: {title}\ndate: 2026-0{month}-01\n---\n\nText of {title}.\n"
FILES: dict[str, str | bytes] = {
    "content/posts/2026-01-01-kept.md": POST.format(title="Kept", month=1),
    "content/posts/2026-02-01-doomed.md": POST.format(title="Doomed", month=2),
    "content/posts/2026-03-01-hidden.md": "---\ntitle: Hidden\ndate: 2026-03-01\ndraft: true\n---\n\nNot yet.\n",
    "content/pages/about.md": "---\ntitle: About\n---\n\nMe.\n",
}
DOOMED = "content/posts/2026-02-01-doomed.md"


def recorded(site: Path) -> set[str]:
    return set(json.loads((site / ".homepost" / PUBLISHED_FILE).read_text(encoding="utf-8"))["paths"])


def tombstoned(site: Path, rel: str) -> bool:
    """True when the output has a tombstone at `rel` and the host rules answer 410 there."""
    page = site / "public" / rel / "index.html"
    redirects = (
        (site / "public/_redirects").read_text(encoding="utf-8") if (site / "public/_redirects").exists() else ""
    )
    nginx = (site / "public/_nginx.conf").read_text(encoding="utf-8") if (site / "public/_nginx.conf").exists() else ""
    shown = page.exists() and "This post was deleted" in page.read_text(encoding="utf-8")
    return shown and f"/{rel} /{rel} 410!" in redirects and f"location = /{rel} {{ error_page 410" in nginx


def test_a_post_deleted_after_a_build_gets_a_tombstone_without_any_send_record(make_site: SiteFactory) -> None:
    site = make_site(FILES)
    assert build(site).exit_code == 0
    assert recorded(site) == {"2026/01/kept/", "2026/02/doomed/", "about/"}
    (site / DOOMED).unlink()
    assert build(site).exit_code == 0
    assert not (site / "data" / SENT_FILE).exists()
    assert tombstoned(site, "2026/02/doomed/")
    assert not tombstoned(site, "2026/01/kept/")
    assert "2026/02/doomed/" in recorded(site)  # kept, so the next builds keep the tombstone
    assert build(site, "--force").exit_code == 0
    assert tombstoned(site, "2026/02/doomed/")


def test_a_post_published_again_loses_its_tombstone(make_site: SiteFactory) -> None:
    site = make_site(FILES)
    build(site)
    text = (site / DOOMED).read_text(encoding="utf-8")
    (site / DOOMED).unlink()
    build(site)
    (site / DOOMED).write_text(text, encoding="utf-8")
    build(site)
    assert "Text of Doomed." in (site / "public/2026/02/doomed/index.html").read_text(encoding="utf-8")
    redirects = site / "public/_redirects"
    assert not redirects.exists() or "/2026/02/doomed/" not in redirects.read_text(encoding="utf-8")


def test_a_build_with_drafts_or_at_another_url_does_not_record(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(FILES)
    build_site(site, BuildOptions(now=NOW, jobs=1, drafts=True, future=True))
    BuildSession("http://127.0.0.1:8000").build(site, BuildOptions(now=NOW, jobs=1, output=tmp_path / "dev"))
    assert not (site / ".homepost" / PUBLISHED_FILE).exists()
    build_site(site, BuildOptions(now=NOW, jobs=1))
    assert "2026/03/hidden/" not in recorded(site)  # the draft was shown only in a build with drafts
    assert recorded(site) == {"2026/01/kept/", "2026/02/doomed/", "about/"}


def test_the_record_survives_clearing_the_cache(make_site: SiteFactory) -> None:
    site = make_site(FILES)
    build(site)
    shutil.rmtree(site / ".homepost/cache")
    (site / DOOMED).unlink()
    assert build(site).exit_code == 0
    assert tombstoned(site, "2026/02/doomed/")


def test_a_kill_during_the_save_leaves_the_old_record_whole(make_site: SiteFactory) -> None:
    site = make_site(FILES)
    build(site)
    before = (site / ".homepost" / PUBLISHED_FILE).read_bytes()
    # Another process saves a bigger record and is killed (SIGKILL) just before the rename.
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from generator import state
        from generator.pipeline.published import PublishedRecord
        from generator.config import load_config
        state.os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
        record = PublishedRecord.load(load_config(Path({str(site)!r})))
        PublishedRecord(record.path, record.paths | {{"2027/01/new/"}}).save()
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60)
    assert done.returncode == -9, done.stderr.decode()
    assert (site / ".homepost" / PUBLISHED_FILE).read_bytes() == before
    assert "2027/01/new/" not in PublishedRecord.load(load_config(site)).paths


def test_a_damaged_record_is_an_error_naming_the_file(make_site: SiteFactory) -> None:
    site = make_site({**FILES, f".homepost/{PUBLISHED_FILE}": '{"paths": "2026/01/kept/"}'})
    with pytest.raises(ContentError) as caught:
        build_site(site, BuildOptions(now=NOW, jobs=1))
    problem = caught.value.problems[0]
    assert problem.file == f".homepost/{PUBLISHED_FILE}" and "expected a list of site paths" in problem.message
    result = build(site)
    assert result.exit_code != 0 and f".homepost/{PUBLISHED_FILE}" in result.output and "Traceback" not in result.output


def test_a_failed_build_does_not_record(make_site: SiteFactory) -> None:
    site = make_site(FILES)
    build(site)
    before = recorded(site)
    (site / "content/posts/2026-04-01-new.md").write_text(POST.format(title="New", month=4), encoding="utf-8")
    (site / "content/posts/2026-05-01-broken.md").write_text(
        "---\ntitle: [unclosed\n---\n\nBroken.\n", encoding="utf-8"
    )
    assert build(site).exit_code != 0
    assert recorded(site) == before
