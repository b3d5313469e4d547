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
- ``course_lib.exercises``: writes the student notebooks in ``exercises/`` from ``solutions/``.

Nothing happens at import time: no seeds are set, no data is downloaded.
"""

__version__ = "0.1.0"
