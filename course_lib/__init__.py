"""course_lib: the helper library of the course on convolutional neural networks.

The front door. Every chapter and exercise imports what it uses from here, in one block: the
standard library, then third-party packages, then one statement, its names sorted::

    import matplotlib.pyplot as plt
    import torch
    from torch import nn

    from course_lib import (
        Scorecard, TrainConfig, above_chance, count_parameters, edition_notice, evaluate,
        fill_defaults, fit, lenet, load_data, plot_history, reference, resolve_profile, viz,
    )  # fmt: skip

    profile = resolve_profile(COURSE_PROFILE)

Names load on first use, so ``import course_lib`` is instant and sets nothing up: no seeds are
set, no data is downloaded, not even torch is imported. The names, by the package that owns
them (a chapter never needs to know the files behind it):

- profile: ``resolve_profile``, ``fill_defaults``, ``is_smoke``, ``show_progress``, ``data_root``.
- data: ``load_data``, ``load_images``, ``edition_notice``, ``EditionNotice``, ``Augment``,
  ``NORMALIZATIONS``, ``channel_stats``, ``crop_and_flip``, ``pad``.
- models: ``lenet``, ``modern_lenet``, ``lenet5``, ``vgg``, ``vgg_block``, ``vgg11``, ``VGG11``,
  ``resnet18``, ``Residual``, ``shallow_cnn``, ``elexnet``, ``example_cnn``, ``trick_cnn``, the
  CIFAR ResNets, decoders and pretrained weights (``resnet18_cifar``, ``resnet18_decoder``,
  ``checkpoints``, ``imagenet_resnet18``, ``pytorchcv_resnet``, ...), ``count_parameters``,
  ``layer_summary``, ``layer_macs``, ``torchsummary``.
- training: ``TrainConfig``, ``fit``, ``evaluate``, ``load_weights``, ``choose_device``, the
  decoders' ``fit_decoders``, ``evaluate_decoders``, ``reconstruct``, ``save_decoders``.
- plots and visualisations: ``plot_history``, ``plot_images``, ``plot_confusion_matrix``,
  ``plot_per_class_accuracy``, ``plot_predictions``, ``plot_feature_maps``, ``plot_complexity``,
  ``plot_image_table``, ``plot_logit_pairs``; ``viz``, the module of convolution, pooling and
  transposed convolution step by step and of receptive fields.
- scorecard and findings: ``Scorecard``, ``reference``, and the rules that judge a document's
  findings (``above_chance``, ``accuracy_beats``, ``complexity_falls_through_layers``, ...).
- complexity: ``nn_error``, ``nn_errors``, ``n1``, ``n2``, ``f1``, ``complexity_profile``,
  ``classification_error``.
- tables and flops: ``format_table``; ``Flops``, ``count_flops``, ``run_flops``,
  ``estimate_minutes``.
- ops: ``ops``, the teaching operators written from scratch (``ops.corr2d``, ``ops.pool2d``,
  ``ops.trans_conv``, output sizes); ``corr2d``.
- exercises: ``forbidden`` and ``counted``, the call checks of test cells.

The packages behind the door, each with one job: ``profile``, ``data``, ``models``, ``train``,
``viz``, ``scorecard``, ``findings``, ``complexity``, ``flops``, ``tables``, ``ops``;
``exercises`` writes ``exercises/`` from ``solutions/``; ``grading`` holds the call checks.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> the package that exports it (loaded on first use).
_EXPORTS = {
    "Augment": "course_lib.data",
    "CHECKPOINTS": "course_lib.models",
    "ELEXNET_VERSIONS": "course_lib.models",
    "EditionNotice": "course_lib.data",
    "Flops": "course_lib.flops",
    "LayerSummary": "course_lib.models",
    "NORMALIZATIONS": "course_lib.data",
    "PYTORCHCV": "course_lib.models",
    "Residual": "course_lib.models",
    "Scorecard": "course_lib.scorecard",
    "TorchSummary": "course_lib.models",
    "TrainConfig": "course_lib.train",
    "Unpool": "course_lib.models",
    "VGG11": "course_lib.models",
    "above_chance": "course_lib.findings",
    "accuracy_beats": "course_lib.findings",
    "batch_norm_raises_complexity": "course_lib.findings",
    "channel_stats": "course_lib.data",
    "checkpoints": "course_lib.models",
    "choose_device": "course_lib.train",
    "class_aware_loss_raises_accuracy": "course_lib.findings",
    "classification_error": "course_lib.complexity",
    "combination_beats_single_tricks": "course_lib.findings",
    "complexity_falls_through_layers": "course_lib.findings",
    "complexity_profile": "course_lib.complexity",
    "corr2d": "course_lib.ops",
    "count_flops": "course_lib.flops",
    "count_parameters": "course_lib.models",
    "counted": "course_lib.grading",
    "crop_and_flip": "course_lib.data",
    "data_root": "course_lib.profile",
    "dropout_raises_complexity": "course_lib.findings",
    "edition_notice": "course_lib.data",
    "elexnet": "course_lib.models",
    "encoder_upto": "course_lib.models",
    "estimate_minutes": "course_lib.flops",
    "evaluate": "course_lib.train",
    "evaluate_decoders": "course_lib.train",
    "example_cnn": "course_lib.models",
    "f1": "course_lib.complexity",
    "fill_defaults": "course_lib.profile",
    "fit": "course_lib.train",
    "fit_decoders": "course_lib.train",
    "forbidden": "course_lib.grading",
    "format_table": "course_lib.tables",
    "imagenet_categories": "course_lib.models",
    "imagenet_resnet18": "course_lib.models",
    "init_cnn": "course_lib.models",
    "is_smoke": "course_lib.profile",
    "layer_macs": "course_lib.models",
    "layer_summary": "course_lib.models",
    "lenet": "course_lib.models",
    "lenet5": "course_lib.models",
    "load_data": "course_lib.data",
    "load_decoders": "course_lib.train",
    "load_images": "course_lib.data",
    "load_weights": "course_lib.train",
    "measure_orders_by_difficulty": "course_lib.findings",
    "modern_lenet": "course_lib.models",
    "mse_low_early_then_rising": "course_lib.findings",
    "n1": "course_lib.complexity",
    "n2": "course_lib.complexity",
    "nn_error": "course_lib.complexity",
    "nn_errors": "course_lib.complexity",
    "pad": "course_lib.data",
    "plot_complexity": "course_lib.viz",
    "plot_confusion_matrix": "course_lib.viz",
    "plot_feature_maps": "course_lib.viz",
    "plot_history": "course_lib.viz",
    "plot_image_table": "course_lib.viz",
    "plot_images": "course_lib.viz",
    "plot_logit_pairs": "course_lib.viz",
    "plot_per_class_accuracy": "course_lib.viz",
    "plot_predictions": "course_lib.viz",
    "pytorchcv_resnet": "course_lib.models",
    "reconstruct": "course_lib.train",
    "reconstruction_accuracy_falls_above_chance": "course_lib.findings",
    "reduced_set_more_complex": "course_lib.findings",
    "reference": "course_lib.scorecard",
    "resnet18": "course_lib.models",
    "resnet18_cifar": "course_lib.models",
    "resnet18_decoder": "course_lib.models",
    "resnet20_cifar": "course_lib.models",
    "resnet56_cifar": "course_lib.models",
    "resolve_profile": "course_lib.profile",
    "run_flops": "course_lib.flops",
    "save_decoders": "course_lib.train",
    "shallow_cnn": "course_lib.models",
    "show_progress": "course_lib.profile",
    "torchsummary": "course_lib.models",
    "train_below_test_at_exit": "course_lib.findings",
    "train_test_gap_largest_at_end": "course_lib.findings",
    "trick_cnn": "course_lib.models",
    "verdicts_are_named_classes": "course_lib.findings",
    "vgg": "course_lib.models",
    "vgg11": "course_lib.models",
    "vgg_block": "course_lib.models",
}
_MODULES = ("complexity", "data", "findings", "flops", "models", "ops", "profile", "scorecard",
            "tables", "train", "viz")  # fmt: skip

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"course_lib.{name}")
    else:
        raise AttributeError(f"module 'course_lib' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_MODULES])
