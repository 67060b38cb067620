"""Reading images of any common format and bit depth as H x W x 3 uint8 RGB.

Grey, 16-bit, RGBA, palette, CMYK and 1-bit inputs are converted on load and each conversion is
reported (`LoadedImage.conversions`), so the GUI and CLI can tell the user instead of hiding it.
Every failure becomes a SegError naming the file: unreadable, empty, truncated, not an image, or
larger than the pixel limit (a decompression bomb is refused before it is decoded).
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

from segmodels.errors import SegError, describe

#: Largest image accepted, in pixels (about 23000 x 23000). Beyond it a file is refused as a
#: possible decompression bomb rather than decoded into gigabytes of memory.
MAX_IMAGE_PIXELS: int = 512 * 1024 * 1024

#: Images above this many pixels must hold at least one byte per MAX_PIXELS_PER_BYTE pixels
#: (see `_refuse_impossible_ratio`); smaller images are never checked.
RATIO_CHECK_PIXELS: int = 64 * 1024 * 1024
MAX_PIXELS_PER_BYTE: dict[str, int] = {"PNG": 16384, "JPEG": 1024}

ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class LoadedImage:
    rgb: np.ndarray                      # H x W x 3 uint8
    conversions: tuple[str, ...] = field(default_factory=tuple)
    source_mode: str = "RGB"

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return int(self.rgb.shape[0]), int(self.rgb.shape[1])


def open_pil(path: str | os.PathLike[str], *, what: str = "image") -> Image.Image:
    """Open and fully decode a file with Pillow, turning every failure into one sentence."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise SegError(f"{what.capitalize()} {describe(path)} is empty (0 bytes).", path=path)
    except FileNotFoundError:
        raise SegError(f"{what.capitalize()} {describe(path)} does not exist.", path=path) from None
    except PermissionError:
        raise SegError(f"{what.capitalize()} {describe(path)} cannot be read (permission denied).", path=path) from None
    previous = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
            image = Image.open(path)
            width, height = image.size
            reason = oversize_reason(image.format, width, height, path.stat().st_size)
            if reason:
                raise SegError(f"{what.capitalize()} {describe(path)} {reason}.", path=path)
            image.load()
        return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SegError(f"{what.capitalize()} {describe(path)} is over the pixel limit "
                       "(possible decompression bomb); refused.", path=path) from None
    except SegError:
        raise
    except Image.UnidentifiedImageError:
        raise SegError(f"{what.capitalize()} {describe(path)} is not a readable image file.", path=path) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        text = str(exc)
        reason = "truncated or corrupt" if ("truncated" in text.lower() or "broken" in text or isinstance(exc, (EOFError, SyntaxError))) \
            else f"unreadable ({text})"
        raise SegError(f"{what.capitalize()} {describe(path)} is {reason}.", path=path) from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def oversize_reason(fmt: str | None, width: int, height: int, size_bytes: int) -> str | None:
    """Why an image whose header claims width x height cannot be decoded safely, or None.

    Every decoder of untrusted images asks this before decoding (imageio, the validator). Beyond the
    pixel limit, a large PNG or JPEG must hold at least one byte per MAX_PIXELS_PER_BYTE pixels: a
    truncated or forged file (600 bytes of JPEG claiming 20000 x 20000) is otherwise decoded into
    gigabytes of grey fill for tens of seconds or minutes. No complete file comes near those ratios
    (measured on blank 8000 x 8000 images: 1-bit PNG at deflate's best about 8200 pixels per byte,
    JPEG under 100), so real images are never refused by it. Formats with run-length or fax coding
    (TIFF G4, WebP lossless) can legitimately exceed any such ratio and are left to the pixel limit.
    """
    pixels = width * height
    if pixels > MAX_IMAGE_PIXELS:
        return (f"is {width}x{height} pixels, over the {MAX_IMAGE_PIXELS // 1_000_000} million pixel limit "
                "(possible decompression bomb)")
    limit = MAX_PIXELS_PER_BYTE.get(fmt or "")
    if limit is not None and pixels > RATIO_CHECK_PIXELS and pixels > size_bytes * limit:
        return (f"claims {width}x{height} pixels but holds only {size_bytes} bytes; refused as truncated or a "
                "possible decompression bomb")
    return None


def to_rgb(image: Image.Image) -> tuple[np.ndarray, tuple[str, ...]]:
    """Convert a decoded Pillow image to RGB uint8, listing what was changed."""
    mode = image.mode
    conversions: list[str] = []
    if mode == "RGB":
        return np.asarray(image, dtype=np.uint8).copy(), ()
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        array = np.asarray(image).astype(np.float64)
        high = 65535.0 if mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
        grey = np.clip(array / high * 255.0 + 0.5, 0, 255).astype(np.uint8)
        conversions.append(f"{'16-bit' if high > 255 else mode} grey scaled to 8-bit")
        conversions.append("grey expanded to RGB")
        return np.repeat(grey[:, :, None], 3, axis=2), tuple(conversions)
    if mode == "1":
        conversions.append("1-bit expanded to RGB")
    elif mode in ("L", "LA"):
        conversions.append("grey expanded to RGB")
        if mode == "LA":
            conversions.append("alpha channel dropped")
    elif mode in ("P", "PA"):
        conversions.append("palette expanded to RGB")
        if "transparency" in image.info or mode == "PA":
            conversions.append("transparency dropped")
    elif mode in ("RGBA", "RGBa"):
        conversions.append("alpha channel dropped")
    elif mode == "CMYK":
        conversions.append("CMYK converted to RGB")
    else:
        conversions.append(f"{mode} converted to RGB")
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    return rgb, tuple(conversions)


def read_image(path: str | os.PathLike[str]) -> LoadedImage:
    """Read any common image file as RGB uint8; raises SegError with one sentence on failure."""
    image = open_pil(path, what="image")
    mode = image.mode
    try:
        rgb, conversions = to_rgb(image)
    except (OSError, ValueError) as exc:
        raise SegError(f"Image {describe(path)} could not be converted to RGB ({exc}).", path=path) from None
    if rgb.ndim != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise SegError(f"Image {describe(path)} has no pixels.", path=path)
    return LoadedImage(rgb, conversions, mode)


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(height, width) from the header only, without decoding the pixels."""
    try:
        with warnings.catch_warnings():
            # The header is all we read, so a huge size is no decompression risk here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except FileNotFoundError:
        raise SegError(f"Image {describe(path)} does not exist.", path=path) from None
    except Image.DecompressionBombError:
        raise SegError(f"Image {describe(path)} is over the pixel limit (possible decompression bomb); "
                       "refused.", path=path) from None
    except (OSError, Image.UnidentifiedImageError, SyntaxError, ValueError):
        raise SegError(f"Image {describe(path)} is not a readable image file.", path=path) from None
    return height, width
