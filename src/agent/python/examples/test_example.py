# Run: /usr/bin/python3 -m pytest -p mlcore_agent.pytest_plugin test_example.py
import sys
import pytest
from mlcore_agent import MlcoreClient


@pytest.mark.mlcore(seed=1, clock="fixed:1767225600")
def test_prediction_round_trip(mlcore_instance):
    if mlcore_instance.in_process:  # FUSE: this process sees the devices
        c = MlcoreClient(mlcore_instance.root)
        c.set_result(2)
        assert c.get_result() == 2
    # Either door: a program run with the instance's devices at the real paths.
    p = mlcore_instance.run([sys.executable, "-c", "import sys, mlcore_agent as m;"
                             "c = m.MlcoreClient(sys.argv[1]); c.set_result(3);"
                             "print(c.get_result())", mlcore_instance.root])
    assert p.stdout == "3\n"
