from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


def validate_photo(file):
    """Reject photos that are too heavy or not a real JPEG/PNG/WebP image.

    The extension is checked by FileExtensionValidator; here we look at the size and at
    what Pillow found inside the file (ImageField sets ``file.image`` when it could open it).
    """
    if file.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("This photo weighs %(size)s; the limit is %(limit)s."),
            code="photo_too_big",
            params={
                "size": filesizeformat(file.size),
                "limit": filesizeformat(settings.PHOTO_MAX_BYTES),
            },
        )
    # forms.ImageField leaves the opened image on the upload; a model FieldFile wraps it.
    image = getattr(file, "image", None) or getattr(getattr(file, "file", None), "image", None)
    if image is not None and image.format not in PHOTO_FORMATS:
        raise ValidationError(_("Photos must be JPEG, PNG or WebP images."), code="photo_format")


def validate_siret(value: str):
    """A SIRET is 14 digits whose Luhn checksum is valid (La Poste's SIRETs excepted)."""
    digits = value.replace(" ", "")
    if not (len(digits) == 14 and digits.isdigit()):
        raise ValidationError(_("A SIRET number has 14 digits."), code="siret_format")
    if digits.startswith("356000000"):  # La Poste establishments use another rule
        return
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    if total % 10:
        raise ValidationError(_("This SIRET number is not valid."), code="siret_checksum")
