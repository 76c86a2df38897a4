"""Django's tasks API (``django_tasks``, used by Wagtail) on our Huey queue.

A task enqueued through ``django_tasks`` is handed to the Huey consumer that already runs
the shop's background work (``manage.py run_huey``): one worker, one queue, whether it is
the embedded SQLite file or Redis. Deferred tasks (``run_after``) are scheduled by Huey.
Results are not kept (Wagtail does not read them back).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from huey.contrib.djhuey import db_task


@db_task(retries=2, retry_delay=60)
def run_django_task(module_path: str, args: list, kwargs: dict) -> None:
    """Run, in the worker, the ``django_tasks`` task found at ``module_path``."""
    task = import_string(module_path)
    task.call(*args, **kwargs)


class HueyBackend(BaseTaskBackend):
    supports_defer = True

    def enqueue(self, task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        path = f"{task.func.__module__}.{task.func.__qualname__}"

        def send():
            if task.run_after is not None:
                run_django_task.schedule((path, list(args), dict(kwargs)), eta=task.run_after)
            else:
                run_django_task(path, list(args), dict(kwargs))

        # Queued once the caller's transaction has committed (Wagtail enqueues from inside
        # a page's save): the worker must see the data it is asked to work on.
        transaction.on_commit(send, robust=True)
        return TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
