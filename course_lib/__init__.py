"""course_lib: the helper library of the course on convolutional neural networks.

Modules, each with one job:

- ``course_lib.ops``: the teaching operators (cross-correlation, pooling, transposed
  convolution) and output-size arithmetic, written from scratch and checked against PyTorch.
- ``course_lib.models``: the networks of the book, plus ``count_parameters`` and ``layer_summary``.
- ``course_lib.profile``: the ``quick`` / ``full`` profile every chapter runs in.
- ``course_lib.exercises``: writes the student notebooks in ``exercises/`` from ``solutions/``.

Nothing happens at import time: no seeds are set, no data is downloaded.
"""

__version__ = "0.1.0"
