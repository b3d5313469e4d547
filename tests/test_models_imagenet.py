"""The ImageNet ResNet-18: weights from a file, the cache or a download; random only in quick."""

from urllib.error import URLError

import pytest
import torch
from torch import nn
from torchvision.models import resnet18

from course_lib.models import imagenet
from course_lib.models.imagenet import WeightsNotFoundError, imagenet_categories, imagenet_resnet18
from course_lib.models.summary import count_parameters


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty hub cache: the weight file's place, and no download possible."""
    path = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    monkeypatch.setattr(imagenet, "default_weights_path", lambda: path)

    def no_network(*args, **kwargs):
        raise URLError("no network in tests")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    return path


def saved_weights(path):
    torch.manual_seed(0)
    state_dict = resnet18().state_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state_dict, path)
    return state_dict


def test_quick_offline_says_so_and_keeps_random_weights(cache, capsys):
    model, pretrained = imagenet_resnet18(10, profile="quick", offline=True)
    message = capsys.readouterr().out
    assert not pretrained
    assert "not loaded: offline" in message and "random weights" in message
    assert str(cache) in message and "resnet18-f37072fd.pth" in message
    assert model.fc.out_features == 10
    assert count_parameters(model) == 11_689_512 - 513_000 + 5_130
    assert model(torch.zeros(2, 3, 224, 224)).shape == (2, 10)


@pytest.mark.parametrize("offline", [True, False])
def test_full_without_weights_is_an_error_that_says_how_to_get_them(cache, offline):
    with pytest.raises(WeightsNotFoundError) as error:
        imagenet_resnet18(10, profile="full", offline=offline)
    text = str(error.value)
    assert "download.pytorch.org/models/resnet18-f37072fd.pth" in text
    assert str(cache) in text and "weights_path" in text
    assert ("offline" if offline else "download") in text
    assert isinstance(error.value, FileNotFoundError)


def test_quick_online_when_the_download_fails_says_why(cache, capsys):
    _, pretrained = imagenet_resnet18(10, profile="quick", offline=False)
    assert not pretrained and "download" in capsys.readouterr().out


def test_weights_load_from_the_cache_then_a_new_head(cache, capsys):
    state_dict = saved_weights(cache)
    model, pretrained = imagenet_resnet18(3, profile="full", offline=True)
    assert pretrained and "loaded from" in capsys.readouterr().out
    torch.testing.assert_close(model.conv1.weight, state_dict["conv1.weight"])
    running_var = state_dict["layer4.1.bn2.running_var"]
    torch.testing.assert_close(model.layer4[1].bn2.running_var, running_var)
    assert isinstance(model.fc, nn.Linear) and model.fc.out_features == 3
    whole, _ = imagenet_resnet18(None, profile="full", offline=True)
    torch.testing.assert_close(whole.fc.weight, state_dict["fc.weight"])


def test_an_explicit_path_is_used_and_must_exist(cache, tmp_path):
    state_dict = saved_weights(tmp_path / "mine.pth")
    model, pretrained = imagenet_resnet18(10, profile="full", weights_path=tmp_path / "mine.pth")
    assert pretrained
    torch.testing.assert_close(model.layer1[0].conv1.weight, state_dict["layer1.0.conv1.weight"])
    with pytest.raises(WeightsNotFoundError, match="no weight file at"):
        imagenet_resnet18(10, profile="quick", weights_path=tmp_path / "missing.pth")


def test_a_download_is_used(cache, monkeypatch):
    torch.manual_seed(1)
    state_dict = resnet18().state_dict()
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", lambda *a, **k: state_dict)
    model, pretrained = imagenet_resnet18(10, profile="full", offline=False)
    assert pretrained
    torch.testing.assert_close(model.conv1.weight, state_dict["conv1.weight"])


def test_bad_arguments_and_wrong_files(cache, tmp_path):
    with pytest.raises(ValueError, match="unknown profile"):
        imagenet_resnet18(10, profile="fast")
    with pytest.raises(ValueError, match="num_classes"):
        imagenet_resnet18(0, profile="quick", offline=True)
    torch.save(nn.Linear(2, 2).state_dict(), tmp_path / "other.pth")
    with pytest.raises(ValueError, match="do not fit"):
        imagenet_resnet18(10, profile="quick", weights_path=tmp_path / "other.pth")


def test_categories():
    categories = imagenet_categories()
    assert len(categories) == 1000 and categories[281] == "tabby"
