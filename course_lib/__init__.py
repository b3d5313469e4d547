"""course_lib: the helper library of the course on convolutional neural networks.

Modules, each with one job:

- ``course_lib.ops``: the teaching operators (cross-correlation, pooling, transposed
  convolution) and output-size arithmetic, written from scratch and checked against PyTorch.
- ``course_lib.models``: the networks of the book, plus ``count_parameters`` and ``layer_summary``.
- ``course_lib.data``: the datasets through torchvision, offline stand-ins, a device-resident
  fast path with batched augmentation.
- ``course_lib.train``: ``fit`` and ``evaluate`` (mixed precision, schedules, checkpoints and
  resuming, early stopping).
- ``course_lib.plot``: training curves, per-class accuracy, image grids, feature maps.
- ``course_lib.viz``: convolution, pooling and transposed convolution step by step; receptive
  fields.
- ``course_lib.profile``: the ``quick`` / ``full`` profile every chapter runs in.
- ``course_lib.scorecard``: the source documents' numbers beside this run's.
- ``course_lib.complexity``: data-complexity measures (the leave-one-out 1-NN error N3, N1, N2,
  F1) and their profile through a network's layers.
- ``course_lib.flops``: FLOP counts of a training run and run-time estimates from them.
- ``course_lib.tables``: plain-text tables for the chapters.
- ``course_lib.exercises``: writes the student notebooks in ``exercises/`` from ``solutions/``.
- ``course_lib.grading``: grades a folder of submitted notebooks in a sandbox.

Nothing happens at import time: no seeds are set, no data is downloaded.
"""

__version__ = "0.1.0"
