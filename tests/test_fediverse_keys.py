"""The site's fediverse key pair: made once with mode 0600, rotated on request, overridden from the environment,
and never shown: not in the output, not in errors, not in a repr."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from generator.fediverse.keys import KEY_ENV, FediverseKeyError, ensure_key, init_key, key_path, load_key
from tests.helpers import run_cli


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def secret_lines(pem: str) -> list[str]:
    """The base64 lines of a private key PEM: none of them may appear anywhere."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def test_init_makes_an_rsa_2048_key_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0)  # even with a permissive umask the file is never readable by others, not for a moment
    try:
        result = run_cli("fediverse", "init", "--site", str(tmp_path))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    path = key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = load_key(tmp_path)
    assert key is not None and key.private_key.key_size == 2048
    assert f"fingerprint {key.fingerprint}" in result.output and str(path.relative_to(tmp_path)) in result.output
    assert key.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert not [name for name in os.listdir(path.parent) if name != "private.pem"]  # no temporary file left


def test_init_again_keeps_the_key(tmp_path: Path) -> None:
    first = init_key(tmp_path)
    again = run_cli("fediverse", "init", "--site", str(tmp_path))
    assert again.exit_code == 0 and "already there" in again.output
    assert first.created and load_key(tmp_path) is not None
    assert load_key(tmp_path).fingerprint == first.key.fingerprint  # type: ignore[union-attr]


def test_rotate_keeps_the_old_key_and_says_an_actor_update_is_due(tmp_path: Path) -> None:
    old = init_key(tmp_path).key
    result = run_cli("fediverse", "init", "--rotate", "--site", str(tmp_path))
    assert result.exit_code == 0, result.output
    new = load_key(tmp_path)
    assert new is not None and new.fingerprint != old.fingerprint
    kept = key_path(tmp_path).with_name("private.pem.1")
    assert kept.read_text() == private_pem(old.private_key)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert "private.pem.1" in result.output and "Update of the actor" in result.output


def test_the_environment_variable_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_disk = init_key(tmp_path).key
    from_env = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setenv(KEY_ENV, private_pem(from_env))
    key = load_key(tmp_path)
    assert key is not None and key.source == KEY_ENV and key.fingerprint != on_disk.fingerprint
    assert key.public_pem == from_env.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    shown = run_cli("fediverse", "init", "--site", str(tmp_path))
    assert shown.exit_code == 0 and f"using the key in {KEY_ENV} (fingerprint {key.fingerprint})" in shown.output
    result = run_cli("fediverse", "init", "--rotate", "--site", str(tmp_path))
    assert result.exit_code == 1 and f"error: {KEY_ENV}: the key comes from the environment" in result.output
    assert load_key(tmp_path).fingerprint == key.fingerprint  # type: ignore[union-attr]


def test_a_key_is_made_on_first_need(tmp_path: Path) -> None:
    assert load_key(tmp_path) is None
    key = ensure_key(tmp_path)
    assert key_path(tmp_path).is_file() and ensure_key(tmp_path).fingerprint == key.fingerprint


def test_a_key_file_readable_by_others_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    init_key(tmp_path)
    key_path(tmp_path).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="generator"):
        load_key(tmp_path)
    assert "readable by others (mode 0644)" in caplog.text


def test_the_private_key_appears_in_no_output_error_log_or_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    made = init_key(tmp_path)
    secrets = secret_lines(key_path(tmp_path).read_text())
    seen += [repr(made), str(made), repr(made.key), made.key.public_pem, made.key.fingerprint]
    seen.append(run_cli("fediverse", "init", "--site", str(tmp_path)).output)
    seen.append(run_cli("fediverse", "init", "--rotate", "--site", str(tmp_path)).output)
    secrets += secret_lines(key_path(tmp_path).read_text())

    # error paths: a truncated key and a key of the wrong kind, in the environment and in the file
    truncated = "\n".join(key_path(tmp_path).read_text().splitlines()[:-3])
    wrong_kind = private_pem(ec.generate_private_key(ec.SECP256R1()))
    secrets += secret_lines(truncated) + secret_lines(wrong_kind)
    for value in (truncated, wrong_kind):
        monkeypatch.setenv(KEY_ENV, value)
        result = run_cli("fediverse", "init", "--site", str(tmp_path))
        assert result.exit_code == 1 and KEY_ENV in result.output
        seen.append(result.output)
    monkeypatch.delenv(KEY_ENV)
    key_path(tmp_path).write_text(wrong_kind)
    with pytest.raises(FediverseKeyError) as caught:
        load_key(tmp_path)
    assert str(key_path(tmp_path)) in str(caught.value) and "RSA" in str(caught.value)
    seen += [str(caught.value), caplog.text]
    leaked = [line for line in secrets for text in seen if line in text]
    assert not leaked
