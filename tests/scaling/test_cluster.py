"""Two Rasa servers (two Sanic workers each) sharing one Redis, behind HAProxy: the scaled
profile as ``make run-scaled`` starts it (``tools/cluster.py``, ``endpoints.scaled.yml``).

A conversation whose messages alternate between the servers keeps its context; concurrent
messages of one sender are handled one at a time and in order; a Redis restart costs no
reply; the balancer answers JSON (a rate limit, no server left); a server killed in the
middle of a conversation leaves the other to continue it. The cluster is started once for
the module (about a minute); the kill comes last.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import redis

from tests.live import require_model
from tools.cluster import Cluster, ClusterSpec, haproxy_binary, haproxy_config
from tools.live_servers import free_port, http_request

pytestmark = pytest.mark.slow

WEBHOOK = "/webhooks/rest/webhook"
# Messages the trained model answers in the clarify band (0.4-0.8), tried in turn: which one
# lands there depends on the training run, so the test takes the first that does.
VAGUE = ("糖尿病 吃", "糖尿病严重吗", "高血压会怎样", "肺炎怎样", "糖尿病的事", "胃炎喝酒", "糖尿病要注意啥")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    require_model()
    work = tmp_path_factory.mktemp("cluster")
    spec = ClusterSpec(
        servers=2,
        workers=2,
        action_workers=2,
        port=0,
        rate_limit=0,
        work=work,
        env={"UNANSWERED_DB_URL": f"sqlite:///{work / 'unanswered.sqlite3'}", "DIALOGUE_SEED": "0"},
    )
    with Cluster(spec) as running:
        yield running


def say(port: int, sender: str, text: str) -> List[Dict[str, Any]]:
    """The ``custom`` payloads of the bot's reply (the REST channel sends text and payload apart)."""
    status, _, body = http_request(port, "POST", WEBHOOK, {"sender": sender, "message": text}, timeout=60)
    assert status == 200, (status, body)
    return [message["custom"] for message in body if "custom" in message]


def strategies(payloads: List[Dict[str, Any]]) -> List[str]:
    return [payload["strategy"] for payload in payloads]


def stored_user_texts(cluster: Cluster, sender: str) -> List[str]:
    """The user messages of ``rest:<sender>`` in the tracker the servers keep in Redis."""
    client = redis.Redis(host="127.0.0.1", port=cluster.redis_port, db=0)
    raw = client.get(f"hospital:tracker:rest:{sender}")
    client.close()
    assert raw is not None, "the conversation is not in Redis"
    return [event["text"] for event in json.loads(raw)["events"] if event["event"] == "user"]


def test_a_conversation_alternating_between_servers_keeps_its_disease(cluster):
    first, second = cluster.server_ports
    [answer] = say(first, "alternate", "糖尿病有什么症状")
    assert (answer["strategy"], answer["sub_intent"], answer["disease"]) == ("answer", "symptom", "糖尿病")
    [carried] = say(second, "alternate", "那怎么治疗")
    assert (carried["sub_intent"], carried["disease"]) == ("treatment", "糖尿病")
    [again] = say(first, "alternate", "要做什么检查")
    assert (again["sub_intent"], again["disease"]) == ("check", "糖尿病")


def test_a_clarifying_question_on_one_server_is_answered_on_the_other(cluster):
    first, second = cluster.server_ports
    for index, text in enumerate(VAGUE):
        sender = f"clarify-{index}"
        [asked] = say(first, sender, text)
        if asked["strategy"] == "clarify":
            break
    else:
        pytest.fail(f"none of {VAGUE} was answered with a clarifying question")
    [confirmed] = say(second, sender, "是")
    assert confirmed["strategy"] == "confirm"
    assert (confirmed["sub_intent"], confirmed["disease"]) == (asked["sub_intent"], asked["disease"])


def test_concurrent_messages_of_one_sender_are_handled_one_at_a_time_in_order(cluster):
    """The test holds the conversation's lock while four messages arrive 0.1 s apart at
    alternating servers, so all four wait at once; released, they are answered one at a time
    in the order sent, and all four are in the shared conversation."""
    from bot.lock_store import ResilientRedisLockStore

    texts = ["高血压有什么症状", "那怎么治疗", "要做什么检查", "挂什么科"]
    expected = ["symptom", "treatment", "check", "department"]
    replies: Dict[int, List[Dict[str, Any]]] = {}
    answered: List[int] = []

    def send(index: int) -> None:
        replies[index] = say(cluster.server_ports[index % 2], "concurrent", texts[index])
        answered.append(index)

    locks = ResilientRedisLockStore(host="127.0.0.1", port=cluster.redis_port, db=1, key_prefix="hospital")
    ticket = locks.issue_ticket("rest:concurrent", lock_lifetime=30)
    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    time.sleep(0.5)
    assert not answered, "a message was handled while the conversation was locked"
    locks.cleanup("rest:concurrent", ticket)
    for thread in threads:
        thread.join(timeout=90)
    assert answered == [0, 1, 2, 3], "not answered in the order sent"
    assert [replies[i][0]["sub_intent"] for i in range(len(texts))] == expected
    assert all(replies[i][0]["disease"] == "高血压" for i in range(len(texts)))
    assert stored_user_texts(cluster, "concurrent") == texts


