"""The two profiles every chapter runs in, ``full`` (the documents' settings, on a GPU) and
``quick`` (the same code on small data and few epochs, minutes on a laptop CPU), and the
switches that change how a run behaves without changing its code:

- ``COURSE_PROFILE``: ``quick`` or ``full`` (see :func:`resolve_profile`);
- ``COURSE_SMOKE=1``: a smoke run, which proves that a chapter's settings run to the end: at
  most ``SMOKE_BATCHES`` optimizer steps per epoch and evaluation batches, at most
  ``SMOKE_EPOCHS`` epochs per call of ``fit`` (the schedule is still the full run's), small
  stand-in splits of the real datasets' shapes, and random weights where pretrained ones are
  missing;
- ``COURSE_PROGRESS=0``: no progress bars (the book's build sets it);
- ``COURSE_DATA``: the data folder (see :func:`data_root`);
- ``COURSE_OFFLINE=1``: no downloads (see :func:`is_offline`).

Each setting is read and validated here, and only here. One more run setting lives here, so that
every package can use it without importing another: :func:`one_thread_on_cpu`, the thread count
of small operations on the CPU.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import torch

PROFILES = ("quick", "full")
SMOKE_BATCHES = 2  # optimizer steps per epoch, and evaluation batches, in a smoke run
SMOKE_IMAGES = 512  # the most images of any split in a smoke run
SMOKE_EPOCHS = 2  # the most epochs one call of fit trains in a smoke run

T = TypeVar("T")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def data_root(root: str | Path | None = None) -> Path:
    """The data folder: ``root``, else ``$COURSE_DATA``, else the user's cache folder.

    Example:
        >>> data_root("/tmp/data")
        PosixPath('/tmp/data')
    """
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get("COURSE_DATA"):
        return Path(os.environ["COURSE_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "course_lib" / "data"


def shown_path(path: str | Path) -> str:
    """``path`` as a message shows it: the home folder written ``~``, so that a page built on one
    machine does not show that machine's user.

    Example:
        >>> shown_path(Path.home() / ".cache" / "x") == "~/.cache/x"
        True
    """
    path, home = Path(path), Path.home()
    return "~/" + str(path.relative_to(home)) if path.is_relative_to(home) else str(path)


def is_offline(offline: bool | None = None) -> bool:
    """True when downloads are forbidden: ``offline``, else ``COURSE_OFFLINE`` set to 1/true/yes."""
    if offline is not None:
        return bool(offline)
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def is_smoke() -> bool:
    """True when ``COURSE_SMOKE`` is set to 1/true/yes/on: a smoke run (see the module)."""
    return _flag("COURSE_SMOKE")


def show_progress() -> bool:
    """False when ``COURSE_PROGRESS=0``: progress bars stay off (as in the built book)."""
    return os.environ.get("COURSE_PROGRESS", "").strip().lower() not in ("0", "false", "no", "off")


def limit_batches(batches: Iterable[T]) -> Iterable[T]:
    """``batches`` as they are, or only the first ``SMOKE_BATCHES`` of them in a smoke run."""
    return itertools.islice(batches, SMOKE_BATCHES) if is_smoke() else batches


def last_epoch(start: int, num_epochs: int) -> int:
    """The epoch a call of ``fit`` that starts at ``start`` ends at: ``num_epochs``, or at most
    ``SMOKE_EPOCHS`` later in a smoke run."""
    return min(num_epochs, start + SMOKE_EPOCHS) if is_smoke() else num_epochs


def smoke_size(n: int | None) -> int | None:
    """A split's size: ``n`` as it is, or at most ``SMOKE_IMAGES`` in a smoke run (None: all)."""
    if not is_smoke():
        return n
    return SMOKE_IMAGES if n is None else min(n, SMOKE_IMAGES)


