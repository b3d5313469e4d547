"""course_lib.models.pretrained: pytorchcv's CIFAR-100 ResNets from a file, through pytorchcv,
or (quick profile) random weights announced; a clear error in full."""

import sys
import types

import pytest
import torch

from course_lib.models import resnet20_cifar, resnet56_cifar
from course_lib.models.pretrained import PYTORCHCV, pytorchcv_resnet


def saved(tmp_path, builder, file):
    torch.manual_seed(0)
    model = builder()
    (tmp_path / "pytorchcv").mkdir(exist_ok=True)
    torch.save(model.state_dict(), tmp_path / "pytorchcv" / file)
    return model


@pytest.mark.parametrize("name, builder", [("resnet20_cifar100", resnet20_cifar),
                                           ("resnet56_cifar100", resnet56_cifar)])  # fmt: skip
def test_pytorchcv_file_in_the_data_folder_is_loaded(tmp_path, name, builder):
    original = saved(tmp_path, builder, PYTORCHCV[name][1])
    model, pretrained = pytorchcv_resnet(name, profile="full", root=tmp_path, offline=True)
    assert pretrained
    for key, value in original.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)


def test_an_explicit_path_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="no weight file"):
        pytorchcv_resnet("resnet20_cifar100", profile="quick", path=tmp_path / "x.pth")


def test_full_profile_says_which_file_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no pytorchcv cache there
    with pytest.raises(FileNotFoundError) as error:
        pytorchcv_resnet("resnet56_cifar100", profile="full", root=tmp_path, offline=True)
    message = str(error.value)
    assert (
        "resnet56_cifar100-2488-d65f53b1.pth" in message and str(tmp_path / "pytorchcv") in message
    )
    assert "releases/download/v0.0.181/" in message and "pip install pytorchcv" in message


def test_quick_profile_announces_random_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    model, pretrained = pytorchcv_resnet("resnet20_cifar100", profile="quick", root=tmp_path,
                                         offline=True)  # fmt: skip
    assert not pretrained and model.output.out_features == 100
    assert "using random weights" in capsys.readouterr().out


def test_online_weights_come_through_pytorchcv(tmp_path, monkeypatch):
    """A stand-in for the pytorchcv package (no network here): its get_model is called with
    the data folder as root, and its weights end up in our network."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    torch.manual_seed(1)
    theirs, calls = resnet20_cifar(), []

    def get_model(name, pretrained, root):
        calls.append((name, pretrained, root))
        return theirs

    provider = types.ModuleType("pytorchcv.model_provider")
    provider.get_model = get_model
    monkeypatch.setitem(sys.modules, "pytorchcv", types.ModuleType("pytorchcv"))
    monkeypatch.setitem(sys.modules, "pytorchcv.model_provider", provider)
    model, pretrained = pytorchcv_resnet("resnet20_cifar100", profile="full", root=tmp_path,
                                         offline=False)  # fmt: skip
    assert pretrained and calls == [("resnet20_cifar100", True, str(tmp_path / "pytorchcv"))]
    assert torch.equal(model.output.weight, theirs.output.weight)


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown network"):
        pytorchcv_resnet("resnet18_cifar10", profile="quick")


def test_a_failed_download_is_announced_in_quick_an_error_in_full(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def get_model(name, pretrained, root):
        raise ConnectionError("no network")

    provider = types.ModuleType("pytorchcv.model_provider")
    provider.get_model = get_model
    monkeypatch.setitem(sys.modules, "pytorchcv", types.ModuleType("pytorchcv"))
    monkeypatch.setitem(sys.modules, "pytorchcv.model_provider", provider)
    _, pretrained = pytorchcv_resnet("resnet20_cifar100", profile="quick", root=tmp_path,
                                     offline=False)  # fmt: skip
    assert not pretrained and "download failed: ConnectionError" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="download failed"):
        pytorchcv_resnet("resnet20_cifar100", profile="full", root=tmp_path, offline=False)
