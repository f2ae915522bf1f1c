# SPDX-License-Identifier: GPL-2.0
"""The Python reference agents next to the C++ ones, through both doors."""
import os
import subprocess
import sys

import pytest

from mlcore_agent import MlLoopClient

AGENT_ENV = None


def _env(inst):
    env = inst.env
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(x) for x in
                                        env.get("PYTHONPATH", "").split(os.pathsep) if x)
    return env


def _py(inst, *args):
    return inst.run([sys.executable, "-m", *args], env=_env(inst))


def _cpp(name):
    path = os.environ.get(name)
    if not path:
        build = os.path.dirname(os.environ.get("MLCORE_EMU", ""))
        cand = os.path.join(build, {"MLC_AGENT_IRIS": "mlc-agent-iris",
                                    "MLC_AGENT_LOOP": "mlc-agent-loop"}[name])
        path = cand if os.access(cand, os.X_OK) else None
    if not path:
        pytest.skip(f"{name} is not set (the C++ agent to compare with)")
    return path


@pytest.mark.parametrize("door", ["fuse", "preload"])
def test_iris_same_split_and_report_as_cpp(mlcore_instance_factory, door):
    inst = mlcore_instance_factory(door=door)
    p = _py(inst, "mlcore_agent.agents.iris", "--root", inst.root)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("iris: 150 samples from sklearn.datasets.load_iris()")
    assert lines[1] == ("iris: published 50 training entries (stratified, seed 1) with "
                        "IOCTL_ADD_TRAINING")
    assert lines[-2] == "sklearn k-NN (k=5) accuracy:  96/100 = 0.960"
    assert lines[-1] == "majority-class baseline:    33/100 = 0.330 (always class 0)"
    train_py = inst.run(["cat", os.path.join(inst.root, "proc/mlcore_train")]).stdout
    c = inst.run([_cpp("MLC_AGENT_IRIS"), "--root", inst.root])
    assert c.returncode == 0, c.stderr
    train_cpp = inst.run(["cat", os.path.join(inst.root, "proc/mlcore_train")]).stdout
    assert train_py == train_cpp and train_py.count("\n") == 50, "the same 50 samples"
    cl = c.stdout.splitlines()
    assert lines[1:4] == cl[1:4], "the same protocol lines"
    assert cl[-2].split()[-1] == lines[-2].split()[-1] == "0.960"


@pytest.mark.parametrize("door", ["fuse", "preload"])
def test_loop_knn_trace_is_the_cpp_agents(mlcore_instance_factory, door, tmp_path):
    inst = mlcore_instance_factory(door=door)
    py_csv, cpp_csv = tmp_path / "py.csv", tmp_path / "cpp.csv"
    p = _py(inst, "mlcore_agent.agents.loop", "--root", inst.root, "--epochs", "120",
            "--model", "knn", "--csv", str(py_csv))
    assert p.returncode == 0, p.stderr
    c = inst.run([_cpp("MLC_AGENT_LOOP"), "--root", inst.root, "--epochs", "120",
                  "--csv", str(cpp_csv)])
    assert c.returncode == 0, c.stderr
    assert py_csv.read_bytes() == cpp_csv.read_bytes()
    strip = lambda out: [l for l in out.splitlines() if not l.startswith("trace:")]
    assert strip(p.stdout) == strip(c.stdout), "same progress lines and summary"


def test_loop_tree_agent_is_deterministic_and_reports_its_gain(mlcore_instance_factory):
    inst = mlcore_instance_factory(door="fuse")
    outs = [_py(inst, "mlcore_agent.agents.loop", "--root", inst.root, "--epochs", "80",
                "-q") for _ in range(2)]
    assert outs[0].returncode == 0, outs[0].stderr
    assert outs[0].stdout == outs[1].stdout, "same seed, same output"
    assert "cumulative efficiency: " in outs[0].stdout
    eff = float(outs[0].stdout.split("cumulative efficiency: ")[1].split()[0])
    assert 0.95 <= eff <= 1.2


