"""Sliders where widgets can run, the animation where they cannot."""

import sys
import types

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.viz import interactive as interactive_module  # noqa: E402
from course_lib.viz import interactive_conv, widgets_available  # noqa: E402


def test_interactive_falls_back_to_the_animation_without_ipywidgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    assert not widgets_available()
    result = interactive_conv(3, 2)
    assert type(result).__name__ == "HTML" and result.data.count("data:image/png") == 4


@pytest.mark.parametrize(
    "session, colab, backend, expected",
    [
        (None, False, "module://matplotlib_inline.backend_inline", False),  # a book build
        ("chapter.ipynb", False, "module://matplotlib_inline.backend_inline", True),  # Jupyter
        (None, True, "module://matplotlib_inline.backend_inline", True),  # Colab
        ("chapter.ipynb", False, "agg", False),  # MPLBACKEND=Agg: run for its files only
    ],
)
def test_widgets_only_with_a_kernel_and_a_front_end(monkeypatch, session, colab, backend, expected):
    import IPython

    assert not widgets_available()  # pytest: no kernel
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=object()))
    monkeypatch.setattr(interactive_module.matplotlib, "get_backend", lambda: backend)
    if session:
        monkeypatch.setenv("JPY_SESSION_NAME", session)
    else:
        monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert widgets_available() is expected


def test_interactive_sliders_update_the_steps_and_report_errors(monkeypatch):
    calls = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    box = interactive_conv(4, 3, widgets=True)
    assert calls == [1]  # Colab's widget manager switched on
    (size, kernel, padding), (stride, _, step) = (row.children for row in box.children[:2])
    message, image = box.children[2:]
    assert step.max == 3 and bytes(image.value).startswith(b"\x89PNG")
    step.value = 3
    padding.value = 1  # 4x4 output
    assert step.max == 15 and step.value == 3 and message.value == ""
    stride.value = 2
    assert step.max == 3
    padding.value, kernel.value = 0, 5  # the kernel no longer fits: a message, no exception
    assert "conv_output_size" in message.value


def test_interactive_refuses_first_values_too_long_to_animate():
    with pytest.raises(ValueError, match="64 steps"):  # even with widgets: the book animates
        interactive_conv(10, 3, widgets=True)


def test_interactive_with_fixed_x_and_k_disables_their_sliders():
    X = torch.arange(15.0).reshape(3, 5)
    box = interactive_conv(X=X, K=torch.ones(3, 3), padding=1, widgets=True)
    size, kernel, padding = box.children[0].children
    assert size.disabled and kernel.disabled and not padding.disabled
    padding.value = 0
    assert box.children[1].children[-1].max == 2  # a 1x3 output
