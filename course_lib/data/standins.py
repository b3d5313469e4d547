"""Stand-in datasets for machines without the real data: same shape, dtype, range and classes.

- MNIST-like sets: scikit-learn's bundled handwritten digits (real handwriting, 1,797 images of
  8x8 pixels), upscaled to a 20x20 box inside a 28x28 frame as MNIST's digits are, at a random
  offset of up to 2 pixels. The digits are split once into a training pool (1,437) and a test
  pool (360) that share no image.
- Fashion-MNIST-like sets: synthetic 28x28 silhouettes of the ten garments (a T-shirt with short
  sleeves, trousers with two legs, a dress that widens, a bag with a handle, ...), drawn light on
  black at a random size, stretch, tilt and offset, in a random tone with stripes or grain.
- CIFAR-like sets: synthetic 32x32 colour images. Each class is a shape (disc, square,
  triangle, ...) drawn at a random position and size, in a colour typical of its class, on a
  noisy background; for CIFAR-100 the class is one of 10 shapes times one of 10 colour families.
  A small CNN learns them within an epoch; augmentation and position invariance help.

Stand-ins only keep code running: results on them are not comparable with the real datasets.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
CIFAR100_CLASSES = """apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy
bridge bus butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach
couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo
keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse
mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy
porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail
snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger
tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm""".split()

DIGITS_TEST_POOL = 360  # digits held out for the stand-in's test split


def _generator(seed: int, train: bool) -> torch.Generator:
    return torch.Generator().manual_seed(2 * seed + (0 if train else 1))


def _digit_pool(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's digits as uint8 ``(n, 1, 20, 20)`` boxes and labels, one pool per split."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images).float().unsqueeze(1)  # (1797, 1, 8, 8), 0..16
    labels = torch.from_numpy(digits.target).long()
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(1797))
    order = order[DIGITS_TEST_POOL:] if train else order[:DIGITS_TEST_POOL]
    boxes = F.interpolate(images[order] / 16, size=(20, 20), mode="bilinear", antialias=True)
    return (boxes * 255).round().clamp(0, 255).to(torch.uint8), labels[order]


def digits_standin(
    n: int, *, train: bool = True, size: int = 28, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Handwritten-digit images shaped like MNIST, from scikit-learn's bundled digits.

    Args:
        n: number of images; past the pool size (1,437 train, 360 test) digits repeat at new
            offsets.
        train: draw from the training pool, else from the disjoint test pool.
        size: the frame's side (28 as MNIST); the digit box is 20/28 of it.
        seed: generation seed.

    Returns:
        ``(images, labels)``: uint8 ``(n, 1, size, size)`` white digits on black, int64 ``(n,)``.

    Example:
        >>> images, labels = digits_standin(8)
        >>> tuple(images.shape), images.dtype, int(labels.max()) <= 9
        ((8, 1, 28, 28), torch.uint8, True)
    """
    boxes, pool_labels = _digit_pool(train)
    generator = _generator(seed, train)
    repeats = math.ceil(n / len(pool_labels))
    picks = torch.cat(
        [torch.randperm(len(pool_labels), generator=generator) for _ in range(repeats)]
    )
    picks = picks[:n]
    shifts = torch.randint(-2, 3, (n, 2), generator=generator)
    frames = torch.zeros(n, 1, 28, 28, dtype=torch.uint8)
    for i, (pick, (dy, dx)) in enumerate(zip(picks.tolist(), shifts.tolist(), strict=True)):
        frames[i, :, 4 + dy : 24 + dy, 4 + dx : 24 + dx] = boxes[pick]
    if size != 28:
        from torchvision.transforms.v2.functional import resize

        frames = resize(frames, [size, size], antialias=True)
    return frames, pool_labels[picks]


