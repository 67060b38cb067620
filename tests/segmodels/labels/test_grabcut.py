"""GrabCut on synthetic images: a box around a bright disc finds the disc; a negative click
removes a region; a box on a large image stays bounded by the working size."""
from __future__ import annotations

import cv2
import numpy as np

from segmodels.labels.grabcut import Prompt, grabcut_mask, normalised_box
from support.labels import disc_scene

scene = disc_scene


def placed(shape, result):
    out = np.zeros(shape, bool)
    y0, x0, mask = result
    out[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]] = mask
    return out


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_box_around_a_disc_gives_the_disc():
    image, disc = scene()
    found = placed(disc.shape, grabcut_mask(image, Prompt(normalised_box((220, 270), (80, 130)))))
    assert iou(found, disc) > 0.9


def test_negative_click_removes_a_region():
    image, _ = scene(discs=(((150, 150), 40), ((150, 260), 40)))
    prompt = Prompt((90, 90, 211, 321))
    both = placed(image.shape[:2], grabcut_mask(image, prompt))
    assert both[150, 150] and both[150, 260]
    refined = placed(image.shape[:2], grabcut_mask(image, prompt.with_click((150, 260), positive=False)))
    assert refined[150, 150] and refined[120:180, 230:290].sum() < 0.05 * both[120:180, 230:290].sum()


def test_large_box_is_worked_at_bounded_size_and_scaled_back():
    image, disc = scene()
    big = cv2.resize(image, (1600, 1200), interpolation=cv2.INTER_NEAREST)
    big_disc = cv2.resize(disc.astype(np.uint8), (1600, 1200), interpolation=cv2.INTER_NEAREST).astype(bool)
    y0, x0, mask = grabcut_mask(big, Prompt((320, 520, 880, 1080)), work_side=128)
    assert mask.shape == (min(880 + 16, 1200) - (320 - 16), 1080 + 16 - (520 - 16))
    assert iou(placed(big_disc.shape, (y0, x0, mask)), big_disc) > 0.9


def test_empty_or_outside_box_gives_nothing():
    image, _ = scene()
    assert grabcut_mask(image, Prompt((10, 10, 11, 50))) is None
    assert grabcut_mask(image, Prompt((500, 500, 600, 600))) is None
