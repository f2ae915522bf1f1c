#!/usr/bin/env python3
"""The integration and preload suites' clean-up after a killed test.

CTest kills a test process that runs past its TIMEOUT with SIGKILL, so its
own clean-up never runs and its server, mount and segment outlive it.  This
runs last (the fixture `mlc_it_leftovers`' FIXTURES_CLEANUP): every
/tmp/mlc-it-* directory of ours whose owner process (harness.OWNER_FILE) is
gone has its servers stopped, its mounts detached, its instances' segments
removed and the directory deleted.  A directory of a live test is never
touched.  Fails when something could not be cleaned up.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def owner_alive(base):
    try:
        with open(os.path.join(base, h.OWNER_FILE)) as f:
            pid = int(f.read())
    except (OSError, ValueError):
        return True     # not made by make_tmp_base: not ours to judge
    return h.pid_alive(pid)


def mounts_under(base):
    with open("/proc/mounts") as f:
        points = [line.split()[1] for line in f]
    return [m for m in points if m == base or m.startswith(base + "/")]


def sweep(base, problems):
    state = os.path.join(base, "state")
    names = sorted(os.listdir(state)) if os.path.isdir(state) else []
    env = dict(os.environ, MLCORE_EMU_STATE_DIR=state)
    for name in names:
        if h.EMU:
            subprocess.run([h.EMU, "stop", "--instance", name], env=env,
                           capture_output=True)
    for m in mounts_under(base):
        subprocess.run(["umount", "-l", m], capture_output=True)
    left = mounts_under(base)
    if left:
        problems.append(f"still mounted: {' '.join(left)}")
        return
    for name in names:
        try:
            os.unlink(f"/dev/shm/mlcore-emu.{os.getuid()}.{name}")
        except FileNotFoundError:
            pass
        except OSError as e:
            problems.append(f"{name}: {e}")
    shutil.rmtree(base, ignore_errors=True)
    print(f"sweep_leftovers: cleaned up after a killed test: {base} "
          f"(instances: {', '.join(names) or 'none'})")


def main():
    problems = []
    swept = 0
    for entry in sorted(os.listdir("/tmp")):
        base = os.path.join("/tmp", entry)
        if not entry.startswith("mlc-it-") or os.path.islink(base):
            continue
        try:
            st = os.lstat(base)
        except FileNotFoundError:
            continue
        if st.st_uid != os.getuid() or owner_alive(base):
            continue
        sweep(base, problems)
        swept += 1
    print(f"sweep_leftovers: {swept} directories of killed tests cleaned up")
    for p in problems:
        print(f"sweep_leftovers: FAILED: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
