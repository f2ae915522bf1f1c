# SPDX-License-Identifier: GPL-2.0
"""The fixture and the context manager leave nothing behind: no mount, no
server, no segment, no directory -- after a passing test, a failing one, a
body that raised, and a session killed with SIGKILL (then the next session
removes the leftovers)."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from mlcore_agent import testing

INNER = textwrap.dedent("""
    import json, os, signal, sys
    import pytest
    from mlcore_agent import MlcoreClient

    def _record(inst):
        with open(os.environ["MLC_INNER_OUT"], "a") as f:
            f.write(json.dumps(dict(name=inst.name, root=inst.root, door=inst.door,
                                    work=inst.work, segment=inst.segment,
                                    servers=inst.server_pids())) + "\\n")

    @pytest.mark.mlcore(seed=5)
    def test_pass(mlcore_instance):
        _record(mlcore_instance)
        if mlcore_instance.in_process:
            MlcoreClient(mlcore_instance.root).set_result(42)

    def test_fail(mlcore_instance):
        _record(mlcore_instance)
        if mlcore_instance.in_process:
            MlcoreClient(mlcore_instance.root).set_result(4242)
        assert False, "deliberate"

    def test_killed(mlcore_instance):
        _record(mlcore_instance)
        os.kill(os.getpid(), signal.SIGKILL)
