#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Issue D3 at the real paths: a shell that runs `echo 'step 2000' >
control` through the preload door, stopped (SIGSTOP, as Ctrl-Z) while it
holds the instance lock, blocks no reader: `cat /proc/mlcore_result` and
`cat .../ml_readahead/stats` answer at once.  A writer waits, says once on
stderr which pid holds the lock and is stopped, and goes on after SIGCONT.

Run by run_under_preload.py (inside `mlcore-emu run`).  Standard library
only.
"""
import os
import signal
import subprocess
import time

import preload_harness
import harness as h

MODEL = "/sys/class/ml_lib_loop/mlloop/ml_readahead"
CONTROL = MODEL + "/control"
STATS = MODEL + "/stats"
# Far longer than any answer takes: a reader that waits for the stopped
# process is cut here and fails.
READER_LIMIT = 20


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    return s[s.rindex(")") + 2]


def epochs(text):
    return int(text.split("\n", 1)[0].split(": ")[1])


class StoppedStepperTest(h.EmuTestCase):

    def cat_text(self, path):
        p = subprocess.run(["cat", path], capture_output=True, text=True,
                           timeout=READER_LIMIT)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def stop(self, pid):
        os.kill(pid, signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while proc_state(pid) not in "Tt" and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertIn(proc_state(pid), "Tt")

    def test_readers_answer_while_the_lock_owner_is_stopped(self):
        p = subprocess.run(["sh", "-c", f"echo start > {CONTROL}"],
                           capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        stepper = subprocess.Popen(
            ["sh", "-c", f"while echo 'step 2000' > {CONTROL}; do :; done"],
            stdin=subprocess.DEVNULL)

        def end_stepper():
            os.kill(stepper.pid, signal.SIGCONT)
            stepper.terminate()
            stepper.wait(timeout=h.CMD_TIMEOUT)
        self.addCleanup(end_stepper)

        deadline = time.monotonic() + h.CMD_TIMEOUT
        while epochs(self.cat_text(STATS)) == 0:
            self.assertLess(time.monotonic(), deadline, "the stepper never stepped")
            time.sleep(0.05)

        # Stopped inside a locked section, not between two: a writer
        # started now must wait.  Between two epochs it holds nothing and
        # the writer is done at once; then stop it again elsewhere.
        writer = None
        for _ in range(20):
            self.stop(stepper.pid)
            writer = subprocess.Popen(["sh", "-c", f"echo start > {CONTROL}"],
                                      stderr=subprocess.PIPE, text=True)
            try:
                writer.wait(timeout=3)
            except subprocess.TimeoutExpired:
                break
            writer = None
            os.kill(stepper.pid, signal.SIGCONT)
            time.sleep(0.05)
        self.assertIsNotNone(writer, "never stopped while holding the lock")
        self.addCleanup(writer.kill)

        # The readers answer, and say the same twice: nothing moves while
        # the owner is stopped.
        texts = {}
        for path in ("/proc/mlcore_result", "/proc/mlcore_train", STATS,
                     MODEL + "/mode", MODEL + "/state", MODEL + "/efficiency",
                     "/proc/mllibdev"):
            try:
                texts[path] = self.cat_text(path)
            except subprocess.TimeoutExpired:
                self.fail(f"cat {path} waited for the stopped lock owner")
        self.assertTrue(texts["/proc/mlcore_result"].startswith("Current Prediction: -1\n"))
        self.assertGreater(epochs(texts[STATS]), 0)
        self.assertEqual(texts[MODEL + "/state"], "started\n")
        self.assertEqual(self.cat_text(STATS), texts[STATS])
        self.assertEqual(proc_state(stepper.pid), "T")

        # The writer is still waiting; SIGCONT lets it through.
        self.assertIsNone(writer.poll())
        os.kill(stepper.pid, signal.SIGCONT)
        _, err = writer.communicate(timeout=h.CMD_TIMEOUT)
        self.assertEqual(writer.returncode, 0, err)
        pid = stepper.pid
        self.assertEqual(
            err, f"mlcore-emu: instance '{preload_harness.INSTANCE}' is locked by "
                 f"pid {pid}, which is stopped; waiting (kill -CONT {pid} resumes it)\n")
        # And the loop goes on.
        before = epochs(self.cat_text(STATS))
        deadline = time.monotonic() + h.CMD_TIMEOUT
        while epochs(self.cat_text(STATS)) == before:
            self.assertLess(time.monotonic(), deadline, "the stepper did not go on")
            time.sleep(0.05)
