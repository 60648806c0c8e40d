"""Avatar image processing: decode an upload and re-encode it with Pillow.

Re-encoding from decoded pixels keeps nothing of the original file but the picture: metadata
(EXIF location, ICC profiles, comments) is dropped and anything that is not an image of an allowed
format is refused, so what is served publicly is always a plain PNG or JPEG.
"""
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Upstream's img.uploads limit and avatar size (its "large" variant; uploads are only downsized).
MAX_BYTES = 1024 * 1024
MAX_SIZE = (600, 600)
# A decompression bomb fits in 1 MB: refuse pictures larger than 4096 x 4096 before decoding them.
MAX_PIXELS = 4096 * 4096

UPLOAD_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


class ImageError(ValueError):
    """The upload is not a usable image."""


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str


def reencode(data):
    """The upload as a new PNG (JPEG for photos sent as JPEG), at most ``MAX_SIZE``."""
    try:
        with Image.open(io.BytesIO(data), formats=list(UPLOAD_TYPES.values())) as source:
            width, height = source.size
            if width * height > MAX_PIXELS:
                raise ImageError("too many pixels")
            photo = source.format in ("JPEG", "MPO")  # MPO: a camera's multi-picture JPEG
            source.seek(0)  # the first frame of an animation
            if photo:
                # Downsized while still undecoded: the JPEG decoder then works at a reduced scale.
                picture = source
                mode = "RGB"
            else:
                # Palette images are converted first: they would only resize by nearest neighbour.
                has_alpha = source.mode in ("RGBA", "LA", "PA") or "transparency" in source.info
                mode = "RGBA" if has_alpha else "RGB"
                picture = source.convert(mode)
            picture.thumbnail(MAX_SIZE, Image.Resampling.LANCZOS)
            picture = ImageOps.exif_transpose(picture).convert(mode)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as error:
        raise ImageError(str(error)) from error
    # A fresh image from the pixels alone: no metadata of the upload can reach the output.
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())
    out = io.BytesIO()
    if photo:
        clean.save(out, "JPEG", quality=90, optimize=True)
        return Encoded(out.getvalue(), "image/jpeg")
    clean.save(out, "PNG", optimize=True)
    return Encoded(out.getvalue(), "image/png")