""")


def _inner(tmp_path, *select):
    test = tmp_path / "test_inner.py"
    test.write_text(INNER)
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, MLC_INNER_OUT=str(out))
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(x) for x in
                                        env.get("PYTHONPATH", "").split(os.pathsep) if x)
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "mlcore_agent.pytest_plugin",
                        "-p", "no:cacheprovider", "-q", str(test), *select],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    recs = [json.loads(l) for l in out.read_text().splitlines()] if out.exists() else []
    return p, recs


def _leftovers(rec):
    left = []
    if os.path.exists(rec["segment"]):
        left.append(rec["segment"])
    if any(p.startswith(rec["work"] + "/") for p in testing.mount_points()):
        left.append("mount " + rec["root"])
    if os.path.exists(rec["work"]):
        left.append(rec["work"])
    if os.path.exists(os.path.join(testing.state_root(), rec["name"])):
        left.append("state dir")
    left += [f"server {p}" for p in rec["servers"] if testing._pid_alive(p)]
    return left


@pytest.mark.parametrize("door", ["fuse", "preload"])
def test_pass_and_fail_leave_nothing_and_a_failure_shows_the_log(tmp_path, door):
    if door == "fuse" and not testing.fuse_usable():
        pytest.skip("no usable /dev/fuse")
    os.environ["MLCORE_AGENT_DOOR"] = door
    try:
        p, recs = _inner(tmp_path, "-k", "pass or fail")
    finally:
        del os.environ["MLCORE_AGENT_DOOR"]
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 failed, 1 passed" in p.stdout, p.stdout
    assert len(recs) == 2 and all(r["door"] == door for r in recs)
    assert all(r["name"].startswith(f"pytest-") for r in recs)
    if door == "fuse":
        assert all(r["servers"] for r in recs), "a server was running during the test"
    for r in recs:
        assert _leftovers(r) == [], r
    # The failing test's report carries its instance's kernel log, and only it.
    section = p.stdout.split("mlcore kernel log")
    assert len(section) == 2, p.stdout
    assert "[mlcore] Loaded" in section[1]
    if door == "fuse":
        assert "Prediction set: 4242" in section[1] and "Prediction set: 42\n" not in section[1]


def test_sigkill_leftovers_are_removed_by_the_next_session(tmp_path):
    p, recs = _inner(tmp_path, "-k", "killed")
    assert p.returncode == -signal.SIGKILL, p.stdout + p.stderr
    (rec,) = recs
    left = _leftovers(rec)
    assert rec["segment"] in left, "a killed session leaves its segment"
    if rec["door"] == "fuse":
        assert any(l.startswith("mount ") for l in left) and any(
            l.startswith("server ") for l in left), left
    # The next session (its sessionstart) removes them.
    p2, _ = _inner(tmp_path, "-k", "pass")
    assert p2.returncode == 0, p2.stdout + p2.stderr
    assert _leftovers(rec) == []


def test_context_manager_cleans_up_when_the_body_raises():
    with pytest.raises(RuntimeError, match="boom"):
        with testing.Instance(seed=3) as inst:
            seg, work = inst.segment, inst.work
            assert os.path.exists(seg)
            raise RuntimeError("boom")
    assert not os.path.exists(seg) and not os.path.exists(work)
    assert not any(p.startswith(work) for p in testing.mount_points())


def test_clean_leftovers_spares_live_owners_and_other_names():
    live = f"pytest-{os.getpid()}-999"
    other = f"someone-else-{os.getpid()}"
    for name in (live, other):
        subprocess.run([testing.find_emu(), "run", "--instance", name, "--", "true"],
                       check=True, capture_output=True,
                       env=dict(os.environ, MLCORE_EMU_STATE_DIR=testing.state_root()))
    try:
        removed = testing.clean_leftovers()
        assert live not in removed and other not in removed
        assert os.path.exists(testing.segment_path(live))
        assert os.path.exists(testing.segment_path(other))
    finally:
        testing.remove_instance(live)
        testing.remove_instance(other)


def test_clock_and_seed_from_the_marker(tmp_path):
    with testing.Instance(seed=11, clock="fixed:1000000000", door="preload") as inst:
        p = inst.run([sys.executable, "-c",
                      "from mlcore_agent import MlcoreClient as C; c = C('/'); "
                      "c.set_result(1); print(c.read_result_history().history[0].stamp)"])
        assert p.returncode == 0, p.stderr
        assert p.stdout == "2001-09-09 01:46:40\n"
        st = subprocess.run([inst.emu, "status", "--instance", inst.name],
                            capture_output=True, text=True, env=inst.env)
        assert "11" in st.stdout, st.stdout


def test_find_emu_order(monkeypatch, tmp_path):
    monkeypatch.setenv("MLCORE_EMU", str(tmp_path / "missing"))
    with pytest.raises(testing.InstanceError, match="MLCORE_EMU"):
        testing.find_emu()
    monkeypatch.delenv("MLCORE_EMU")
    fake = tmp_path / "bin" / "mlcore-emu"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert testing.find_emu() == str(fake)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    # the checkout's build/ (this test runs from the source tree)
    assert testing.find_emu().endswith(os.path.join("build", "mlcore-emu"))


def test_remove_instance_uses_mlcore_emu_rm_when_there(tmp_path):
    """remove_instance is the one place; it switches to `mlcore-emu rm`."""
    log = tmp_path / "calls"
    fake = tmp_path / "mlcore-emu"
    fake.write_text("#!/bin/sh\n"
                    f"echo \"$@\" >> {log}\n"
                    "if [ \"$1\" = --help ]; then echo 'Subcommands:'; "
                    "echo '  rm                          Remove an instance'; exit 0; fi\n"
                    "if [ \"$1\" = rm ]; then rm -f /dev/shm/mlcore-emu.$(id -u).$2; fi\n")
    fake.chmod(0o755)
    name = f"pytest-{os.getpid()}-777"
    seg = testing.segment_path(name)
    open(seg, "w").close()
    try:
        testing.remove_instance(name, str(fake))
        assert not os.path.exists(seg)
        assert log.read_text().splitlines() == ["--help", f"rm {name}"]
    finally:
        if os.path.exists(seg):
            os.unlink(seg)


def test_fuse_door_is_skipped_without_dev_fuse(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "import mlcore_agent.testing as t\nt.fuse_usable = lambda: False\n")
    (tmp_path / "test_f.py").write_text(
        "import pytest\n"
        "@pytest.mark.mlcore(door='fuse')\n"
        "def test_a(mlcore_instance):\n    pass\n"
        "def test_b(mlcore_instance_factory):\n    mlcore_instance_factory(door='fuse')\n"
        "def test_c(mlcore_instance):\n    assert mlcore_instance.door == 'preload'\n")
    env = dict(os.environ)
    env.pop("MLCORE_AGENT_DOOR", None)
    env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(x) for x in
                                        env.get("PYTHONPATH", "").split(os.pathsep) if x)
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "mlcore_agent.pytest_plugin",
                        "-p", "no:cacheprovider", "-q", "-rs", str(tmp_path)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert "1 passed, 2 skipped" in p.stdout, p.stdout + p.stderr
    assert "/dev/fuse cannot be opened" in p.stdout
