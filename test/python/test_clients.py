# SPDX-License-Identifier: GPL-2.0
"""Every client method through both doors: in this process on a FUSE mount,
and in a subprocess under the preload door (client_checks.py)."""
import os
import sys

import pytest

import client_checks
from mlcore_agent import testing

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.mlcore(door="fuse")
@pytest.mark.parametrize("check", client_checks.CHECKS)
def test_fuse(mlcore_instance, check):
    if not testing.fuse_usable():
        pytest.skip("no usable /dev/fuse")
    getattr(client_checks, "check_" + check)(mlcore_instance.root)


@pytest.mark.mlcore(door="preload")
@pytest.mark.parametrize("check", client_checks.CHECKS)
def test_preload(mlcore_instance, check):
    assert mlcore_instance.root == "/" and not mlcore_instance.in_process
    env = mlcore_instance.env
    env["PYTHONPATH"] = os.pathsep.join([HERE, env.get("PYTHONPATH", "")])
    p = mlcore_instance.run([sys.executable, os.path.join(HERE, "client_checks.py"),
                             check, "/"], env=env)
    assert p.returncode == 0 and p.stdout == f"ok {check}\n", p.stdout + p.stderr