# Garment outlines, one entry per Fashion-MNIST class, in the order of its labels: polygons whose
# union is the garment and polygons cut out of it (slits, buttons, a handle's opening). Coordinates
# (x right, y down) lie in [-1, 1]; the frame shows [-1.15, 1.15].
_Polygon = tuple[tuple[float, float], ...]
_GARMENTS: tuple[tuple[tuple[_Polygon, ...], tuple[_Polygon, ...]], ...] = (
    (  # T-shirt/top: short sleeves
        (((-0.3, -0.92), (-0.12, -0.8), (0.12, -0.8), (0.3, -0.92), (0.95, -0.62), (1.0, -0.18),
          (0.62, -0.12), (0.62, 0.95), (-0.62, 0.95), (-0.62, -0.12), (-1.0, -0.18),
          (-0.95, -0.62)),),
        (),
    ),
    (  # Trouser: two legs
        (((-0.48, -0.95), (0.48, -0.95), (0.55, 0.95), (0.16, 0.95), (0.0, -0.3), (-0.16, 0.95),
          (-0.55, 0.95)),),
        (),
    ),
    (  # Pullover: long sleeves held away from the body
        (((-0.28, -0.92), (0.0, -0.78), (0.28, -0.92), (0.62, -0.85), (1.0, 0.8), (0.74, 0.88),
          (0.5, -0.1), (0.5, 0.92), (-0.5, 0.92), (-0.5, -0.1), (-0.74, 0.88), (-1.0, 0.8),
          (-0.62, -0.85)),),
        (),
    ),
    (  # Dress: narrow top, wide hem
        (((-0.24, -0.95), (-0.1, -0.95), (0.0, -0.84), (0.1, -0.95), (0.24, -0.95), (0.3, -0.35),
          (0.22, -0.18), (0.75, 0.95), (-0.75, 0.95), (-0.22, -0.18), (-0.3, -0.35)),),
        (),
    ),
    (  # Coat: long, wide, sleeves along the body, open down the front
        (((-0.32, -0.96), (0.32, -0.96), (0.76, -0.84), (0.97, 0.95), (0.7, 0.95), (0.62, -0.2),
          (0.62, 0.97), (-0.62, 0.97), (-0.62, -0.2), (-0.7, 0.95), (-0.97, 0.95),
          (-0.76, -0.84)),),
        (((-0.06, -0.75), (0.06, -0.75), (0.06, 0.97), (-0.06, 0.97)),),
    ),
    (  # Sandal: a sole and crossing straps
        (((-0.95, 0.32), (0.95, 0.22), (0.95, 0.46), (-0.95, 0.56)),
         ((-0.75, 0.35), (-0.55, 0.35), (0.15, -0.3), (-0.05, -0.3)),
         ((0.15, 0.3), (0.35, 0.3), (-0.25, -0.3), (-0.45, -0.3)),
         ((-0.5, -0.32), (0.55, -0.32), (0.55, -0.16), (-0.5, -0.16)),
         ((0.55, 0.28), (0.75, 0.28), (0.7, -0.05), (0.5, -0.05))),
        (),
    ),
    (  # Shirt: collar cut deep, long sleeves, buttons
        (((-0.3, -0.95), (0.0, -0.55), (0.3, -0.95), (0.7, -0.8), (0.92, 0.85), (0.7, 0.9),
          (0.55, -0.1), (0.55, 0.95), (-0.55, 0.95), (-0.55, -0.1), (-0.7, 0.9), (-0.92, 0.85),
          (-0.7, -0.8)),),
        tuple(((-0.08, y - 0.08), (0.08, y - 0.08), (0.08, y + 0.08), (-0.08, y + 0.08))
              for y in (-0.3, 0.05, 0.4, 0.75)),
    ),
    (  # Sneaker: low, toe to the right, a dark line above the sole
        (((-0.95, 0.55), (0.95, 0.55), (0.97, 0.28), (0.35, 0.08), (0.05, -0.22), (-0.35, -0.3),
          (-0.5, -0.15), (-0.95, -0.2)),),
        (((-0.95, 0.34), (0.95, 0.34), (0.95, 0.42), (-0.95, 0.42)),),
    ),
    (  # Bag: a body and a handle with an opening
        (((-0.85, -0.35), (0.85, -0.35), (0.92, 0.9), (-0.92, 0.9)),
         ((-0.52, -0.34), (-0.4, -0.88), (0.4, -0.88), (0.52, -0.34))),
        (((-0.32, -0.34), (-0.24, -0.7), (0.24, -0.7), (0.32, -0.34)),),
    ),
    (  # Ankle boot: a shaft and a foot
        (((-0.6, -0.95), (0.2, -0.95), (0.2, 0.12), (0.88, 0.34), (0.97, 0.82), (-0.62, 0.82)),),
        (((-0.62, 0.62), (0.97, 0.62), (0.97, 0.68), (-0.62, 0.68)),),
    ),
)  # fmt: skip


