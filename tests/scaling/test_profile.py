"""The scaled profile's configuration, without servers: HAProxy accepts what the launcher
writes, Redis URLs and settings are checked, ``endpoints.scaled.yml`` builds the project's
stores, and ``python -m bot run-scaled`` refuses a missing model before starting anything."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rasa.utils.endpoints import read_endpoint_config

from core.paths import PROJECT_ROOT
from tools.cluster import ClusterSpec, haproxy_binary, haproxy_config, masked_redis_url, parse_redis_url


@pytest.mark.parametrize("rate_limit", [0, 30])
def test_haproxy_accepts_the_configuration_it_is_given(tmp_path, rate_limit):
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(ClusterSpec(port=15999, rate_limit=rate_limit), [16001, 16002]))
    check = subprocess.run([haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = config.read_text()
    assert "server rasa0 127.0.0.1:16001 check" in text and "server rasa1 127.0.0.1:16002 check" in text
    assert "bind 127.0.0.1:15999" in text
    assert ("sc_http_req_rate(0) gt 30" in text) == bool(rate_limit)


def test_the_rate_limit_spares_the_his_channel():
    text = haproxy_config(ClusterSpec(rate_limit=10), [16001])
    [paths] = [line for line in text.splitlines() if "acl limited_path" in line]
    assert "/webhooks/web/" in paths and "/webhooks/rest/" in paths and "/webhooks/his/" not in paths


@pytest.mark.parametrize(
    "url, expected",
    [
        ("redis://10.0.0.5:6380", ("10.0.0.5", 6380, "", "")),
        ("redis://:s3cret@redis.internal", ("redis.internal", 6379, "", "s3cret")),
        ("redis://bot:s3cret@redis.internal:6390", ("redis.internal", 6390, "bot", "s3cret")),
        ("127.0.0.1:6379", ("127.0.0.1", 6379, "", "")),
    ],
)
def test_redis_urls(url, expected):
    assert parse_redis_url(url) == expected


def test_a_redis_password_is_never_printed():
    assert masked_redis_url("redis://bot:s3cret@redis.internal:6390") == "redis://bot:***@redis.internal:6390"
    assert masked_redis_url("redis://:s3cret@h") == "redis://:***@h"
    assert masked_redis_url("redis://h:1") == "redis://h:1"


@pytest.mark.parametrize("url", ["http://example.org", "redis://", "", "rediss://h:6379"])
def test_bad_redis_urls_are_refused(url):
    with pytest.raises(ValueError, match="redis://host:port"):
        parse_redis_url(url)


@pytest.mark.parametrize(
    "field, value", [("servers", 0), ("workers", 0), ("action_workers", 0), ("rate_limit", -1)]
)
def test_bad_settings_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        ClusterSpec(**{field: value}).check()


def test_the_scaled_endpoints_name_the_projects_redis_stores(monkeypatch):
    for name, value in (
        ("REDIS_HOST", "10.1.2.3"),
        ("REDIS_PORT", "6380"),
        ("REDIS_USERNAME", ""),
        ("REDIS_PASSWORD", "pw"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    path = str(PROJECT_ROOT / "endpoints.scaled.yml")
    tracker = read_endpoint_config(path, "tracker_store")
    lock = read_endpoint_config(path, "lock_store")
    assert tracker.type == "bot.tracker_store.CompactRedisTrackerStore" and tracker.url == "10.1.2.3"
    assert lock.type == "bot.lock_store.ResilientRedisLockStore" and lock.kwargs["password"] == "pw"
    assert tracker.kwargs["db"] != lock.kwargs["db"], "conversations and locks share one database"
    assert int(tracker.kwargs["record_exp"]) > 0, "conversations would be kept forever"
    assert read_endpoint_config(path, "action_endpoint").url == "http://127.0.0.1:5055/webhook"


def test_run_scaled_refuses_a_missing_model_before_starting_anything(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run-scaled", "--model", str(tmp_path / "none.tar.gz")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "no trained model" in result.stderr
