"""Ho's figure: one line per epoch, batch norm marked, the end-to-end error at the right."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.complexity import complexity_profile  # noqa: E402
from course_lib.models import resnet20_cifar  # noqa: E402
from course_lib.viz import plot_complexity  # noqa: E402


def test_plot_complexity_draws_one_line_per_epoch_and_marks_batch_norm():
    torch.manual_seed(7)
    model = resnet20_cifar(num_classes=3)
    X, y = torch.randn(9, 3, 32, 32), torch.arange(9) % 3
    profile = complexity_profile(model, X, y, layers=["features.init_block.conv",
                                                      "features.init_block.bn"])  # fmt: skip
    fig, ax = plot_complexity({1: profile, 2: profile}, {1: 0.5, 2: 0.4})
    lines = [line for line in ax.get_lines() if line.get_label() in ("epoch 1", "epoch 2")]
    assert len(lines) == 2 and list(lines[0].get_ydata()) == [100 * p.error for p in profile]
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "end-to-end"
    assert any(line.get_label() == "after batch norm" for line in ax.get_lines())
    _, ax = plot_complexity(profile, tick_label=lambda p: p.layer if p.kind == "Conv2d" else None)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["features.init_block.conv"] * 2
    with pytest.raises(ValueError, match="same positions"):
        plot_complexity({1: profile, 2: profile[:2]})
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_complexity({})
