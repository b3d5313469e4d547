import pytest

from course_lib.profile import resolve_profile


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
