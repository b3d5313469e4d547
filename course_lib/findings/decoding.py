"""Björklund's findings on decoding a classifier's checkpoints: reconstruction error, the
classifier's verdicts on reconstructions and on decoded logits, the class-aware loss."""

from __future__ import annotations

from collections.abc import Sequence

from course_lib.findings._values import Names, Values, finite
from course_lib.findings.classification import above_chance


def mse_low_early_then_rising(
    mse_per_checkpoint: Values, baseline_mse: float, last_low: int = 3
) -> bool:
    """Björklund (Figure 12): decoder MSE low through checkpoint 3, rising abruptly after it.

    ``mse_per_checkpoint``: test MSE per pixel of the decoders of checkpoints 1, 2, ... in the
    units of the normalised images; ``baseline_mse``: the MSE of predicting the mean training
    image, e.g. ``(X_test - X_train.mean(0)).pow(2).mean()``. Holds when every decoder beats that
    baseline (one that does not has not converged), every MSE up to ``last_low`` is below every
    later one, and the step after ``last_low`` is the largest step up to there.

    >>> mse_low_early_then_rising([0.004, 0.01, 0.03, 0.2, 0.3, 0.4], baseline_mse=0.9)
    True
    >>> mse_low_early_then_rising([2.09, 2.17, 38.6, 17044, 17767, 12754], baseline_mse=0.9)
    False
    """
    m, b = finite(mse_per_checkpoint), finite(baseline_mse)
    if m is None or b is None or not 1 <= last_low < len(m) or not 0 <= min(m) <= max(m) < b[0]:
        return False
    early, later = m[:last_low], m[last_low:]
    steps = [y - x for x, y in zip(m, m[1 : last_low + 1], strict=False)]
    return max(early) < min(later) and steps[-1] > max(steps[:-1], default=0.0)


def reconstruction_accuracy_falls_above_chance(
    accuracy_per_checkpoint: Values,
    accuracy_on_originals: float,
    num_classes: int,
    high_upto: int = 2,
    low_from: int = 4,
    high_fraction: float = 0.8,
    later_factor: float = 1.5,
) -> bool:
    """Björklund (Figure 16): accuracy on reconstructions high early, lower later, above chance.

    ``accuracy_per_checkpoint``: the classifier's accuracy (fraction) on the reconstructions from
    checkpoints 1, 2, ...; ``accuracy_on_originals``: on the original images. Holds when the
    classifier is at least twice chance on the originals (a constant classifier is not), on
    checkpoints 1..``high_upto`` reaches ``high_fraction`` of that, from ``low_from`` on stays
    below every early value and at least ``later_factor`` times chance (the thesis: about 20%
    on 10 classes, "better than random guessing"). Checkpoint 3 is left free, as the thesis does.

    >>> reconstruction_accuracy_falls_above_chance([0.88, 0.85, 0.6, 0.2, 0.21, 0.19], 0.93, 10)
    True
    >>> reconstruction_accuracy_falls_above_chance([0.1] * 6, 0.1, 10)
    False
    """
    a = finite(accuracy_per_checkpoint, unit=True)
    o = finite(accuracy_on_originals, unit=True)
    if a is None or o is None or not 1 <= high_upto < low_from <= len(a):
        return False
    early, later = a[:high_upto], a[low_from - 1 :]
    return (
        above_chance(o[0], num_classes)
        and min(early) >= high_fraction * o[0]
        and max(later) < min(early)
        and all(above_chance(x, num_classes, later_factor) for x in later)
    )


def _verdict_names(verdicts: Names) -> list[str] | None:
    """The class names as a list; None when empty or when any entry is not a non-empty name."""
    names = list(verdicts.tolist() if hasattr(verdicts, "tolist") else verdicts)
    return names if names and all(isinstance(v, str) and v for v in names) else None


def verdicts_are_named_classes(
    verdicts: Names, named_classes: Names, accuracy_on_originals: float, num_classes: int
) -> bool:
    """Björklund (Figure 17): decoded one-hot logits are classified as exactly the named classes.

    ``verdicts``: the classifier's class name for each decoded image; ``named_classes``: those the
    thesis names (frog and ship). Holds when the set of verdicts equals the named set and the
    classifier is at least twice chance on the original images (a constant one is not).

    >>> verdicts_are_named_classes(["ship", "frog", "ship"], ["frog", "ship"], 0.93, 10)
    True
    >>> verdicts_are_named_classes(["ship"] * 3, ["frog", "ship"], 0.93, 10)
    False
    """
    names = _verdict_names(verdicts)
    return (
        names is not None
        and set(names) == set(named_classes)
        and above_chance(accuracy_on_originals, num_classes)
    )


def verdicts_collapse_onto_few_classes(
    verdicts: Sequence[str],
    raised: Sequence[str],
    accuracy_on_originals: float,
    num_classes: int,
    max_classes: int = 2,
) -> bool:
    """Björklund (Figure 17): the verdicts fall on a few classes, not on the class raised.

    ``verdicts`` and ``raised``: for each decoded image, the classifier's class name and the class
    whose logit was raised. Holds when the verdicts take at most ``max_classes`` distinct
    classes, fewer than the classes raised, and the classifier is at least twice chance on the
    originals. The weaker form of the rule above, for a collapse onto other classes.

    >>> verdicts_collapse_onto_few_classes(["ship", "frog", "ship"], ["cat", "dog", "car"], 0.9, 10)
    True
    >>> verdicts_collapse_onto_few_classes(["cat", "dog", "car"], ["cat", "dog", "car"], 0.9, 10)
    False
    """
    names, targets = _verdict_names(verdicts), _verdict_names(raised)
    if names is None or targets is None or len(names) != len(targets):
        return False
    distinct = len(set(names))
    return (
        distinct <= max_classes
        and distinct < len(set(targets))
        and above_chance(accuracy_on_originals, num_classes)
    )


def class_aware_loss_raises_accuracy(
    accuracy_mse: Values, accuracy_with_ce: Values, accuracy_on_originals: float, num_classes: int
) -> bool:
    """Björklund (section 4): with the class in the loss, reconstructions are classified better.

    Accuracy (fraction) on reconstructions from the same checkpoints, decoders trained on MSE
    and on MSE + c * CE; holds when the second is higher at each and the classifier is at least
    twice chance on the originals.

    >>> class_aware_loss_raises_accuracy([0.2, 0.18], [0.55, 0.5], 0.9, 10)
    True
    >>> class_aware_loss_raises_accuracy([0.1, 0.1], [0.1, 0.1], 0.1, 10)
    False
    """
    a, b = finite(accuracy_mse, unit=True), finite(accuracy_with_ce, unit=True)
    if a is None or b is None or len(a) != len(b):
        return False
    return all(y > x for x, y in zip(a, b, strict=True)) and above_chance(
        accuracy_on_originals, num_classes
    )