def test_a_redis_restart_costs_the_conversation_nothing(cluster):
    first, second = cluster.server_ports
    [answer] = say(first, "redis-restart", "哮喘有什么症状")
    assert answer["strategy"] == "answer"
    disease = answer["disease"]
    cluster.stop("redis")  # SIGTERM: Redis writes its snapshot and exits
    restart = threading.Timer(0.3, cluster.start, args=("redis",))
    restart.start()
    try:
        payloads = say(second, "redis-restart", "那怎么治疗")  # sent while Redis is down
    finally:
        restart.join()
    assert [(p["strategy"], p["disease"]) for p in payloads] == [("answer", disease)]
    [later] = say(first, "redis-restart", "饮食上注意什么")
    assert (later["strategy"], later["disease"]) == ("answer", disease)


def test_with_redis_down_the_patient_still_gets_the_emergency_advice(cluster):
    cluster.stop("redis")
    try:
        payloads = say(cluster.server_ports[0], "redis-down", "我爸突然胸口剧痛，满头大汗，喘不上气")
    finally:
        cluster.start("redis")
    assert strategies(payloads) == ["emergency", "service_unavailable"]


def _balancer(
    tmp_path: Path, cluster: Cluster, rate_limit: int, ports: List[int]
) -> Tuple[subprocess.Popen, int]:
    spec = ClusterSpec(port=free_port(), rate_limit=rate_limit)
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(spec, ports), encoding="utf-8")
    process = subprocess.Popen(
        [haproxy_binary(), "-db", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:  # listening (whatever it answers: its servers may be down on purpose)
        assert process.poll() is None, "haproxy exited"
        try:
            http_request(spec.port, "GET", "/", timeout=5)
            return process, spec.port
        except OSError:
            assert time.monotonic() < deadline, "haproxy did not listen within 30 s"
            time.sleep(0.1)


def test_the_balancer_spreads_a_conversation_and_keeps_its_context(cluster):
    port = cluster.port
    [answer] = say(port, "balanced", "胃炎有什么症状")
    disease = answer["disease"]
    for text, sub_intent in (
        ("那怎么治疗", "treatment"),
        ("要做什么检查", "check"),
        ("挂什么科", "department"),
    ):
        [reply] = say(port, "balanced", text)
        assert (reply["sub_intent"], reply["disease"]) == (sub_intent, disease)


def test_the_rate_limit_answers_json_429_per_address_and_spares_the_his(cluster, tmp_path):
    process, port = _balancer(tmp_path, cluster, 3, cluster.server_ports)
    try:
        statuses = []
        for _ in range(5):
            status, headers, body = http_request(port, "GET", "/webhooks/rest/")
            statuses.append(status)
        assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
        assert body["error"]["code"] == "rate_limited" and "120" in body["error"]["message"]
        assert headers["content-type"].startswith("application/json") and headers["retry-after"] == "10"
        status, _, _ = http_request(port, "GET", "/webhooks/his/")
        assert status != 429, "the HIS (one client, its own token) must not be rate-limited"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_with_no_server_left_the_balancer_answers_json_with_the_120_line(cluster, tmp_path):
    process, port = _balancer(tmp_path, cluster, 0, [free_port()])
    try:
        status, headers, body = http_request(port, "POST", WEBHOOK, {"sender": "x", "message": "你好"})
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert status == 503 and headers["content-type"].startswith("application/json")
    assert body["error"]["code"] == "service_unavailable" and "120" in body["error"]["message"]


def test_a_server_killed_mid_conversation_leaves_the_other_to_continue_it(cluster):
    """Last in this module: one server is gone for good afterwards."""
    first, second = cluster.server_ports
    [answer] = say(first, "survivor", "冠心病有什么症状")
    disease = answer["disease"]
    [carried] = say(second, "survivor", "那怎么治疗")
    assert carried["disease"] == disease
    cluster.kill("rasa1")  # SIGKILL to the server and its workers, as when a machine goes away
    [after] = say(first, "survivor", "要做什么检查")
    assert (after["sub_intent"], after["disease"]) == ("check", disease)
    for text, sub_intent in (("饮食上注意什么", "taboo"), ("挂什么科", "department")):
        [reply] = say(cluster.port, "survivor", text)  # the balancer sends everything to rasa0 now
        assert (reply["sub_intent"], reply["disease"]) == (sub_intent, disease)
