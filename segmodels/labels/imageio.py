"""Reading images of any common format and bit depth as H x W x 3 uint8 RGB.

Grey, 16-bit, RGBA, palette, CMYK and 1-bit inputs are converted on load, and an image with an EXIF
orientation is turned upright (as every viewer and `cv2.imread` show it); each conversion is reported
(`LoadedImage.conversions`), so the GUI and CLI can tell the user instead of hiding it. Sizes read from
the header alone (`image_size`) are the upright sizes too, so labels are compared with what is shown.
Every failure becomes a SegError naming the file: unreadable, empty, truncated (`TruncatedFile`), not an
image, not a regular file (a FIFO or a link to a device is never opened), or larger than the pixel limit
(a decompression bomb is refused before it is decoded).
"""
from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

from segmodels.atomic import require_regular_file
from segmodels.errors import SegError, TruncatedFile, capitalised, describe

#: Largest image accepted, in pixels (about 23000 x 23000). Beyond it a file is refused as a
#: possible decompression bomb rather than decoded into gigabytes of memory.
MAX_IMAGE_PIXELS: int = 512 * 1024 * 1024
# Pillow's own guard (a warning above the limit, an error above twice it) set once for the process:
# swapping it around each open raced between threads (thumbnails, workers, the GUI).
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

#: Images above this many pixels must hold at least one byte per MAX_PIXELS_PER_BYTE pixels
#: (see `oversize_reason`); smaller images are never checked.
RATIO_CHECK_PIXELS: int = 512 * 512  # the ratio bounds hold at any size; tiny images decode fast anyway
MAX_PIXELS_PER_BYTE: dict[str, int] = {"PNG": 16384, "JPEG": 1024}

#: Plain 8-bit RGB or grey PNGs of at least this many pixels are decoded by OpenCV (see
#: `_read_large_plain_png`); smaller files and everything else by Pillow.
FAST_PNG_MIN_PIXELS: int = 4 * 1024 * 1024

ImageFile.LOAD_TRUNCATED_IMAGES = False
#: The EXIF Orientation tag (PIL.ExifTags.Base.Orientation; that module costs ~9 ms to import at start-up)
EXIF_ORIENTATION = 0x0112

#: EXIF orientations whose upright image has width and height swapped (a quarter turn, with or
#: without a mirror); 2, 3 and 4 only mirror or turn by 180 degrees.
SWAPS_AXES: frozenset[int] = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class LoadedImage:
    rgb: np.ndarray                      # H x W x 3 uint8, upright
    conversions: tuple[str, ...] = field(default_factory=tuple)
    source_mode: str = "RGB"
    orientation: int = 1                 # the EXIF orientation the file declared (1 = stored upright)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return int(self.rgb.shape[0]), int(self.rgb.shape[1])


def open_pil(path: str | os.PathLike[str], *, what: str = "image", decode: bool = True) -> Image.Image:
    """Open and fully decode a file with Pillow, turning every failure into one sentence. With
    `decode=False` only the header is read and checked (size limits); the caller closes the image."""
    path = Path(path)
    if require_regular_file(path, what).st_size == 0:  # a FIFO or /dev/zero is refused, never read
        raise SegError(f"{capitalised(what)} {describe(path)} is empty (0 bytes).", path=path)
    with _one_sentence(path, what):
        image = Image.open(path)
        width, height = image.size
        reason = oversize_reason(image.format, width, height, path.stat().st_size)
        if reason:
            raise SegError(f"{capitalised(what)} {describe(path)} {reason}.", path=path)
        if decode:
            image.load()
    return image


