"""Issue #11 item 16 and the extras, on real servers: ``X-Forwarded-For`` is believed only from a
configured proxy; a second login is a second session until “log out everywhere”; a session ends
after the idle timeout; weak passwords are refused by ``lantian users``."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from lantian.plan.auth import POLICY
from tests.attacking import client, logged_in, post_login, running, server_env
from tests.web_ledger.conftest import seed_ledger

LANTIAN = [sys.executable, "-m", "lantian"]
ADD_ZHANGSAN = ["users", "add", "zhangsan", "--role", "leader", "--password-stdin"]


@pytest.fixture
def plain_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    seed_ledger(f"sqlite:///{home / 'plan.sqlite3'}")
    return home


def test_forwarded_for_is_not_believed_without_a_configured_proxy(plain_home):
    """Item 16: behind nothing (no LANTIAN_TRUSTED_PROXIES) a client that names a new address
    in each request is still one address to the limits."""
    with running(plain_home, server_env()) as base:
        statuses = []
        for i in range(POLICY.max_failures_per_address + 1):
            spoofing = client(base, f"203.0.113.{i + 1}")
            statuses.append(post_login(spoofing, f"guess{i}", "wrong password").status_code)
            spoofing.close()
    assert statuses[:-1] == [401] * POLICY.max_failures_per_address
    assert statuses[-1] == 429


def test_log_out_everywhere_and_the_idle_timeout(plain_home):
    env = server_env(LANTIAN_SESSION_IDLE_MINUTES="0.1", LANTIAN_TRUSTED_PROXIES="127.0.0.1")
    with running(plain_home, env) as base:
        desk, phone = logged_in(base, "hb", "192.0.2.1"), logged_in(base, "hb", "192.0.2.2")
        assert desk.get("/ledger/units/区环保局").status_code == 200
        assert phone.get("/ledger/units/区环保局").status_code == 200  # both: intended
        ended = phone.post("/ledger/logout-everywhere", data={"csrf_token": phone.csrf})
        assert ended.status_code == 303
        assert desk.get("/ledger/units/区环保局").status_code == 401
        assert phone.get("/ledger/units/区环保局").status_code == 401

        idle = logged_in(base, "zj", "192.0.2.3")
        assert idle.get("/ledger/units/区住建局").status_code == 200
        time.sleep(7)  # the idle timeout is 6 s here
        refused = idle.get("/ledger/units/区住建局")
        assert refused.status_code == 401
        assert "会话已过期" in refused.text


@pytest.mark.parametrize(
    "password",
    ["12345678", "password", "Password2024!", "qwertyuiop", "aaaaaaaaaa", "zhangsan-2019"],
)
def test_users_add_refuses_weak_passwords(plain_home, password):
    """Item 8: common, all-digit, repeated and name-containing passwords are refused."""
    done = subprocess.run(
        [*LANTIAN, "--home", str(plain_home), *ADD_ZHANGSAN],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout
    assert "密码" in done.stdout + done.stderr
