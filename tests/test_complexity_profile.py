"""course_lib.complexity.profile: the positions, their order and their representations, memory
groups, Ho's subsets, evaluation mode and dropout, on LeNet-5 and ResNet-20."""

import pytest
import torch
from torch import nn

from course_lib.complexity import nn_error
from course_lib.complexity.profile import classification_error, complexity_profile
from course_lib.models import lenet5, resnet20_cifar

LENET_LAYERS = ["conv1", "tanh1", "pool1", "conv2", "tanh2", "pool2", "conv3", "tanh3"]
LENET_LAYERS += ["linr1", "tanh4", "linr2"]


def digits(n=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    X = torch.rand(n, 1, 32, 32, generator=g) + y[:, None, None, None] * 0.05
    return X, y


def recorder():
    """A measure that keeps every representation it is given (and returns 0)."""
    seen = []

    def measure(R, y, device=None):
        seen.append(R.clone())
        return 0.0

    return seen, measure


def test_lenet_positions_dims_and_errors_match_a_manual_pass():
    torch.manual_seed(0)
    model, (X, y) = lenet5(), digits()
    profile = complexity_profile(model, X, y)
    assert [p.label for p in profile] == [f"{n} {s}" for n in LENET_LAYERS for s in ("in", "out")]
    assert [p.dim for p in profile[::2]] == [1024, 4704, 4704, 1176, 1600, 1600, 400, 120, 120,
                                             84, 84]  # fmt: skip
    assert profile[1].kind == "Conv2d" and profile[3].kind == "Tanh"
    # By hand: the input, then the output of every layer of the Sequential.
    expected, R = [nn_error(X, y)], X
    with torch.no_grad():
        for name, layer in model.named_children():
            R = layer(R)
            if name != "flatten":
                expected.append(nn_error(R, y))
    got = [profile[0].error] + [p.error for p in profile[1::2]]
    assert got == expected
    assert all(
        a.error == b.error for a, b in zip(profile[1::2], profile[2::2], strict=False)
    )  # out = next in


def test_memory_groups_and_batches_change_nothing():
    torch.manual_seed(1)
    model, (X, y) = lenet5(), digits(n=50)
    whole = complexity_profile(model, X, y)
    pieces = complexity_profile(model, X, y, batch_size=7, max_bytes=50 * 4 * 1200)
    assert whole == pieces


def test_each_representation_is_computed_once_and_correctly():
    torch.manual_seed(2)
    model, (X, y) = lenet5(), digits(n=20)
    seen, measure = recorder()
    complexity_profile(model, X, y, measure=measure, batch_size=8)
    assert len(seen) == 12  # the input and 11 outputs: each "in" is the previous "out", or
    # for linr1, a flattened view of it
    with torch.no_grad():
        torch.testing.assert_close(seen[2], model[:2](X).flatten(1), rtol=0, atol=0)  # tanh1 out
        torch.testing.assert_close(seen[-1], model(X))  # batches of 8: rounding may differ


def test_ho_subsets_are_interleaved_and_averaged():
    torch.manual_seed(3)
    model, (X, y) = lenet5(), digits(n=61)
    mean = complexity_profile(model, X, y, layers=["conv1"], subsets=3)
    parts = [complexity_profile(model, X[i::3][:20], y[i::3][:20], layers=["conv1"])
             for i in range(3)]  # fmt: skip
    for k, p in enumerate(mean):
        assert p.error == pytest.approx(sum(part[k].error for part in parts) / 3, abs=1e-15)


def test_resnet_order_batch_norm_and_inplace_relu():
    torch.manual_seed(4)
    model = resnet20_cifar(num_classes=4)
    X, y = torch.randn(12, 3, 32, 32), torch.arange(12) % 4
    model.train()
    seen, measure = recorder()
    profile = complexity_profile(model, X, y, measure=measure)
    assert model.training and all(m.training for m in model.modules())  # mode restored
    labels = [p.label for p in profile]
    fired = []  # the order in which the layers run, seen by hooks of our own
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(m.children())]
    handles = [m.register_forward_pre_hook(lambda m, a, n=n: fired.append(n)) for n, m in leaves]
    with torch.no_grad():
        model.eval()(X[:1])  # in training mode this would update the batch-norm statistics
    for handle in handles:
        handle.remove()
    assert labels[::2] == [f"{n} in" for n in fired]
    assert labels[-1] == "output out" and labels[0] == "features.init_block.conv in"
    assert sum(p.kind == "BatchNorm2d" for p in profile) == 2 * (1 + 9 * 2 + 2)
    # The init block's batch norm output is captured before its in-place ReLU overwrites it.
    block = model.features.init_block
    with torch.no_grad():
        before_relu = block.bn(block.conv(X)).flatten(1)
    assert any(torch.equal(R, before_relu) for R in seen)
    assert any(torch.equal(R, before_relu.relu()) for R in seen)


def test_dropout_is_off_unless_asked_and_randomness_is_contained():
    torch.manual_seed(5)
    model, (X, y) = lenet5(dropout=True), digits(n=40)
    eval_mode = complexity_profile(model, X, y)
    d = [p for p in eval_mode if p.layer == "drop1"]
    assert d[0].error == d[1].error  # in evaluation mode dropout is the identity
    state = torch.get_rng_state()
    active = complexity_profile(model, X, y, dropout_active=True, seed=1)
    assert torch.equal(state, torch.get_rng_state())
    assert active == complexity_profile(model, X, y, dropout_active=True, seed=1)
    seen, measure = recorder()
    complexity_profile(model, X, y, layers=["tanh1", "drop1"], measure=measure, dropout_active=True)
    assert len(seen) == 3  # tanh1's input and output; drop1's input is tanh1's output
    assert (seen[2] == 0).float().mean() > 0.1 and (seen[1] == 0).float().mean() < 0.01


def test_classification_error():
    torch.manual_seed(6)
    model, (X, y) = lenet5(), digits(n=30)
    with torch.no_grad():
        expected = (model(X).argmax(1) != y).float().mean().item()
    assert classification_error(model, X, y, batch_size=7) == pytest.approx(expected)


def test_user_mistakes():
    model, (X, y) = lenet5(), digits(n=10)
    with pytest.raises(ValueError, match="no modules"):
        complexity_profile(model, X, y, layers=["conv9"])
    with pytest.raises(ValueError, match="subsets"):
        complexity_profile(model, X, y, subsets=6)
    with pytest.raises(ValueError, match="labels"):
        complexity_profile(model, X, y[:5])


def test_a_module_called_twice_gets_two_positions():
    relu = nn.ReLU()
    model = nn.Sequential(nn.Linear(4, 4), relu, nn.Linear(4, 4), relu)
    X, y = torch.randn(10, 4), torch.arange(10) % 2
    labels = [p.label for p in complexity_profile(model, X, y)]
    assert labels == ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out", "1#2 in", "1#2 out"]
