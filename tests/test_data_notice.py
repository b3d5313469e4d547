"""course_lib.data.notice: the notice a page opens with when it is not the full edition."""

import pytest

pytestmark = pytest.mark.usefixtures("no_downloads")


def test_edition_notice_says_profile_standin_and_how_to_run_full(
    tmp_path, monkeypatch, write_mnist
):
    from course_lib.data import edition_notice

    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    notice = edition_notice("quick", "mnist", {"training": 1200, "test": 200})
    assert "quick profile" in str(notice) and "1,200 training and 200 test stand-in" in str(notice)
    assert "scikit-learn's handwritten digits" in str(notice) and "COURSE_PROFILE" in str(notice)
    assert '<div class="admonition warning">' in notice._repr_html_()
    assert edition_notice("full", "mnist", {"training": 60_000}) is None
    write_mnist(tmp_path, "MNIST")
    notice = edition_notice("quick", "mnist", {"training": 1200}, root=tmp_path)
    assert "1,200 training images of MNIST" in str(notice) and "stand-in" not in str(notice)
    monkeypatch.setenv("COURSE_SMOKE", "1")
    notice = str(edition_notice("full", "mnist", {"training": 60_000, "validation": 0}))
    assert "Smoke run" in notice and "512 training stand-in images" in notice
