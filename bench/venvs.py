"""Throwaway venvs for the other tools: `python -m venv` and pip, reused while their requirements stay the same."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("bench")


def ensure_venv(folder: Path, requirements: list[str]) -> Path:
    """A venv in `folder` with `requirements` installed; returns its bin folder."""
    marker = folder / ".bench-installed"
    spec = "\n".join(requirements)
    bin_dir = folder / "bin"
    if marker.is_file() and marker.read_text(encoding="utf-8") == spec and (bin_dir / "python").exists():
        return bin_dir
    log.info("installing %s into %s", " ".join(requirements), folder)
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True)
    marker.write_text(spec, encoding="utf-8")
    return bin_dir
