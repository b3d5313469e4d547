import pytest
import torch

from course_lib.profile import one_thread_on_cpu, resolve_profile


def test_argument_wins_over_environment(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    assert resolve_profile("quick") == "quick"
    assert "parameters cell" in capsys.readouterr().out


def test_environment_variable(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", " Full ")
    assert resolve_profile() == "full"
    out = capsys.readouterr().out
    assert "environment variable" in out and "COURSE_PROFILE = 'quick'" in out


def test_default_follows_the_gpu(monkeypatch, capsys):
    import torch

    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_profile() == "quick"
    assert "no CUDA GPU" in capsys.readouterr().out
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_profile(verbose=False) == "full"


def test_unknown_profile_is_rejected(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="unknown profile 'fast'.*environment"):
        resolve_profile()


def test_fill_defaults_fills_only_none_and_keeps_zero():
    from course_lib.profile import fill_defaults

    quick = {"epochs": 3, "val_size": 500, "train_size": lambda p: 6 * p["epochs"]}
    full = {"epochs": 15, "val_size": 5000, "train_size": 60_000}
    given = {"epochs": None, "val_size": 0, "train_size": None}
    assert fill_defaults("quick", given, quick=quick, full=full) == {
        "epochs": 3, "val_size": 0, "train_size": 18}  # fmt: skip
    assert fill_defaults("full", {**given, "epochs": 2}, quick=quick, full=full) == {
        "epochs": 2, "val_size": 0, "train_size": 60_000}  # fmt: skip
    with pytest.raises(KeyError, match="the full table has no default for lr"):
        fill_defaults("quick", {"lr": None}, quick={"lr": 0.1}, full={})
    with pytest.raises(ValueError, match="unknown profile"):
        fill_defaults("fast", given, quick=quick, full=full)


def test_smoke_switch_limits_batches_and_sizes(monkeypatch):
    from course_lib.profile import SMOKE_BATCHES, SMOKE_IMAGES, is_smoke, limit_batches, smoke_size

    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    assert not is_smoke() and list(limit_batches(range(5))) == [0, 1, 2, 3, 4]
    assert smoke_size(None) is None and smoke_size(60_000) == 60_000
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert is_smoke() and list(limit_batches(range(5))) == list(range(SMOKE_BATCHES))
    assert smoke_size(None) == smoke_size(60_000) == SMOKE_IMAGES and smoke_size(0) == 0


def test_progress_switch(monkeypatch):
    from course_lib.profile import show_progress

    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    assert show_progress()
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    assert not show_progress()


def test_one_thread_on_cpu_sets_one_thread_on_the_cpu_only_and_restores_them():
    before = torch.get_num_threads()
    with one_thread_on_cpu(torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with one_thread_on_cpu(torch.device("meta")):  # another device: the threads stay
        assert torch.get_num_threads() == before


def test_messages_show_the_home_folder_as_a_tilde(tmp_path):
    from pathlib import Path

    from course_lib.profile import shown_path

    assert shown_path(Path.home() / ".cache" / "course_lib") == "~/.cache/course_lib"
    assert shown_path(tmp_path) == str(tmp_path)  # not under the home folder: as it is
