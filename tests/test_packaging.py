"""The wheel carries the default theme, so a plain `pip install .` builds sites from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.helpers import SITE_TOML, write_files
from tests.sites import BLOG

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_the_theme_and_builds_a_site_from_elsewhere(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = (tmp_path / "dist").glob("homepost-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "generator/themes/default/templates/base.html" in names
    assert "generator/themes/default/static/assets/style.css" in names
    assert any(n.endswith("entry_points.txt") for n in names)

    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    site = tmp_path / "site"
    write_files(site, {"site.toml": SITE_TOML, **BLOG})
    env = {**os.environ, "PYTHONPATH": str(unpacked), "SOURCE_DATE_EPOCH": "1780000000"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import generator, sys; print(generator.__file__); sys.argv=['homepost','build']; "
            "from generator.cli import main; main()",
        ],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(unpacked)), "the test ran the checkout, not the wheel"
    assert (site / "public/assets/style.css").is_file()