def test_loop_policy_option(mlcore_instance_factory):
    inst = mlcore_instance_factory(door="fuse")
    p = _py(inst, "mlcore_agent.agents.loop", "--root", inst.root, "--epochs", "30",
            "--policy", "-q")
    if MlLoopClient(inst.root).supports_policy():
        assert p.returncode == 0, p.stderr
        assert "cumulative efficiency" in p.stdout
    else:
        # closed loop v1: a clear error before anything is written
        assert p.returncode == 1
        assert "takes no POLICY records" in p.stderr, p.stderr
        # and the kernel refuses type 4 (the feature check's reason)
        import errno
        from mlcore_agent.policy import PolicyNode, encode_policy
        with pytest.raises(OSError) as e:
            MlLoopClient(inst.root).write_raw(encode_policy([PolicyNode.leaf(8)]))
        assert e.value.errno == errno.EINVAL


@pytest.mark.parametrize("door", ["fuse", "preload"])
def test_demo_runs_the_python_agents(tmp_path, door):
    from mlcore_agent import testing
    if door == "fuse" and not testing.fuse_usable():
        pytest.skip("no usable /dev/fuse")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(x) for x in
                                        env.get("PYTHONPATH", "").split(os.pathsep) if x)
    p = subprocess.run([testing.find_emu(), "demo", "--epochs", "20", "--no-plot",
                        "--progress-every", "20", "--python", "on", "--door", door],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "== python: the Python agents (mlcore_agent, scikit-learn" in out
    summary = out.split("== summary", 1)[1]
    assert "python agents (mlcore_agent, scikit-learn):\n" in summary
    assert "  iris, sklearn k-NN (k=5) accuracy:  96/100 = 0.960\n" in summary
    assert "  loop (decision tree), cumulative efficiency: " in summary
    assert "(C++ good agent: " in summary
    off = subprocess.run([testing.find_emu(), "demo", "--epochs", "5", "--no-plot",
                          "--python", "off", "--door", door], capture_output=True,
                         text=True, timeout=600, cwd=tmp_path, env=env)
    assert off.returncode == 0 and "python agents: not run (--python off)" in off.stdout


EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "src", "agent", "python",
                        "examples")


def _readme_blocks():
    text = open(os.path.join(EXAMPLES, "..", "..", "..", "..", "README.md")).read()
    return [b.split("\n", 1)[1] for b in text.split("```")[1::2] if b.startswith("python")]


def test_readme_shows_the_examples_verbatim():
    blocks = _readme_blocks()
    for name in ("ten_line_agent.py", "test_example.py"):
        src = open(os.path.join(EXAMPLES, name)).read()
        assert src in blocks, f"README.md does not show {name} as it is"
    assert len(open(os.path.join(EXAMPLES, "ten_line_agent.py")).read().splitlines()) <= 10


def test_ten_line_agent_under_mlcore_emu_run(mlcore_instance_factory):
    inst = mlcore_instance_factory(door="preload")
    p = inst.run([sys.executable, os.path.join(EXAMPLES, "ten_line_agent.py")], env=_env(inst))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("epoch 101: mode "), p.stdout
    readme = open(os.path.join(EXAMPLES, "..", "..", "..", "..", "README.md")).read()
    assert "ten_line_agent.py\n" + p.stdout in readme, "README shows seed 1's output"
    again = inst.run([sys.executable, os.path.join(EXAMPLES, "ten_line_agent.py")],
                     env=_env(inst))
    assert again.stdout == p.stdout, "the same seed, the same line"


@pytest.mark.parametrize("door", ["fuse", "preload"])
def test_fixture_example(tmp_path, door):
    env = dict(os.environ, MLCORE_AGENT_DOOR=door)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(x) for x in
                                        env.get("PYTHONPATH", "").split(os.pathsep) if x)
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "mlcore_agent.pytest_plugin",
                        "-p", "no:cacheprovider", "-q",
                        os.path.abspath(os.path.join(EXAMPLES, "test_example.py"))],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert p.returncode == 0 and "1 passed" in p.stdout, p.stdout + p.stderr
