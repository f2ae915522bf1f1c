#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs test modules against the preload door: every test class in its own
`mlcore-emu run --instance <fresh> [--clock <its CLOCK>] -- python3
preload_child.py MODULE CLASS`, with a fresh state directory, both removed
afterwards whatever happened.

    run_under_preload.py --emu BUILD/mlcore-emu MODULE [MODULE ...]

MODULE is a test module name found in test/preload or test/integration
(test_02_ioctl, test_p1_door_exact, ...).  Exit status 0 when every class
passed.
"""
import argparse
import importlib
import inspect
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import preload_harness  # noqa: E402
import harness as h  # noqa: E402


def classes_of(module_name):
    module = importlib.import_module(module_name)
    for name, obj in inspect.getmembers(module, inspect.isclass):
        if (issubclass(obj, h.EmuTestCase) and obj is not h.EmuTestCase
                and obj.__module__ == module_name):
            yield name, obj


def run_class(emu, module_name, name, cls):
    inst = f"pl-{name.lower()}-{os.getpid()}"[:64]
    state = tempfile.mkdtemp(prefix="mlc-pl-state-", dir="/tmp")
    os.chmod(state, 0o755)
    cmd = [emu, "run", "--instance", inst]
    clock = getattr(cls, "CLOCK", None)
    if clock:
        cmd += ["--clock", clock]
    cmd += ["--", sys.executable, os.path.join(HERE, "preload_child.py"),
            module_name, name]
    env = dict(os.environ, MLCORE_EMU=emu, MLCORE_EMU_STATE_DIR=state)
    env.pop("LD_PRELOAD", None)
    try:
        p = subprocess.run(cmd, env=env, timeout=900, stdin=subprocess.DEVNULL)
        return p.returncode
    finally:
        subprocess.run([emu, "reset", "--instance", inst], env=env,
                       capture_output=True)
        try:
            os.unlink(f"/dev/shm/mlcore-emu.{os.getuid()}.{inst}")
        except FileNotFoundError:
            pass
        shutil.rmtree(state, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emu", required=True, help="the mlcore-emu binary")
    ap.add_argument("modules", nargs="+")
    args = ap.parse_args()
    emu = os.path.abspath(args.emu)
    failed = []
    for module_name in args.modules:
        for name, cls in classes_of(module_name):
            print(f"=== {module_name}.{name} (preload door) ===", flush=True)
            rc = run_class(emu, module_name, name, cls)
            if rc != 0:
                failed.append(f"{module_name}.{name} (exit {rc})")
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    print("all classes passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
