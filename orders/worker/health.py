"""``/health/``: for monitoring. The database answers, and the worker's tick has run in
the last five minutes (else a warning, with when it last ran)."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from orders.models import WorkerHeartbeat


@never_cache
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    last = WorkerHeartbeat.last()
    late = WorkerHeartbeat.is_late()
    return JsonResponse(
        {
            "status": "warning" if late else "ok",
            "database": "ok",
            "worker": {
                "last_tick": timezone.localtime(last).isoformat() if last else None,
                "late": late,
            },
        }
    )
