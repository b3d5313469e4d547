"""course_lib.train.metrics: ``evaluate`` against a direct computation."""

import json
import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.train import (
    evaluate,
)


def test_evaluate_matches_a_direct_computation(tiny):
    X, y = tiny.blobs(40, num_classes=4)
    y[y == 3] = 0  # class 3 has no examples
    model = tiny.cnn(num_classes=4)
    model.train()
    metrics = evaluate(model, tiny.Loader(X, y, batch_size=16, shuffle=False), num_classes=4)
    assert model.training  # evaluate puts the mode back
    logits = model.eval()(X)
    predicted = logits.argmax(1)
    assert metrics.loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert metrics.accuracy == pytest.approx((predicted == y).float().mean().item())
    expected = torch.zeros(4, 4, dtype=torch.long)
    for true, guess in zip(y.tolist(), predicted.tolist(), strict=True):
        expected[true, guess] += 1
    assert torch.equal(metrics.confusion_matrix, expected) and metrics.num_examples == 40
    for k in range(3):
        expected_k = (predicted[y == k] == k).float().mean().item()
        assert metrics.per_class_accuracy[k] == pytest.approx(expected_k)
    assert math.isnan(metrics.per_class_accuracy[3])
    assert json.loads(json.dumps(metrics.to_dict()))["confusion_matrix"] == expected.tolist()
