from .models import Hub


class HubSlugConverter:
    """A hub's short name, matched only when that hub exists.

    The shop answers at ``/<hub-slug>/``; any other one-segment address is left to the
    public pages (Wagtail), which come after it in ``foodhub/urls.py``.
    """

    regex = "[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        if not Hub.objects.filter(slug=value).exists():
            raise ValueError(value)
        return value

    def to_url(self, value) -> str:
        return str(value)
