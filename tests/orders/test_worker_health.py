"""The worker's heartbeat: the one-minute tick records it; /health/ and the hub dashboard
warn when it has not run for five minutes."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from orders.models import WorkerHeartbeat
from orders.worker import scheduler


def test_the_tick_runs_every_minute_and_records_a_heartbeat(db):
    from huey.contrib.djhuey import HUEY

    due = HUEY.read_periodic(datetime(2026, 11, 23, 23, 59))
    assert scheduler.tick.task_class in {type(task) for task in due}
    assert WorkerHeartbeat.is_late()
    scheduler.tick.call_local()
    assert not WorkerHeartbeat.is_late()
    assert WorkerHeartbeat.objects.count() == 1
    scheduler.tick.call_local()  # still one row
    assert WorkerHeartbeat.objects.count() == 1


def test_health_says_ok_when_the_worker_ticked_recently(client, db):
    WorkerHeartbeat.beat(now=timezone.now() - timedelta(minutes=2))
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["worker"]["late"] is False and body["worker"]["last_tick"]


def test_health_warns_when_the_worker_is_late_or_never_ran(client, db):
    assert client.get(reverse("health")).json() == {
        "status": "warning",
        "database": "ok",
        "worker": {"last_tick": None, "late": True},
    }
    WorkerHeartbeat.beat(now=timezone.now() - timedelta(minutes=6))
    body = client.get(reverse("health")).json()
    assert body["status"] == "warning" and body["worker"]["late"] is True


def test_the_hub_dashboard_warns_its_managers_when_the_worker_is_late(client, manager, hub):
    client.force_login(manager)
    url = reverse("hubs:dashboard", args=[hub.slug])
    WorkerHeartbeat.beat(now=timezone.now() - timedelta(minutes=30))
    assert "ne s’est pas exécuté depuis" in client.get(url).content.decode()
    WorkerHeartbeat.beat()
    assert "ne s’est pas exécuté" not in client.get(url).content.decode()


def test_the_consumer_knows_every_task_of_the_project():
    """``run_huey`` loads each app's ``tasks`` module and nothing else: from it, every task
    of the project must be registered, or queued work waits for ever (the tick too)."""
    script = (
        "import django; django.setup()\n"
        "from django.utils.module_loading import autodiscover_modules\n"
        "from huey.contrib.djhuey import HUEY\n"
        "autodiscover_modules('tasks')\n"
        "print('\\n'.join(sorted(HUEY._registry._registry)))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split()  # fmt: skip
    for task in [
        "orders.outbox.send_emails",
        "orders.money.payments.settle_card_payments",
        "orders.printouts.documents.build_cycle_document",
        "orders.worker.scheduler.tick",
    ]:
        assert any(name.endswith(task) for name in out), (task, out)
