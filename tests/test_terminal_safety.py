"""Nothing secret or lying reaches a terminal: URLs and headers redacted by one function, remote strings
escaped (bidi overrides, controls, line breaks) in log lines and printed reports, secret files private."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from generator.commands.common import setup_logging as _setup_logging
from generator.credentials import CREDENTIALS_FILE, credential
from generator.errors import ConfigError
from generator.redaction import escape, redact, redact_headers, redact_text
from tests.helpers import SITE_TOML, run_cli, write_files
from tests.servers import LoopbackServer, Reply

RLO = "\u202e"


def test_redact_text_hides_userinfo_sensitive_query_values_and_credential_headers() -> None:
    text = "GET https://ada:pw@api.example/m.jf2?token=s3cret&page=2&api_key=k3y Authorization: Bearer abcdefghijkl"
    shown = redact_text(text)
    assert "s3cret" not in shown and "k3y" not in shown and "pw@" not in shown and "abcdefghijkl" not in shown
    assert "https://api.example/m.jf2?token=[redacted]&page=2&api_key=[redacted]" in shown
    assert "Authorization: [redacted]" in shown
    assert redact_headers({"Authorization": "Bearer x", "Accept": "image/*"}) == {
        "Authorization": "[redacted]",
        "Accept": "image/*",
    }
    assert redact("https://u:p@h.example/a?token=t#f") == "https://h.example/a"


def test_escape_makes_bidi_controls_and_line_breaks_visible() -> None:
    assert (
        escape(f"https://evil.example/{RLO}gnp.exe\nerror: fake\x1b[2J")
        == "https://evil.example/\\u202egnp.exe\\nerror: fake\\u001b[2J"
    )
    assert escape("a\nb", keep_newlines=True) == "a\nb"


def test_backfeed_prints_the_api_url_redacted(make_site) -> None:
    with LoopbackServer() as api:
        api.route("/api/mentions", Reply(500, "down"))
        config = (
            f'\n[webmention]\napi = "{api.url("/api/mentions")}?token=s3cret"\n\n'
            "[network]\nallow_private_addresses = true\n"
        )
        root = make_site(
            {"content/posts/a.md": "---\ntitle: A\ndate: 2026-05-01\n---\nA.\n"}, config=SITE_TOML + config
        )
        result = run_cli("backfeed", "--site", str(root), "--no-build")
    assert result.exit_code == 1
    assert f"failed webmention ({api.url('/api/mentions')})" in result.output
    assert "s3cret" not in result.output and "token=" not in result.output


def test_log_lines_escape_remote_strings(capsys: pytest.CaptureFixture[str]) -> None:
    _setup_logging(0, False)
    logging.getLogger("generator.webmention.receiver.worker").warning(
        "webmention from %s rejected: %s", f"https://evil.example/{RLO}txt.exe", "no link\nerror: all fine"
    )
    err = capsys.readouterr().err
    assert err == "warning: webmention from https://evil.example/\\u202etxt.exe rejected: no link\\nerror: all fine\n"


def test_a_skipped_mention_is_printed_escaped(make_site) -> None:
    with LoopbackServer() as api:
        feed = {
            "type": "feed",
            "children": [
                {
                    "type": "entry",
                    "wm-property": "mention-of",
                    "wm-source": f"https://evil.example/{RLO}x",
                    "wm-target": f"https://example.org/no/{RLO}page/",
                }
            ],
        }
        api.route("/api/mentions", Reply(200, json.dumps(feed), [("Content-Type", "application/json")]))
        config = f'\n[webmention]\napi = "{api.url("/api/mentions")}"\n\n[network]\nallow_private_addresses = true\n'
        root = make_site(
            {"content/posts/a.md": "---\ntitle: A\ndate: 2026-05-01\n---\nA.\n"}, config=SITE_TOML + config
        )
        result = run_cli("webmention", "pull", "--site", str(root))
    assert result.exit_code == 0, result.output
    assert RLO not in result.output
    assert (
        "skipped https://evil.example/\\u202ex -> https://example.org/no/\\u202epage/: not a page of this site"
        in result.output
    )


def _credentials(root: Path, mode: int) -> Path:
    write_files(root, {CREDENTIALS_FILE: '[webmentionio]\ntoken = "s3cret"\n'})
    path = root / CREDENTIALS_FILE
    path.chmod(mode)
    return path


def test_a_credentials_file_others_can_read_is_made_private_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _credentials(tmp_path, 0o644)
    with caplog.at_level(logging.WARNING, logger="generator"):
        assert credential(tmp_path, "webmentionio") == "s3cret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (
        ".homepost/credentials.toml: was readable by others (mode 0644); now readable by its owner only (0600)"
        in caplog.text
    )
    assert "s3cret" not in caplog.text


def test_a_credentials_file_whose_mode_cannot_change_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _credentials(tmp_path, 0o640)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("not the owner")

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(ConfigError) as caught:
        credential(tmp_path, "webmentionio")
    assert str(caught.value.problems[0]) == (
        ".homepost/credentials.toml: readable by others (mode 0640) and its mode cannot be changed; "
        "run chmod 600 on it as its owner"
    )


def test_a_private_credentials_file_is_read_without_a_word(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _credentials(tmp_path, 0o600)
    with caplog.at_level(logging.WARNING, logger="generator"):
        assert credential(tmp_path, "webmentionio") == "s3cret"
    assert caplog.text == "" and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_servers_message_keeps_no_bidi_control_or_token() -> None:
    from generator.platforms.base import clean_message

    assert (
        clean_message(f"bad {RLO}request\nAuthorization: Bearer abc.def")
        == "bad \\u202erequest Authorization: [redacted]"
    )


def test_the_receivers_own_entry_point_logs_through_the_safe_formatter() -> None:
    from generator.redaction import SafeFormatter

    formatter = SafeFormatter("%(levelname)s: %(message)s")
    record = logging.LogRecord(
        "generator.x", logging.INFO, __file__, 1, "webmention from %s", (f"https://e.example/{RLO}?token=t\nx",), None
    )
    assert formatter.format(record) == "INFO: webmention from https://e.example/\\u202e?token=[redacted]\\nx"
    assert (
        record.getMessage() == f"webmention from https://e.example/{RLO}?token=t\nx"
    )  # left as it was for other handlers


def test_a_log_record_with_a_mapping_argument_that_is_not_a_dict_is_formatted_by_key() -> None:
    from types import MappingProxyType

    from generator.redaction import log_message

    # logging passes a lone Mapping argument on as the record's args, whatever its class
    record = logging.LogRecord(
        "test", logging.INFO, __file__, 1, "from %(source)s", (MappingProxyType({"source": "a\nb"}),), None
    )
    assert isinstance(record.args, MappingProxyType)
    assert log_message(record.msg, record.args) == "from a\\nb"