def _inside(polygon: _Polygon, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Whether each point ``(x, y)`` lies inside ``polygon`` (even-odd rule)."""
    inside = torch.zeros_like(x, dtype=torch.bool)
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if y1 == y2:
            continue
        crosses = (y1 > y) != (y2 > y)
        inside ^= crosses & (x < x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    return inside


def clothing_standin(
    n: int, *, train: bool = True, size: int = 28, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Synthetic garment silhouettes shaped like Fashion-MNIST, one of its ten classes each.

    Args:
        n: number of images; classes are balanced (to within one image).
        train: the training or the test split (different random images).
        size: the frame's side (28 as Fashion-MNIST).
        seed: generation seed.

    Returns:
        ``(images, labels)``: uint8 ``(n, 1, size, size)`` light garments on black, int64 ``(n,)``.

    Example:
        >>> images, labels = clothing_standin(20)
        >>> tuple(images.shape), images.dtype, sorted(set(labels.tolist())) == list(range(10))
        ((20, 1, 28, 28), torch.uint8, True)
    """
    generator = _generator(seed, train)
    labels = (torch.arange(n) % 10)[torch.randperm(n, generator=generator)]
    rand = torch.rand(n, 9, generator=generator)
    scale_x, scale_y = 0.78 + 0.22 * rand[:, 0], 0.82 + 0.18 * rand[:, 1]
    angle = (rand[:, 2] - 0.5) * math.radians(16)
    shift_x, shift_y = (rand[:, 3] - 0.5) * 0.2, (rand[:, 4] - 0.5) * 0.2
    pixels = torch.arange(2 * size, dtype=torch.float32) + 0.5  # 2x supersampled
    grid = 1.15 * (pixels / size - 1)  # the frame's coordinates, in garment units
    cos, sin = angle.cos()[:, None, None], angle.sin()[:, None, None]
    gx = grid[None, None, :] - shift_x[:, None, None]  # (n, 1, 2 size)
    gy = grid[None, :, None] - shift_y[:, None, None]  # (n, 2 size, 1)
    x = (cos * gx + sin * gy) / scale_x[:, None, None]  # (n, 2 size, 2 size): garment frame
    y = (cos * gy - sin * gx) / scale_y[:, None, None]
    mask = torch.zeros(n, 2 * size, 2 * size, dtype=torch.bool)
    for label, (solids, holes) in enumerate(_GARMENTS):
        chosen = labels == label
        xs, ys = x[chosen], y[chosen]
        garment = torch.zeros_like(xs, dtype=torch.bool)
        for polygon in solids:
            garment |= _inside(polygon, xs, ys)
        for polygon in holes:
            garment &= ~_inside(polygon, xs, ys)
        mask[chosen] = garment
    tone = 0.5 + 0.5 * rand[:, 5, None, None]  # (n, 1, 1)
    period = 0.25 + 0.35 * rand[:, 6, None, None]  # stripe period, in garment units
    stripes = torch.where(rand[:, 7, None, None] < 0.5, y, x)
    striped = rand[:, 8, None, None] > 0.6
    pattern = 1 - 0.35 * striped * (torch.sin(stripes / period * math.tau) > 0)
    grain = 1 - 0.25 * torch.rand(n, 2 * size, 2 * size, generator=generator)
    image = mask * tone * pattern * grain  # (n, 2 size, 2 size) in [0, 1]
    image = F.avg_pool2d(image[:, None], 2)  # (n, 1, size, size)
    return (image * 255).round().to(torch.uint8), labels


def _shape_masks(shape: int, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Whether each pixel at normalised coordinates ``(u, v)`` lies inside shape ``shape``."""
    box, radius = torch.maximum(u.abs(), v.abs()), (u.square() + v.square()).sqrt()
    if shape == 0:  # disc
        return radius <= 1
    if shape == 1:  # filled square
        return box <= 0.8
    if shape == 2:  # triangle, apex up
        return (v <= 0.8) & (u.abs() <= (v + 0.8) * 0.6)
    if shape == 3:  # ring
        return (radius >= 0.55) & (radius <= 1)
    if shape == 4:  # plus
        return (box <= 1) & ((u.abs() <= 0.3) | (v.abs() <= 0.3))
    if shape == 5:  # diagonal cross
        return (box <= 0.9) & (((u - v).abs() <= 0.4) | ((u + v).abs() <= 0.4))
    if shape == 6:  # horizontal stripes
        return (box <= 0.9) & (torch.floor((v + 1) * 2.5) % 2 == 0)
    if shape == 7:  # vertical stripes
        return (box <= 0.9) & (torch.floor((u + 1) * 2.5) % 2 == 0)
    if shape == 8:  # diamond
        return u.abs() + v.abs() <= 1
    return (box >= 0.55) & (box <= 0.9)  # 9: hollow square


def _hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Colours ``(n, 3)`` in [0, 1] from hue, saturation and value ``(n,)`` each."""
    k = (torch.tensor([5.0, 3.0, 1.0]) + h[:, None] * 6) % 6  # (n, 3)
    return v[:, None] - (v * s)[:, None] * (torch.minimum(k, 4 - k).clamp(0, 1))


def _render(labels: torch.Tensor, num_classes: int, generator: torch.Generator) -> torch.Tensor:
    """Draw one 32x32 image per label; returns float ``(n, 3, 32, 32)`` in [0, 1]."""
    n = len(labels)
    shape, family = labels % 10, labels // 10
    spread = 0.7  # hue jitter, in family widths: CIFAR-100's colour families stay apart
    if num_classes == 10:  # a shape per class, and colour tendencies that overlap
        family, spread = (labels * 3) % 10, 2.5
    rand = torch.rand(n, 8, generator=generator)
    hue = (family + (rand[:, 0] - 0.5) * spread) / 10
    colour = _hsv_to_rgb(hue, 0.6 + 0.4 * rand[:, 1], 0.65 + 0.35 * rand[:, 2])  # (n, 3)
    background = _hsv_to_rgb(rand[:, 3], 0.3 * rand[:, 4], 0.1 + 0.4 * rand[:, 5])
    grid = torch.arange(32, dtype=torch.float32) + 0.5  # pixel centres
    centre = 16 + (torch.rand(n, 2, generator=generator) - 0.5) * 12  # (n, 2): y, x
    radius = (7 + 4 * rand[:, 6])[:, None, None]
    v = (grid[None, :, None] - centre[:, 0, None, None]) / radius  # (n, 32, 1)
    u = (grid[None, None, :] - centre[:, 1, None, None]) / radius  # (n, 1, 32)
    u, v = torch.broadcast_tensors(u, v)  # (n, 32, 32) each
    mask = torch.zeros(n, 32, 32, dtype=torch.bool)
    for s in range(10):
        chosen = shape == s
        mask[chosen] = _shape_masks(s, u[chosen], v[chosen])
    image = torch.where(mask[:, None], colour[:, :, None, None], background[:, :, None, None])
    noise_level = 0.04 + 0.06 * rand[:, 7, None, None, None]  # (n, 1, 1, 1)
    return (image + noise_level * torch.randn(n, 3, 32, 32, generator=generator)).clamp(0, 1)


def shapes_standin(
    n: int, num_classes: int = 10, *, train: bool = True, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Synthetic class-structured 32x32 colour images shaped like CIFAR-10 or CIFAR-100.

    Args:
        n: number of images; classes are balanced (to within one image).
        num_classes: 10, or 100 (10 shapes times 10 colour families).
        train: the training or the test split (different random images).
        seed: generation seed.

    Returns:
        ``(images, labels)``: uint8 ``(n, 3, 32, 32)``, int64 ``(n,)``.

    Example:
        >>> images, labels = shapes_standin(20)
        >>> tuple(images.shape), images.dtype, sorted(set(labels.tolist())) == list(range(10))
        ((20, 3, 32, 32), torch.uint8, True)
    """
    if num_classes not in (10, 100):
        raise ValueError(f"num_classes must be 10 or 100, got {num_classes}")
    generator = _generator(seed, train)
    labels = torch.arange(n) % num_classes
    labels = labels[torch.randperm(n, generator=generator)]
    images = torch.empty(n, 3, 32, 32, dtype=torch.uint8)
    for start in range(0, n, 4096):  # chunks keep the float temporaries small
        chunk = _render(labels[start : start + 4096], num_classes, generator)
        images[start : start + 4096] = (chunk * 255).round().to(torch.uint8)
    return images, labels
