"""``python -m dlcore``: the demo prints both gradients and they agree."""

import subprocess
import sys


def test_the_demo_runs_and_its_gradients_agree():
    result = subprocess.run([sys.executable, "-m", "dlcore"], capture_output=True, text=True,
                            timeout=120, check=True)
    assert "dloss/dw by backward()" in result.stdout
    assert "dloss/dw by finite differences" in result.stdout
    assert "gradcheck(loss_of, w): passed" in result.stdout
