"""course_lib.complexity.precision: full float32 while representations and distances are
computed."""

import torch

from course_lib.complexity.precision import _backends, full_precision


def test_full_precision_disables_reduced_precision_and_restores_it():
    backends = _backends()
    before = [b.fp32_precision for b in backends]
    with full_precision():
        assert all(b.fp32_precision == "ieee" for b in backends)
        assert not torch.is_autocast_enabled("cpu")
    assert [b.fp32_precision for b in backends] == before
