"""Image tables and logit scatter plots of the decoding chapters."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.viz.reconstructions import plot_image_table, plot_logit_pairs  # noqa: E402


def test_image_table_labels_rows_columns_and_marks_wrong_captions():
    images = torch.zeros(2, 3, 3, 4, 4)
    captions = [["cat", "dog", "cat"], ["ship", "ship", "frog"]]
    wrong = [[False, True, False], [False, False, True]]
    fig, axes = plot_image_table(
        images, captions, row_labels=["cat", "ship"], column_labels=["original", "CP 1", "CP 2"],
        wrong=wrong, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25),
    )  # fmt: skip
    assert axes.shape == (2, 3)
    assert [ax.get_title() for ax in axes[0]] == ["original", "CP 1", "CP 2"]
    assert axes[1, 0].get_ylabel() == "ship" and axes[1, 2].get_xlabel() == "frog"
    assert axes[0, 1].xaxis.label.get_color() == "red"
    assert axes[0, 0].xaxis.label.get_color() == "black"
    shown = axes[0, 0].get_images()[0].get_array()
    assert shown.shape == (4, 4, 3) and float(shown.max()) == pytest.approx(0.5)  # un-normalised
    plt.close(fig)


def test_image_table_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"\(rows, columns, 3, H, W\)"):
        plot_image_table(torch.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="row_labels has 1 entries for 2"):
        plot_image_table(torch.zeros(2, 1, 3, 4, 4), row_labels=["a"])
    with pytest.raises(ValueError, match="both mean and std"):
        plot_image_table(torch.zeros(1, 1, 3, 4, 4), mean=(0, 0, 0))


def test_logit_pairs_colour_the_two_classes():
    logits, labels = torch.randn(30, 3), torch.arange(30) % 3
    splits = {"validation": (logits, labels), "training": (logits, labels)}
    fig, axes = plot_logit_pairs(splits, [(0, 1), (1, 2)], ["a", "b", "c"])
    assert axes.shape == (2, 2)
    assert axes[1, 1].get_xlabel() == "logit of b (training)"
    labels_shown = [t.get_text() for t in axes[0, 0].get_legend().get_texts()]
    assert labels_shown == ["other classes", "a", "b"]
    assert len(axes[0, 0].collections[1].get_offsets()) == 10  # the images of class a
    plt.close(fig)
