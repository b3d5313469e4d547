"""The GPU benchmark runs end to end (on the CPU, at a tiny size); tests never time anything."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_benchmark_runs_on_the_cpu_at_a_tiny_size():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--tiny", "--device", "cpu"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("device: ")
    assert "CIFAR ResNet-18, 128 images" in lines[1] and "TFLOP per epoch" in lines[1]
    assert lines[2].startswith("nn_error at n = 1,000, D = 4,704")
    assert "the whole study's measurements" in lines[3]