@contextmanager
def _one_sentence(path: Path, what: str) -> Iterator[None]:
    """Pillow's failures while opening or decoding `path`, each as one SegError sentence naming it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SegError(f"{capitalised(what)} {describe(path)} is over the pixel limit "
                       "(possible decompression bomb); refused.", path=path) from None
    except SegError:
        raise
    except Image.UnidentifiedImageError:
        raise SegError(not_an_image(path, what), path=path) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if isinstance(exc, (EOFError, SyntaxError)) or decoder_says_truncated(exc):
            raise TruncatedFile(f"{capitalised(what)} {describe(path)} is truncated or corrupt.", path=path) from None
        raise SegError(f"{capitalised(what)} {describe(path)} is unreadable ({exc}).", path=path) from None


def not_an_image(path: Path, what: str) -> str:
    """The sentence for a file Pillow cannot identify: what it is when it is an annotation file of
    another format (a labelme or COCO .json, a CVAT .zip: segmodels/formats/foreign.py), with the
    command that imports it; else "not a readable image file"."""
    from segmodels.formats.foreign import foreign_predicate  # only on this failure path

    noun = "a label image" if what == "label" else "an image"
    predicate = foreign_predicate(path, noun) or "is not a readable image file"
    return f"{capitalised(what)} {describe(path)} {predicate}."


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8) an opened, not yet decoded image declares; 1 when it declares none,
    or a damaged or out-of-range one.

    The one place segstudio reads the orientation: `read_image`, `image_size`, the fast PNG path and
    the thumbnails ask it before decoding, so they agree on the upright size and pixels. It reads
    what Pillow's `ImageOps.exif_transpose` reads (EXIF in JPEG, WebP, TIFF and PNG eXIf, a PNG's
    "Raw profile type exif" text, an XMP tiff:Orientation), but only from the header: Pillow's PNG
    reader would otherwise decode every pixel to look for an eXIf chunk after the image data, and a
    header-only size could then disagree with the decoded image. Pillow caches what is read here,
    so `upright` later turns the image by this same value.
    """
    try:
        # Image.getexif, not the PNG reader's override, which decodes the file first (see above).
        value = Image.Image.getexif(image).get(EXIF_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, KeyError, IndexError, TypeError):
        return 1  # a damaged EXIF block must not make an otherwise good image unreadable
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(image: Image.Image, orientation: int) -> Image.Image:
    """`image` turned upright by Pillow (`ImageOps.exif_transpose`), given `exif_orientation(image)`
    as read before decoding; the image itself when that is 1."""
    if orientation == 1:
        return image
    from PIL import ImageOps  # only for a turned image: its import costs the window's first paint ~3 ms

    return ImageOps.exif_transpose(image)


def orientation_conversion(orientation: int) -> str:
    """How turning an image upright is reported, beside "16-bit grey scaled to 8-bit" and the rest."""
    how = {3: "rotated", 6: "rotated", 8: "rotated", 2: "mirrored", 4: "mirrored"}.get(orientation,
                                                                                      "mirrored and rotated")
    return f"{how} upright by its EXIF orientation ({orientation})"


def upright_note(orientation: int) -> str:
    """Words to put after an image's upright size in a size-mismatch sentence, so that a label made
    for the stored, unturned pixels (by a segstudio before orientation was honoured) explains itself."""
    return "" if orientation == 1 else f" once turned upright by its EXIF orientation ({orientation})"


def decoder_says_truncated(exc: BaseException) -> bool:
    """Whether a Pillow decoding error means the data ends early or is damaged. Pillow raises plain
    OSError/ValueError for that ("image file is truncated", "broken data stream"), so its wording is
    the only signal; this is the one place it is read, and callers raise `TruncatedFile` on it."""
    text = str(exc)
    return "truncated" in text.lower() or "broken" in text


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


