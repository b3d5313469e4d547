"""The source documents' qualitative findings, as rules that compare a run with itself.

Each rule returns a plain ``bool``: False on NaN, infinite or empty input and on the degenerate
run of its kind (constant classifier, chance accuracy, diverged decoder, all-equal values).
Errors and accuracies are fractions in [0, 1]; a value outside raises ``ValueError``.
Modules, by the findings they hold:

- ``classification``: ``chance_level`` and ``above_chance``, which every rule uses against
  degenerate runs, and the rules of one network beating others (the assignment, the lab report);
- ``complexity``: Ho's findings on the leave-one-out 1-NN error through a network's layers;
- ``decoding``: Björklund's findings on decoders of a classifier's checkpoints.

Example:
    >>> from course_lib.findings import above_chance
    >>> above_chance(0.35, num_classes=10)
    True
"""

from course_lib.findings._values import Names, Values
from course_lib.findings.classification import (
    above_chance,
    accuracy_beats,
    chance_level,
    combination_beats_single_tricks,
)
from course_lib.findings.complexity import (
    batch_norm_raises_complexity,
    complexity_falls_through_layers,
    dropout_raises_complexity,
    measure_orders_by_difficulty,
    reduced_set_more_complex,
    train_below_test_at_exit,
    train_test_gap_largest_at_end,
)
from course_lib.findings.decoding import (
    class_aware_loss_raises_accuracy,
    mse_low_early_then_rising,
    reconstruction_accuracy_falls_above_chance,
    verdicts_are_named_classes,
    verdicts_collapse_onto_few_classes,
)

__all__ = [
    "Names",
    "Values",
    "above_chance",
    "accuracy_beats",
    "batch_norm_raises_complexity",
    "chance_level",
    "class_aware_loss_raises_accuracy",
    "combination_beats_single_tricks",
    "complexity_falls_through_layers",
    "dropout_raises_complexity",
    "measure_orders_by_difficulty",
    "mse_low_early_then_rising",
    "reconstruction_accuracy_falls_above_chance",
    "reduced_set_more_complex",
    "train_below_test_at_exit",
    "train_test_gap_largest_at_end",
    "verdicts_are_named_classes",
    "verdicts_collapse_onto_few_classes",
]
