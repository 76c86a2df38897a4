from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from foodhub import inputs


@dataclass(frozen=True)
class _Site:
    name: str
    domain: str

    def __str__(self):
        return self.name


class AccountAdapter(DefaultAccountAdapter):
    """allauth's e-mails speak of the site by its name ("Foodhub"), not its host name, and
    its forms take only addresses an e-mail can be sent to."""

    def clean_email(self, email: str) -> str:
        inputs.check_email_address(email)
        return super().clean_email(email)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = getattr(self, "request", None)
        domain = request.get_host() if request is not None else settings.SITE_URL.split("//")[-1]
        context = {"current_site": _Site(name=settings.SITE_NAME, domain=domain), **context}
        super().send_mail(template_prefix, email, context)
