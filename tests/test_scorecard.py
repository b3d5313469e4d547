import pytest
import torch

from course_lib.scorecard import Scorecard, compare, reference


def test_reference_reads_the_documents_numbers():
    assert reference("d2l_homework.outputs.pool2d_max") == [[4.0, 5.0], [7.0, 8.0]]
    assert reference("assignment.task_1.parameters_3_conv_layers_and_2_fc") == 390410


def test_unknown_reference_says_what_exists():
    with pytest.raises(KeyError, match="'nope' is not under d2l_homework.*outputs"):
        reference("d2l_homework.nope")


def test_compare_tensors_lists_and_tolerance():
    assert compare([[19, 25], [37, 43]], torch.tensor([[19.0, 25.0], [37.0, 43.0]])) == "reproduced"
    assert compare([1.0183, -0.9588], [1.0, -1.0], tolerance=0.1) == "reproduced"
    assert compare([1.0183, -0.9588], [1.0, -1.0]) == "differs by up to 0.0412"
    assert compare([8, 8], [8, 8, 1]).startswith("shape differs")
    assert compare(1.0, float("nan")) == "not a number"
    assert compare({"stride": 1, "padding": 1}, {"padding": 1, "stride": 1}) == "reproduced"
    assert compare({"stride": 1}, {"padding": 1}).startswith("shape differs")


def test_scorecard_shows_profile_hardware_and_status():
    card = Scorecard("full", hardware="CPU: test")
    card.add("kernel", [1.0183, -0.9588], torch.tensor([0.98, -1.01]), "homework_d2l", 0.1)
    card.add("accuracy", 92.35, 80.0, "labreport_cifar10")
    card.add("test accuracy", None, 0.91, "zhang2023dive")
    text = str(card)
    assert "reproduced (within 0.1)" in text and "differs by up to 12.35" in text
    assert "profile: full; hardware: CPU: test" in text
    html = card._repr_html_()
    assert "| - | 0.91 | not reported by the source |" in text
    assert html.count("<tr>") == 4 and "lab report on CIFAR-10" in html


def test_a_qualitative_check_shows_the_statement_and_the_verdict():
    card = Scorecard("full", hardware="CPU: test")
    card.add_check("MSE shape", "low, then rising", [0.1, 0.9], True, "bjorklund2024decoding")
    card.add_check("accuracy", "about 20%", [55.0], False, "bjorklund2024decoding")
    text = str(card)
    assert "MSE shape | low, then rising | [0.1, 0.9] | reproduced | Björklund" in text
    assert "| about 20% | [55] | not reproduced |" in text
    with pytest.raises(TypeError, match="holds must be a bool"):
        card.add_check("x", "y", 1, 1, "z")


def test_measured_rows_are_not_comparable_in_quick_or_on_standins(monkeypatch):
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    for profile, standin, why in [("quick", False, "quick profile"),
                                  ("full", True, "stand-in data"),
                                  ("quick", True, "quick profile, stand-in data")]:  # fmt: skip
        card = Scorecard(profile, standin=standin, hardware="CPU")
        card.add("accuracy", 92.35, 92.35, "labreport_cifar10")
        card.add_check("MSE rises", "low, then rising", [1, 2], True, "bjorklund2024decoding")
        card.add("parameters", 11_173_962, 11_173_962, "labreport_cifar10", exact=True)
        card.add_check("shape", "(1, 6, 28, 28)", [1, 6, 28, 28], False, "d2l", exact=True)
        statuses = [row[3] for row in card.rows]
        assert statuses == [f"not comparable ({why})"] * 2 + ["reproduced", "not reproduced"]
        assert "run the full edition" in card._repr_html_()
    card = Scorecard("full", hardware="CPU")
    card.add("accuracy", 92.35, 90.0, "labreport_cifar10")
    card.add_check("MSE rises", "low, then rising", [1, 2], False, "bjorklund2024decoding")
    assert [row[3] for row in card.rows] == ["differs by up to 2.35", "not reproduced"]
    monkeypatch.setenv("COURSE_SMOKE", "1")
    card = Scorecard("full", hardware="CPU")
    card.add("accuracy", 92.35, 92.35, "labreport_cifar10")
    assert card.rows[0][3] == "not comparable (smoke run)"
