"""Pictures for a vision model: downscaled, upright, JPEG, under the byte limit."""

from __future__ import annotations

import io

import pytest

from tgtrainer.llm.images import PictureError, prepare_picture


def photo(width: int, height: int, *, noisy: bool = False, fmt: str = "JPEG") -> bytes:
    from PIL import Image

    image = (
        Image.effect_noise((width, height), 90).convert("RGB")
        if noisy
        else Image.new("RGB", (width, height), (200, 40, 40))
    )
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def size_of(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        return image.size


def test_a_large_photo_is_downscaled_to_a_jpeg() -> None:
    part = prepare_picture(photo(4000, 3000), max_side=1568)
    assert part.media_type == "image/jpeg"
    assert size_of(part.data) == (1568, 1176)
    assert part.data_url().startswith("data:image/jpeg;base64,/9j/")


def test_a_small_png_keeps_its_size_and_becomes_a_jpeg() -> None:
    assert size_of(prepare_picture(photo(300, 200, fmt="PNG")).data) == (300, 200)


def test_the_byte_limit_is_kept_by_lower_quality_then_fewer_pixels() -> None:
    part = prepare_picture(photo(1500, 1500, noisy=True), max_side=1568, max_bytes=60_000)
    assert len(part.data) <= 60_000
    assert max(size_of(part.data)) < 1500


def test_what_is_not_a_picture_is_refused_with_a_sentence() -> None:
    with pytest.raises(PictureError, match="not a picture I can read"):
        prepare_picture(b"this is text, not a JPEG")
