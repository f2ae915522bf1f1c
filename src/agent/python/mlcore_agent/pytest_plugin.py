# SPDX-License-Identifier: GPL-2.0
"""pytest plugin: a fresh private mlcore-emu instance per test.

    pytest -p mlcore_agent.pytest_plugin        (or installed: automatic,
                                                 a pytest11 entry point)

    def test_predict(mlcore_instance):
        c = MlcoreClient(mlcore_instance.root)   # FUSE door: this process
        ...
        p = mlcore_instance.run(["/usr/bin/python3", "agent.py"])  # either door

    @pytest.mark.mlcore(seed=7, clock="real", door="preload")
    def test_other(mlcore_instance): ...

    @pytest.mark.parametrize("mlcore_instance", [{"seed": 1}, {"seed": 2}],
                             indirect=True)
    def test_seeds(mlcore_instance): ...

The fixture yields a mlcore_agent.testing.Instance (root, door, dmesg(),
reset(), run(), command(), env) named pytest-PID-N.  When the test fails,
the instance's kernel log is attached to its report (section "mlcore
kernel log").  Whatever the outcome, the mount, the server, the segment and
the directories are removed; leftovers of a killed session are removed
when the next session starts.
"""
import pytest

from . import testing

_KEY = pytest.StashKey[object]() if hasattr(pytest, "StashKey") else None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "mlcore(seed=1, clock='fixed:1767225600', door=None): options of "
        "the mlcore_instance fixture's private instance")


def pytest_sessionstart(session):
    try:
        testing.clean_leftovers()
    except testing.InstanceError:
        pass  # no mlcore-emu: the fixture reports it where it is used


def _options(request):
    kw = {}
    marker = request.node.get_closest_marker("mlcore")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.mlcore takes keyword arguments only")
        kw.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, dict):
            raise pytest.UsageError("mlcore_instance parameters are dicts of options")
        kw.update(param)
    unknown = set(kw) - {"seed", "clock", "door"}
    if unknown:
        raise pytest.UsageError(f"unknown mlcore_instance options {sorted(unknown)}")
    return kw


def _skip_unless_door(kw):
    """A test that asks for the FUSE door is skipped where it cannot work."""
    if kw.get("door") == "fuse" and not testing.fuse_usable():
        pytest.skip("door='fuse' but /dev/fuse cannot be opened here")


@pytest.fixture
def mlcore_instance(request):
    """A fresh private instance (mlcore_agent.testing.Instance)."""
    kw = _options(request)
    _skip_unless_door(kw)
    try:
        inst = testing.Instance(prefix="pytest", clean=False, **kw)
    except testing.InstanceError as e:
        pytest.skip(str(e))
    with inst:
        if _KEY is not None:
            request.node.stash[_KEY] = inst
        else:  # pragma: no cover - pytest < 7
            request.node._mlcore_instance = inst
        yield inst


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or call.when not in ("call", "setup"):
        return
    inst = item.stash.get(_KEY, None) if _KEY is not None else \
        getattr(item, "_mlcore_instance", None)
    if inst is None or not inst._open:
        return
    try:
        log = inst.dmesg()
    except Exception as e:  # noqa: BLE001 - the report must not fail
        log = f"(cannot read the kernel log: {e})"
    rep.sections.append(("mlcore kernel log", log))


@pytest.fixture
def mlcore_instance_factory(request):
    """Makes more instances in one test: factory(seed=.., clock=.., door=..);
    all are removed at the end of the test."""
    made = []

    def make(**kw):
        _skip_unless_door(kw)
        inst = testing.Instance(prefix="pytest", clean=False, **kw).__enter__()
        made.append(inst)
        if _KEY is not None and _KEY not in request.node.stash:
            request.node.stash[_KEY] = inst
        return inst

    yield make
    problems = []
    for inst in made:
        try:
            inst.close()
        except testing.InstanceError as e:
            problems.append(str(e))
    if problems:
        raise testing.InstanceError("; ".join(problems))
