"""The demo's photos, drawn with Pillow rather than shipped as files: fields running to the
horizon under a sky, the same picture for the same seed. The data files choose the look
(``ground`` and ``sky``)."""

import random
import zlib
from io import BytesIO

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter
from wagtail.images import get_image_model
from wagtail.models import Collection

PHOTO_SIZE = (1200, 800)
SKIES = {
    "clair": ((104, 160, 218), (226, 236, 244)),
    "voile": ((150, 166, 186), (222, 226, 230)),
    "soir": ((86, 104, 168), (246, 196, 146)),
    "cave": ((46, 42, 38), (128, 118, 104)),
}
GROUNDS = {
    "legumes": [(92, 135, 58), (116, 86, 58), (134, 168, 72)],
    "prairie": [(98, 150, 62), (112, 162, 70), (86, 136, 54)],
    "ble": [(214, 180, 92), (196, 160, 80), (226, 196, 110)],
    "verger": [(86, 130, 60), (104, 148, 66), (150, 60, 50)],
    "colza": [(236, 208, 60), (120, 150, 60), (230, 200, 50)],
    "terre": [(120, 88, 60), (104, 76, 52), (136, 100, 68)],
    "houblon": [(70, 120, 60), (96, 140, 70), (120, 90, 60)],
    "craie": [(200, 196, 184), (176, 170, 158), (150, 146, 136)],
    "ville": [(150, 140, 130), (120, 112, 104), (170, 160, 146)],
}


def draw_photo(seed: str, *, sky: str = "clair", ground: str = "legumes") -> bytes:
    """A JPEG of fields running to the horizon: the same seed always gives the same photo."""
    width, height = PHOTO_SIZE
    rnd = random.Random(zlib.crc32(seed.encode()))
    top, bottom = SKIES[sky]
    colours = GROUNDS[ground]
    outdoors = sky != "cave"
    horizon = int(height * rnd.uniform(0.38, 0.55))

    # 1. The sky: a vertical gradient from its top colour to the horizon's.
    canvas = PILImage.new("RGB", PHOTO_SIZE, colours[0])
    mask = PILImage.linear_gradient("L").resize((width, horizon))
    sky_band = PILImage.composite(
        PILImage.new("RGB", (width, horizon), bottom),
        PILImage.new("RGB", (width, horizon), top),
        mask,
    )
    canvas.paste(sky_band, (0, 0))
    draw = ImageDraw.Draw(canvas)
    # 2. The sun, and a hedge of trees along the horizon.
    if outdoors:
        x, y, r = rnd.randint(100, width - 100), rnd.randint(60, horizon - 80), rnd.randint(30, 60)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 244, 214))
        x = rnd.randint(-40, 40)
        while x < width:
            tree_w, tree_h = rnd.randint(30, 90), rnd.randint(15, 60)
            green = (40 + rnd.randint(0, 30), 80 + rnd.randint(0, 30), 40)
            draw.ellipse((x, horizon - tree_h, x + tree_w, horizon + 10), fill=green)
            x += tree_w + rnd.randint(-15, 60)
    # 3. The fields: bands converging on a vanishing point on the horizon.
    vanishing = rnd.randint(width // 3, 2 * width // 3)
    bands = rnd.randint(8, 16)
    for i in range(bands + 1):
        left = -width + i * 3 * width // bands
        right = -width + (i + 1) * 3 * width // bands
        draw.polygon(
            [(vanishing, horizon), (left, height), (right, height)],
            fill=colours[i % len(colours)],
        )
    draw.rectangle((0, horizon, width, horizon + 4), fill=colours[-1])
    # Softened edges: a one-pixel box blur looks as the Gaussian one and takes half the time.
    canvas = canvas.filter(ImageFilter.BoxBlur(1))
    out = BytesIO()
    canvas.save(out, "JPEG", quality=80)
    return out.getvalue()


def save_photo(
    title: str, slug: str, collection: Collection, *, sky: str = "clair", ground: str = "legumes"
):
    """The drawn photo saved as a Wagtail image of ``collection``."""
    Image = get_image_model()
    data = draw_photo(slug, sky=sky, ground=ground)
    image = Image(
        title=title,
        file=ImageFile(BytesIO(data), name=f"demo-{slug}.jpg"),
        collection=collection,
    )
    image.save()
    return image
