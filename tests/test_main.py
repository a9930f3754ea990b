"""``python -m dlcore``: the engine check, a digits model trained, saved and reloaded."""

import re
import subprocess
import sys


def test_the_main_demo_checks_gradients_trains_and_reloads():
    result = subprocess.run([sys.executable, "-m", "dlcore"], capture_output=True, text=True,
                            timeout=300, check=True)
    output = result.stdout
    assert "by backward()" in output and "by finite differences" in output
    largest = float(re.search(r"largest difference: (\S+)", output)[1])
    assert largest < 1e-6
    accuracy = float(re.search(r"test accuracy (\S+)%", output)[1])
    assert accuracy >= 95.0
    assert "predictions identical" in output
    assert "jupyter lab notebooks/" in output
    assert result.stderr == ""