def check_profile(profile: str) -> None:
    """Raise ``ValueError`` unless ``profile`` is ``"quick"`` or ``"full"``."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose 'quick' or 'full'")


def resolve_profile(profile: str | None = None, *, verbose: bool = True) -> str:
    """Return the profile to run in: ``"quick"`` or ``"full"``.

    The first of these that is set wins: the ``profile`` argument (a notebook's
    ``COURSE_PROFILE`` parameter), the ``COURSE_PROFILE`` environment variable, and
    otherwise ``"full"`` when a CUDA GPU is present and ``"quick"`` when not.

    Args:
        profile: ``"quick"``, ``"full"`` or ``None`` to decide as above.
        verbose: print which profile was chosen, why, and how to change it.

    Returns:
        ``"quick"`` or ``"full"``.

    Example:
        >>> resolve_profile("quick", verbose=False)
        'quick'
    """
    if profile is not None:
        reason = "set in the notebook's parameters cell"
    elif os.environ.get("COURSE_PROFILE"):
        profile = os.environ["COURSE_PROFILE"]
        reason = "set by the environment variable COURSE_PROFILE"
    else:
        import torch

        has_gpu = torch.cuda.is_available()
        profile = "full" if has_gpu else "quick"
        reason = "a CUDA GPU was found" if has_gpu else "no CUDA GPU was found"
    profile = profile.strip().lower()
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} ({reason}); choose 'quick' or 'full'")
    if verbose:
        other = "full" if profile == "quick" else "quick"
        print(
            f"Profile: {profile} ({reason}). To change it, set COURSE_PROFILE = {other!r} "
            f"in the parameters cell, or the environment variable COURSE_PROFILE={other}."
        )
        if is_smoke():
            print(
                f"Smoke run (COURSE_SMOKE=1): at most {SMOKE_BATCHES} steps per epoch and "
                f"evaluation batches, {SMOKE_EPOCHS} epochs per training run and {SMOKE_IMAGES} "
                "images per split; it proves that the settings run, and its numbers mean nothing."
            )
    return profile


def fill_defaults(
    profile: str,
    given: Mapping[str, Any],
    *,
    quick: Mapping[str, Any],
    full: Mapping[str, Any],
) -> dict[str, Any]:
    """Fill the parameters left at ``None`` from the profile's table; keep every other value.

    A value that is set, ``0`` and ``False`` included, is kept as it is. A table entry may be a
    function of the parameters filled so far (in the order of ``given``), for defaults that
    depend on another parameter.

    Args:
        profile: ``"quick"`` or ``"full"``.
        given: the parameters as the notebook's parameters cell set them.
        quick: the ``quick`` profile's default of every parameter in ``given``.
        full: the ``full`` profile's default of every parameter in ``given``.

    Returns:
        A new dict with the keys of ``given``, in its order.

    Example:
        >>> fill_defaults("quick", {"epochs": None, "val_size": 0, "train_size": None},
        ...               quick={"epochs": 3, "val_size": 500, "train_size": lambda p: 8 * 100},
        ...               full={"epochs": 15, "val_size": 5000, "train_size": None})
        {'epochs': 3, 'val_size': 0, 'train_size': 800}
    """
    check_profile(profile)
    missing = {
        name: sorted(set(given) - set(table)) for name, table in (("quick", quick), ("full", full))
    }
    for name, keys in missing.items():
        if keys:
            raise KeyError(f"the {name} table has no default for {', '.join(keys)}")
    table = quick if profile == "quick" else full
    filled: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            value = table[key]
            if isinstance(value, Callable):  # type: ignore[arg-type]
                value = value(filled)
        filled[key] = value
    return filled


@contextmanager
def one_thread_on_cpu(device: torch.device) -> Iterator[None]:
    """Run the enclosed batch preparation on one CPU thread when ``device`` is the CPU.

    Its operations are small and bound by memory: a second thread gains little, and on a busy
    machine (a shared CI runner, a laptop doing other work) the threads of every operation wait
    for each other, which makes them several times slower. ``DataLoader`` workers, too, run one
    thread each. The training step outside keeps all of torch's threads.

    Example:
        >>> import torch
        >>> with one_thread_on_cpu(torch.device("cpu")):
        ...     torch.get_num_threads()
        1
    """
    if device.type != "cpu":
        yield
        return
    import torch  # here, not at the top: reading a setting needs no torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
