"""Settings from the environment and the locality's hotline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import TEST_HOTLINE_NAME, TEST_LOCALITY

from connectors.locality import Hotline, LiveHotline, LocalityError, dial_string
from connectors.settings import Settings, SettingsError
from tthc.paths import REPO as REPO_ROOT


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.actions_url == "http://127.0.0.1:5055"
    assert settings.content_dir == REPO_ROOT / "content"
    assert settings.locality == "da-nang"
    assert settings.rasa_timeout_s == 10.0
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert not (settings.telegram_configured or settings.zalo_oa_configured or settings.zalo_bot_configured)


def test_overrides_and_secrets_hidden_from_repr(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "RASA_URL": "http://rasa:5005/",
            "ACTIONS_URL": "https://actions.local",
            "TROLYAO_CONTENT_DIR": str(tmp_path),
            "TROLYAO_LOCALITY": "ha-noi",
            "RASA_TIMEOUT_S": "2.5",
            "GATEWAY_HOST": "0.0.0.0",
            "GATEWAY_PORT": "9000",
            "TELEGRAM_BOT_TOKEN": "123:real-token",
            "TELEGRAM_WEBHOOK_SECRET": "abc_DEF-123",
            "ZALO_OA_SECRET_KEY": "k3y",
            "ZALO_APP_ID": "42",
            "ZALO_BOT_TOKEN": "99:bot-token",
            "ZALO_BOT_SECRET_TOKEN": "b0t",
            "ZALO_APP_SECRET": "app-s3cret",
            "ZALO_OA_REFRESH_TOKEN": "r3fresh",
            "GATEWAY_STATE_DB": str(tmp_path / "s.db"),
            "TELEGRAM_PUBLIC_URL": "https://bot.example.vn/",
            "CHANNEL_NOTICE_AFTER_S": "2",
        }
    )
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.actions_url == "https://actions.local"
    assert settings.content_dir == tmp_path and settings.locality == "ha-noi"
    assert settings.rasa_timeout_s == 2.5 and settings.port == 9000
    assert settings.telegram_configured and settings.zalo_oa_configured
    assert settings.zalo_bot_configured
    assert "real-token" not in repr(settings) and "k3y" not in repr(settings)
    assert "r3fresh" not in repr(settings) and "app-s3cret" not in repr(settings)
    assert settings.state_db == tmp_path / "s.db" and settings.notice_after_s == 2
    assert settings.telegram_public_url == "https://bot.example.vn"
    assert not settings.telegram_polling and settings.zalo_bot_polling
    for channel in ("telegram", "zalo", "zalo-bot"):
        assert settings.channel_problem(channel) is None


@pytest.mark.parametrize(
    "env",
    [
        {"RASA_URL": "localhost:5005"},
        {"RASA_TIMEOUT_S": "0"},
        {"RASA_TIMEOUT_S": "mười"},
        {"RASA_TIMEOUT_S": "nan"},
        {"GATEWAY_PORT": "70000"},
        {"CHANNEL_RETRY_MAX_S": "-1"},
        {"TELEGRAM_PUBLIC_URL": "bot.example.vn"},
    ],
)
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "channel", "words"),
    [
        (
            {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "changeme"},
            "telegram",
            "TELEGRAM_WEBHOOK_SECRET looks like a placeholder",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "có dấu"},
            "telegram",
            "TELEGRAM_WEBHOOK_SECRET must be",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "<your-token>"},
            "telegram",
            "TELEGRAM_BOT_TOKEN looks like a placeholder",
        ),
        (
            {"ZALO_APP_ID": "1", "ZALO_OA_SECRET_KEY": "<your-secret>"},
            "zalo",
            "ZALO_OA_SECRET_KEY looks like a placeholder",
        ),
        (
            {"ZALO_APP_ID": "1", "ZALO_OA_SECRET_KEY": "k", "ZALO_OA_REFRESH_TOKEN": "r"},
            "zalo",
            "ZALO_APP_SECRET is empty",
        ),
        (
            {"ZALO_BOT_TOKEN": "1:b", "ZALO_BOT_SECRET_TOKEN": "xxxx"},
            "zalo-bot",
            "ZALO_BOT_SECRET_TOKEN looks like a placeholder",
        ),
    ],
)
def test_a_placeholder_secret_stops_only_its_channel(env: dict[str, str], channel: str, words: str) -> None:
    settings = Settings.from_env(env)  # the gateway itself still starts
    problem = settings.channel_problem(channel)
    assert problem is not None and words in problem
    assert problem.count(".") == 1 and problem.endswith(".")  # one sentence
    others = {"telegram", "zalo", "zalo-bot"} - {channel}
    assert all(settings.channel_problem(other) is None for other in others)


def test_hotline_is_the_first_entry(content_dir: Path) -> None:
    hotline = LiveHotline.open(content_dir, TEST_LOCALITY).current()
    assert hotline == Hotline(name=TEST_HOTLINE_NAME, number="0236.1022")
    assert hotline.dial == "02361022"


def test_default_locality_has_a_usable_hotline() -> None:
    """The real content/localities/da-nang.yml (its values are officers' to change)."""
    settings = Settings()
    path = settings.content_dir / "localities" / f"{settings.locality}.yml"
    first = yaml.safe_load(path.read_text(encoding="utf-8"))["hotlines"][0]
    hotline = LiveHotline.open(settings.content_dir, settings.locality)
    assert hotline.current() == Hotline(name=first["name"].strip(), number=str(first["number"]).strip())
    assert hotline.dial.lstrip("+").isdigit()


def test_an_edit_of_the_hotline_is_live_without_a_restart(content_dir: Path, tmp_path: Path) -> None:
    own = tmp_path / "content"
    shutil.copytree(content_dir, own)
    hotline = LiveHotline.open(own, TEST_LOCALITY, poll_seconds=0)
    assert hotline.number == "0236.1022"
    path = own / "localities" / f"{TEST_LOCALITY}.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("0236.1022", "0236.3333"), encoding="utf-8")
    assert hotline.number == "0236.3333"
    path.write_text("hotlines: [\n", encoding="utf-8")  # a broken edit keeps the last good content
    assert hotline.number == "0236.3333"


def test_dial_string() -> None:
    assert dial_string("0236.383.1022") == "02363831022"
    assert dial_string(" +84 236 1022") == "+842361022"
    assert dial_string("1022") == "1022"
    assert dial_string("không có") == ""


def test_bad_localities(content_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(LocalityError, match="khong-co"):
        LiveHotline.open(content_dir, "khong-co")
    with pytest.raises(LocalityError):
        LiveHotline.open(tmp_path / "missing", TEST_LOCALITY)
    own = tmp_path / "content"
    shutil.copytree(content_dir, own)
    (own / "localities" / f"{TEST_LOCALITY}.yml").write_text("hotlines: [\n", encoding="utf-8")
    with pytest.raises(LocalityError):
        LiveHotline.open(own, TEST_LOCALITY)
