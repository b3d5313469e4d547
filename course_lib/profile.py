"""The two profiles every chapter runs in: ``full`` (the documents' settings, on a GPU) and
``quick`` (the same code on small data and few epochs, minutes on a laptop CPU)."""

from __future__ import annotations

import os

PROFILES = ("quick", "full")


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
    return profile
