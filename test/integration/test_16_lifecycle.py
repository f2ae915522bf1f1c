#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instance lifecycle (`mlcore-emu rm`, `rm --stale`, `run --rm`, `list`):
what is attached (a live server in the registry, or a live process with the
segment mapped) is refused without --force, a killed server's instance is
stale, `run --rm` removes whatever CMD's status, and nothing of another
user's is touched.  Every instance here is named after this class, and
`rm --stale` is always given a pattern: other users of this machine's
/dev/shm (same uid) are never swept."""
import os
import re
import signal
import stat
import subprocess
import time

import harness as h

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
# A client of the preload door that keeps /dev/mlcore open (the segment
# mapped) until its stdin closes.
HOLDER = ("import os, sys; fd = os.open('/dev/mlcore', os.O_RDWR); "
          "print('open', flush=True); sys.stdin.read()")


class LifecycleTest(h.EmuTestCase):
    SERVE = False

    def setUp(self):
        self.names = []

    def inst(self, suffix):
        """An Emu for a fresh instance of this test, cleaned up after it."""
        e = h.Emu(f"{self.emu.name}-{suffix}", self.emu.state_dir)
        self.addCleanup(e.cleanup)
        return e

    def create(self, e):
        e.run("run", "--instance", e.name, "--", "true", check=True)
        self.assertTrue(os.path.exists(e.segment))

    def hold(self, e):
        """A process of `mlcore-emu run` with the segment mapped."""
        p = subprocess.Popen([h.EMU, "run", "--instance", e.name, "--",
                              "/usr/bin/python3", "-c", HOLDER],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=e.env)
        self.addCleanup(lambda: (p.stdin.close(), p.wait(timeout=h.CMD_TIMEOUT),
                                 p.stdout.close()))
        self.assertEqual(p.stdout.readline(), "open\n")
        return p

    def assertGone(self, e):
        self.assertFalse(os.path.exists(e.segment), e.segment)
        self.assertFalse(os.path.exists(e.inst_dir), e.inst_dir)

    def assertOneLineError(self, p, needle):
        self.assertEqual(p.returncode, 1, f"stdout={p.stdout!r} stderr={p.stderr!r}")
        self.assertEqual(p.stderr.count("\n"), 1, repr(p.stderr))
        self.assertTrue(p.stderr.startswith("mlcore-emu: "), repr(p.stderr))
        self.assertIn(needle, p.stderr)

    def list_row(self, name):
        p = self.emu.run("list", check=True)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "SIZE", "AGE", "ATTACHED"])
        for line in lines[1:]:
            if line.split()[0] == name:
                return line
        self.fail(f"{name} not in list: {p.stdout!r}")

    # --- rm ---------------------------------------------------------------
    def test_rm_removes_segment_and_state_dir(self):
        a, b = self.inst("a"), self.inst("b")
        self.create(a)
        self.create(b)
        self.assertTrue(os.path.isdir(a.inst_dir))
        p = self.emu.run("rm", a.name, b.name, check=True)
        self.assertEqual(p.stdout, f"mlcore-emu: removed instance '{a.name}'\n"
                                   f"mlcore-emu: removed instance '{b.name}'\n")
        self.assertGone(a)
        self.assertGone(b)
        self.assertOneLineError(self.emu.run("rm", a.name), "no instance named")

    def test_rm_checks_every_name_before_removing_any(self):
        a = self.inst("first")
        self.create(a)
        p = self.emu.run("rm", a.name, a.name + "-missing")
        self.assertOneLineError(p, f"no instance named '{a.name}-missing'")
        self.assertTrue(os.path.exists(a.segment))

    def test_rm_refuses_a_served_instance_unless_forced(self):
        e = self.inst("served")
        root = os.path.join(self.base, "served-root")
        e.serve(root)
        pid = e.wait_server_pid(root)
        p = self.emu.run("rm", e.name)
        self.assertOneLineError(p, f"instance '{e.name}' is in use: served at "
                                   f"{root} (pid {pid})")
        self.assertIn(f"rm --force {e.name}", p.stderr)
        self.assertTrue(h.mounted_at(root))
        self.assertTrue(os.path.exists(e.segment))
        p = self.emu.run("rm", "--force", e.name, check=True)
        self.assertEqual(p.stdout, f"mlcore-emu: stopped serving {root}\n"
                                   f"mlcore-emu: removed instance '{e.name}'\n")
        self.assertFalse(h.mounted_at(root))
        self.assertFalse(h.pid_alive(pid))
        self.assertGone(e)

    def test_rm_refuses_an_instance_a_process_maps(self):
        e = self.inst("mapped")
        holder = self.hold(e)
        child = [int(x) for x in subprocess.run(
            ["pgrep", "-P", str(holder.pid)], capture_output=True,
            text=True).stdout.split()] or [holder.pid]
        p = self.emu.run("rm", e.name)
        self.assertOneLineError(p, f"instance '{e.name}' is in use: pid ")
        self.assertRegex(p.stderr, r"pid \d+ \(python3\)")
        self.assertIn(str(child[0]), p.stderr)
        self.assertTrue(os.path.exists(e.segment))
        self.assertRegex(self.list_row(e.name), r"pid \d+ \(python3\)$")
        # --force: removed; the process keeps its mapping, and says so.
        p = self.emu.run("rm", "--force", e.name, check=True)
        self.assertIn("still maps instance", p.stderr)
        self.assertGone(e)
        holder.stdin.close()
        self.assertEqual(holder.wait(timeout=h.CMD_TIMEOUT), 0)

    def test_killed_server_leaves_a_stale_instance(self):
        e = self.inst("killed")
        root = os.path.join(self.base, "killed-root")
        e.serve(root)
        pid = e.wait_server_pid(root)
        self.assertIn(f"served at {root} (pid {pid})", self.list_row(e.name))
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if not h.pid_alive(pid):
                break
            time.sleep(0.05)
        self.assertTrue(self.list_row(e.name).endswith("  -"), self.list_row(e.name))
        p = self.emu.run("rm", "--stale", f"{e.name}*", check=True)
        self.assertEqual(p.stdout, f"mlcore-emu: removed stale instance '{e.name}'\n")
        self.assertGone(e)

    def test_rm_stale_keeps_what_is_attached(self):
        idle, served, mapped = self.inst("s-idle"), self.inst("s-served"), self.inst("s-mapped")
        self.create(idle)
        root = os.path.join(self.base, "stale-root")
        served.serve(root)
        self.hold(mapped)
        p = self.emu.run("rm", "--stale", f"{self.emu.name}-s-*", check=True)
        self.assertEqual(p.stdout, f"mlcore-emu: removed stale instance '{idle.name}'\n")
        self.assertGone(idle)
        self.assertTrue(os.path.exists(served.segment))
        self.assertTrue(os.path.exists(mapped.segment))
        self.assertTrue(h.mounted_at(root))
        p = self.emu.run("rm", "--stale", f"{self.emu.name}-s-*", check=True)
        self.assertEqual(p.stdout, "mlcore-emu: no stale instances (2 in use)\n")
        served.stop(root)

    def test_rm_never_touches_another_users_instance(self):
        mine = self.inst("root-owned")
        self.create(mine)
        state = os.path.join(self.base, "nobody-state")
        os.makedirs(state, mode=0o700)
        os.chown(state, 65534, 65534)
        env = dict(os.environ, MLCORE_EMU_STATE_DIR=state)
        # uid 65534's `rm NAME` is about its own /dev/shm/mlcore-emu.65534.NAME.
        p = subprocess.run([*NOBODY, h.EMU, "rm", "--force", mine.name],
                           capture_output=True, text=True, env=env)
        self.assertOneLineError(p, f"no instance named '{mine.name}'")
        self.assertTrue(os.path.exists(mine.segment))
        # A file planted at uid 65534's segment path, owned by root.
        planted = f"/dev/shm/mlcore-emu.65534.{mine.name}"
        with open(planted, "w") as f:
            f.write("not yours\n")
        self.addCleanup(os.unlink, planted)
        p = subprocess.run([*NOBODY, h.EMU, "rm", mine.name],
                           capture_output=True, text=True, env=env)
        self.assertOneLineError(p, "is not a segment of yours")
        p = subprocess.run([*NOBODY, h.EMU, "rm", "--stale", f"{mine.name}*"],
                           capture_output=True, text=True, env=env)
        self.assertIn("is not a segment of yours", p.stderr)
        with open(planted) as f:
            self.assertEqual(f.read(), "not yours\n")
        self.assertTrue(os.path.exists(mine.segment))

    def test_rm_does_not_follow_a_symlink_segment(self):
        target = os.path.join(self.base, "precious")
        with open(target, "w") as f:
            f.write("keep\n")
        e = self.inst("link")
        os.symlink(target, e.segment)
        p = self.emu.run("rm", "--force", e.name)
        self.assertOneLineError(p, "is not a segment of yours")
        self.assertTrue(os.path.islink(e.segment))
        with open(target) as f:
            self.assertEqual(f.read(), "keep\n")

    # --- run --rm -----------------------------------------------------------
    def test_run_rm_removes_whatever_the_status(self):
        cases = (("exit7", ["sh", "-c", "cat /proc/mlcore_result > /dev/null; exit 7"], 7),
                 ("ok", ["cat", "/proc/mlcore_result"], 0),
                 ("signal", ["sh", "-c", "cat /proc/mlcore_result >/dev/null; kill -TERM $$"],
                  -signal.SIGTERM),
                 ("noexec", ["/nonexistent/cmd"], 127))
        for suffix, cmd, want in cases:
            with self.subTest(case=suffix):
                e = self.inst(f"run-{suffix}")
                p = e.run("run", "--rm", "--instance", e.name, "--", *cmd)
                self.assertEqual(p.returncode, want, p.stderr)
                self.assertGone(e)
        # The command really ran against the instance.
        e = self.inst("run-out")
        p = e.run("run", "--rm", "--instance", e.name, "--", "cat", "/proc/mlcore_result")
        self.assertEqual(p.stdout, "Current Prediction: -1\nPrediction History (latest 0):\n")

    def test_run_rm_keeps_an_instance_that_is_served(self):
        e = self.inst("run-served")
        root = os.path.join(self.base, "run-served-root")
        e.serve(root)
        p = e.run("run", "--rm", "--instance", e.name, "--", "true")
        self.assertEqual(p.returncode, 0)
        self.assertIn(f"kept instance '{e.name}' (--rm): still in use: served at {root}",
                      p.stderr)
        self.assertTrue(os.path.exists(e.segment))
        e.stop(root)

    def test_run_rm_passes_sigterm_on_and_still_removes(self):
        e = self.inst("run-term")
        p = subprocess.Popen([h.EMU, "run", "--rm", "--instance", e.name, "--",
                              "/usr/bin/python3", "-c", HOLDER],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=e.env)
        self.assertEqual(p.stdout.readline(), "open\n")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=h.CMD_TIMEOUT), -signal.SIGTERM)
        p.stdin.close()
        p.stdout.close()
        self.assertGone(e)

    # --- list -------------------------------------------------------------
    def test_list_shows_size_age_and_attachment(self):
        e = self.inst("listed")
        self.create(e)
        size = os.stat(e.segment).st_size
        row = self.list_row(e.name)
        m = re.fullmatch(rf"{re.escape(e.name)} +(\d+) KiB +(\d+)s  (.*)", row)
        self.assertIsNotNone(m, row)
        self.assertEqual(int(m.group(1)), (size + 1023) // 1024)
        self.assertLess(int(m.group(2)), 30)
        self.assertEqual(m.group(3), "-")
        self.assertEqual(stat.S_IMODE(os.stat(e.segment).st_mode), 0o600)


if __name__ == "__main__":
    h.main()
