"""Django's tasks API (used by Wagtail) runs on our Huey worker."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from django_tasks import task
from huey.contrib.djhuey import HUEY

CALLS = []


@task()
def remember(value, *, times=1):
    CALLS.extend([value] * times)


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


def test_a_django_task_runs_in_the_huey_worker(monkeypatch, db, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(HUEY, "enqueue", queued.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = remember.enqueue("bonjour", times=2)
    assert queued == []  # not before the caller's transaction has committed
    for callback in callbacks:
        callback()
    assert result.status == "READY" and CALLS == []  # queued, not run
    [huey_task] = queued
    HUEY.execute(huey_task)  # what the worker does
    assert CALLS == ["bonjour", "bonjour"]


def test_a_deferred_django_task_is_scheduled_by_huey(
    monkeypatch, db, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(HUEY, "enqueue", queued.append)
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        remember.using(run_after=later).enqueue("plus tard")
    [huey_task] = queued
    # Huey keeps its times in naive UTC.
    assert huey_task.eta == later.astimezone(UTC).replace(tzinfo=None)
    assert CALLS == []