def _read_large_plain_png(path: str | os.PathLike[str]) -> LoadedImage | None:
    """A large 8-bit RGB or grey PNG decoded by OpenCV, or None to let Pillow read the file.

    For an 8192 x 8192 RGB PNG OpenCV takes about 2.9 s where Pillow's decode plus its bytes-to-array
    copies take 4 s. Pillow still reads the header first, so the pixel limit and the bytes-per-pixel
    check refuse a decompression bomb before any decoding. PNG only, and only when Pillow would not
    convert anything: PNG decoding is lossless, so both readers give the same pixels, whereas
    libjpeg fills a truncated JPEG with grey where Pillow refuses it. On any decoding trouble this
    returns None and Pillow's reader gives its one-sentence error. A PNG that declares an EXIF
    orientation (an eXIf chunk) is left to Pillow too, so one reader turns it upright (`upright`);
    OpenCV is told to ignore orientation, so an eXIf after the pixels, which the header check does
    not see, cannot turn it either.
    """
    with open_pil(path, what="image", decode=False) as header:
        width, height = header.size
        rawmode = header.tile[0].args if len(header.tile) == 1 else None
        plain = (header.format == "PNG" and header.mode in ("RGB", "L") and rawmode == header.mode
                 and not getattr(header, "is_animated", False) and width * height >= FAST_PNG_MIN_PIXELS
                 and exif_orientation(header) == 1)
        mode = header.mode
    if not plain:
        return None
    import cv2  # only for large PNGs; the GUI loads it off its main thread

    rgb_flag = getattr(cv2, "IMREAD_COLOR_RGB", None)  # OpenCV >= 4.10; older ones decode BGR
    colour = cv2.IMREAD_COLOR if rgb_flag is None else rgb_flag
    flags = (colour if mode == "RGB" else cv2.IMREAD_GRAYSCALE) | cv2.IMREAD_IGNORE_ORIENTATION
    decoded = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)
    if decoded is None or decoded.shape[:2] != (height, width):
        return None
    if mode == "RGB" and rgb_flag is None:
        cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB, dst=decoded)
    if mode == "L":
        return LoadedImage(cv2.cvtColor(decoded, cv2.COLOR_GRAY2RGB), ("grey expanded to RGB",), "L")
    return LoadedImage(decoded, (), "RGB")


def read_image(path: str | os.PathLike[str]) -> LoadedImage:
    """Read any common image file as upright RGB uint8; raises SegError with one sentence on failure."""
    fast = _read_large_plain_png(path)
    if fast is not None:
        return fast
    image = open_pil(path, what="image", decode=False)
    orientation = exif_orientation(image)  # before decoding: see exif_orientation
    with _one_sentence(Path(path), "image"):
        image.load()
    mode = image.mode
    try:
        rgb, conversions = to_rgb(upright(image, orientation))
    except (OSError, ValueError) as exc:
        raise SegError(f"Image {describe(path)} could not be converted to RGB ({exc}).", path=path) from None
    if rgb.ndim != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise SegError(f"Image {describe(path)} has no pixels.", path=path)
    if orientation != 1:
        conversions = (orientation_conversion(orientation), *conversions)
    return LoadedImage(rgb, conversions, mode, orientation)


@dataclass(frozen=True)
class ImageHeader:
    height: int       # upright, as `read_image` returns the pixels
    width: int
    orientation: int  # the EXIF orientation (1 = stored upright)


def read_header(path: str | os.PathLike[str]) -> ImageHeader:
    """The upright size and the EXIF orientation from the header only, without decoding the pixels."""
    require_regular_file(path, "image")
    try:
        with warnings.catch_warnings():
            # The header is all we read, so a huge size is no decompression risk here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = _stored_size(image)
                fmt = image.format
                orientation = exif_orientation(image)
        reason = oversize_reason(fmt, width, height, Path(path).stat().st_size)
        if reason:
            raise SegError(f"Image {describe(path)} {reason}.", path=path)
    except FileNotFoundError:
        raise SegError(f"Image {describe(path)} does not exist.", path=path) from None
    except Image.DecompressionBombError:
        raise SegError(f"Image {describe(path)} is over the pixel limit (possible decompression bomb); "
                       "refused.", path=path) from None
    except (OSError, Image.UnidentifiedImageError, SyntaxError, ValueError):
        raise SegError(not_an_image(Path(path), "image"), path=path) from None
    if orientation in SWAPS_AXES:
        width, height = height, width
    return ImageHeader(height, width, orientation)


def _stored_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) of the pixels as stored, before any orientation. Pillow 13's TIFF reader
    already reports the upright size, and turns the pixels as it decodes them; the TIFF tags hold the
    stored size whether or not a Pillow version does that, so the upright size here never depends on it."""
    tags = getattr(image, "tag_v2", None)
    if image.format == "TIFF" and tags is not None and 256 in tags and 257 in tags:  # ImageWidth, ImageLength
        return int(tags[256]), int(tags[257])
    return image.size


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(height, width) of the upright image, from the header only (see `read_header`)."""
    header = read_header(path)
    return header.height, header.width
