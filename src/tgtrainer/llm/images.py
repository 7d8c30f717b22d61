"""Pictures made fit to send to a vision model: upright, at most so many pixels a side, JPEG
under a size limit (servers cap an image's bytes, and every byte travels base64 in each turn
that carries it)."""

from __future__ import annotations

import io

from tgtrainer.errors import UserFacingError
from tgtrainer.llm.base import ImagePart

MAX_SIDE = 1568  # OpenAI and Anthropic both scale larger pictures down to about this
MAX_BYTES = 1_000_000  # of JPEG: about 1.3 MB as base64 in the request
MAX_MEGAPIXELS = 50  # a phone's photo is 12-48; more is refused before it is decoded
JPEG_QUALITIES = (85, 75, 60, 45)


class PictureError(UserFacingError):
    """The picture cannot be read or is too large; `str(error)` says so to the user."""

    user_message = "This is not a picture I can read."


def prepare_picture(data: bytes, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES) -> ImagePart:
    """`data` (any format Pillow reads) as a JPEG of at most `max_side` pixels a side and
    `max_bytes` bytes: lower JPEG qualities first, then smaller sides. Raises `PictureError`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:  # reads the header only
            width, height = opened.size
            if width * height > MAX_MEGAPIXELS * 1_000_000:
                raise PictureError(
                    f"{width}x{height}",
                    user_message=f"This picture is {width} × {height} pixels; I look at "
                    f"pictures of up to {MAX_MEGAPIXELS} megapixels.",
                )
            opened.draft("RGB", (max_side, max_side))  # JPEG: decode at a smaller scale
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except Image.DecompressionBombError as error:
        raise PictureError(str(error), user_message="This picture has too many pixels.") from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise PictureError(str(error)) from error
    side = max_side
    while True:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        for quality in JPEG_QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=quality, optimize=True)
            if buffer.tell() <= max_bytes or side <= 64:
                return ImagePart(buffer.getvalue(), "image/jpeg")
        side = max(64, int(max(image.size) * 0.75))
