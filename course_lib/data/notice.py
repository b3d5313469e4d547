"""The notice an experiment page opens with when it does not run the full edition."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from course_lib.data.datasets import DatasetSpec, data_root, get_spec, is_offline
from course_lib.profile import check_profile, is_smoke, smoke_size

# A file that torchvision reads for each dataset: when it is there, the real data are used.
_MARKERS = {
    "mnist": "MNIST/raw/train-images-idx3-ubyte",
    "fashion_mnist": "FashionMNIST/raw/train-images-idx3-ubyte",
    "cifar10": "cifar-10-batches-py/data_batch_1",
    "cifar100": "cifar-100-python/train",
}


def has_real_files(spec: DatasetSpec, root: Path) -> bool:
    """True when the real dataset's files are in the data folder ``root``."""
    return (root / _MARKERS[spec.name]).is_file()


@dataclass(frozen=True)
class EditionNotice:
    """What a page says at its top about the run it shows; a warning box in notebooks."""

    title: str
    text: str

    def __str__(self) -> str:
        return f"{self.title}. {self.text}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return (
            '<div class="admonition warning"><p class="admonition-title">'
            f"{html.escape(self.title)}</p><p>{html.escape(self.text)}</p></div>"
        )


def edition_notice(
    profile: str,
    dataset: str,
    images: Mapping[str, int],
    *,
    root: str | Path | None = None,
    offline: bool | None = None,
) -> EditionNotice | None:
    """The notice for a run of ``profile`` on ``dataset``, or None for the full edition.

    Args:
        profile: ``"quick"`` or ``"full"``.
        dataset: the dataset the page trains or measures on, e.g. ``"cifar10"``.
        images: how many images of each split the run uses, e.g. ``{"training": 2000}``.
        root: the data folder (see ``data_root``).
        offline: forbid downloads; None reads ``COURSE_OFFLINE``.

    Returns:
        An ``EditionNotice`` (it shows as a warning box in a notebook), or None in ``full``
        outside a smoke run.

    Example:
        >>> notice = edition_notice("quick", "cifar10", {"training": 2000, "test": 500},
        ...                         root="/nonexistent", offline=True)
        >>> print(notice)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Quick edition: not the source's results. This page ran in the quick profile on 2,000
        training and 500 test stand-in images (synthetic class-structured 32x32 colour images)
        in place of CIFAR-10...
    """
    check_profile(profile)
    if profile == "full" and not is_smoke():
        return None
    spec, folder = get_spec(dataset), data_root(root)
    counts = [f"{smoke_size(n):,} {split}" for split, n in images.items() if n]
    listed = ", ".join(counts[:-1]) + " and " + counts[-1] if len(counts) > 1 else counts[0]
    if has_real_files(spec, folder):
        what = f"{listed} images of {spec.title}"
    elif is_offline(offline):
        what = f"{listed} stand-in images ({spec.standin_kind}) in place of {spec.title}"
    else:
        what = (
            f"{listed} images of {spec.title}, downloaded now (or, if the download fails, "
            f"stand-in images: {spec.standin_kind})"
        )
    how = (
        "To run the full edition, use a GPU (on Colab: Runtime > Change runtime type) and set "
        'COURSE_PROFILE = "full" in the parameters cell, or the environment variable '
        "COURSE_PROFILE=full; it downloads the real data."
    )
    if is_smoke():
        return EditionNotice(
            "Smoke run: its numbers mean nothing",
            f"This page ran the {profile} settings with at most a few steps per epoch, on "
            f"{what}. It only shows that the code runs to the end.",
        )
    return EditionNotice(
        "Quick edition: not the source's results",
        f"This page ran in the quick profile on {what}, with small models or few epochs. "
        f"Its numbers say nothing about {spec.title} or about the source documents' results; "
        f"they show how the code runs and which way the curves go. {how}",
    )
