"""course_lib.models.pretrained: a pytorchcv state dict loads strictly; pytorchcv's CIFAR-100
ResNets from a file, through pytorchcv, or (quick profile) random weights announced; a clear
error in full."""

import sys
import types

import pytest
import torch

from course_lib.models import resnet20_cifar, resnet56_cifar
from course_lib.models.pretrained import PYTORCHCV, load_pretrained, pytorchcv_resnet


def fake_pytorchcv(monkeypatch, get_model) -> None:
    """Install a stand-in ``pytorchcv.model_provider`` whose ``get_model`` is the one given."""
    provider = types.ModuleType("pytorchcv.model_provider")
    provider.get_model = get_model
    monkeypatch.setitem(sys.modules, "pytorchcv", types.ModuleType("pytorchcv"))
    monkeypatch.setitem(sys.modules, "pytorchcv.model_provider", provider)


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

    fake_pytorchcv(monkeypatch, get_model)
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

    fake_pytorchcv(monkeypatch, get_model)
    _, pretrained = pytorchcv_resnet("resnet20_cifar100", profile="quick", root=tmp_path,
                                     offline=False)  # fmt: skip
    assert not pretrained and "download failed: ConnectionError" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="download failed"):
        pytorchcv_resnet("resnet20_cifar100", profile="full", root=tmp_path, offline=False)


def pytorchcv_shapes(units_per_stage, num_classes=100):
    """Key -> shape of pytorchcv's resnet20/56_cifar100 state dict, from Ho's Appendices A, B."""
    shapes = {}

    def conv_block(prefix, in_channels, out_channels, k):  # ConvBlock: conv, bn[, activ]
        shapes[f"{prefix}.conv.weight"] = (out_channels, in_channels, k, k)
        for name in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.bn.{name}"] = (out_channels,)
        shapes[f"{prefix}.bn.num_batches_tracked"] = ()

    conv_block("features.init_block", 3, 16, 3)
    width = 16
    for stage, out in enumerate((16, 32, 64), start=1):
        for unit in range(1, units_per_stage + 1):
            prefix = f"features.stage{stage}.unit{unit}"
            conv_block(f"{prefix}.body.conv1", width, out, 3)
            conv_block(f"{prefix}.body.conv2", out, out, 3)
            if width != out:
                conv_block(f"{prefix}.identity_conv", width, out, 1)
            width = out
    shapes["output.weight"], shapes["output.bias"] = (num_classes, 64), (num_classes,)
    return shapes


@pytest.mark.parametrize(
    "builder, units, count", [(resnet20_cifar, 3, 278_324), (resnet56_cifar, 9, 861_620)]
)
def test_a_pytorchcv_state_dict_loads_strictly(builder, units, count, tmp_path):
    shapes = pytorchcv_shapes(units)
    not_parameters = ("running_mean", "running_var", "num_batches_tracked")
    assert (
        sum(torch.Size(s).numel() for k, s in shapes.items() if not k.endswith(not_parameters))
        == count
    )
    torch.manual_seed(0)
    state_dict = {k: torch.randn(s) if s else torch.tensor(7) for k, s in shapes.items()}
    model = builder()
    model.load_state_dict(state_dict, strict=True)
    torch.save(state_dict, tmp_path / "weights.pth")
    model = load_pretrained(builder(), tmp_path / "weights.pth")
    key = "features.stage3.unit1.identity_conv.conv.weight"
    torch.testing.assert_close(model.get_parameter(key), state_dict[key])
    assert model.features.final_pool.kernel_size == 8


def test_load_pretrained_explains_how_to_get_the_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="pip install pytorchcv") as error:
        load_pretrained(resnet56_cifar(), tmp_path / "resnet56.pth")
    assert 'get_model("resnet56_cifar100", pretrained=True)' in str(error.value)
    torch.save(resnet20_cifar().state_dict(), tmp_path / "resnet20.pth")
    with pytest.raises(ValueError, match="do not fit this model"):
        load_pretrained(resnet56_cifar(), tmp_path / "resnet20.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(ValueError, match="state dict"):
        load_pretrained(resnet20_cifar(), tmp_path / "list.pth")
