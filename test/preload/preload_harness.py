# SPDX-License-Identifier: GPL-2.0
"""The FUSE door's integration harness (test/integration/harness.py), bent to
the preload door: the same test classes, run inside `mlcore-emu run`, against
the real paths (/dev/mlcore, /proc/mlcore_result, /proc/mlcore_train,
/var/log/mlcore.log) instead of a mount root.

Imported first by preload_child.py, inside the command `mlcore-emu run`
started for one test class (run_under_preload.py makes a fresh instance and
state directory per class and removes them afterwards), so:

  - setUpClass serves nothing: the instance is the one in the environment
    (MLCORE_EMU_INSTANCE, MLCORE_EMU_STATE_DIR), created by `run` with the
    class's CLOCK;
  - ROOT/dmesg has no real path: `cat ROOT/dmesg` is `mlcore-emu dmesg`;
  - the tests that pin a FUSE-only difference, and the FUSE-only classes,
    are skipped with the reason; test_p1_door_exact.py checks what the
    kernel does there, which the preload door reproduces.

Standard library only.
"""
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
for d in (HERE, INTEGRATION):
    if d not in sys.path:
        sys.path.insert(0, d)

import harness as h  # noqa: E402  (test/integration/harness.py)

INSTANCE = os.environ.get("MLCORE_EMU_INSTANCE", "")
STATE_DIR = os.environ.get("MLCORE_EMU_STATE_DIR", "")
PRELOADED = "libmlcore-preload" in os.environ.get("LD_PRELOAD", "")

# module.Class.test (or module.Class for a whole class) -> why it is not
# run against the preload door.
FUSE_ONLY = {
    "test_03_dev_file_ops.DevFileOpsTest.test_pinned_door_difference_zero_byte_read_write_return_0":
        "FUSE-only: the preload door answers read(0)/write(0) with EINVAL "
        "like the device (test_p1_door_exact)",
    "test_03_dev_file_ops.DevFileOpsTest.test_pinned_door_difference_python_mmap_module_sees_a_size_0_file":
        "FUSE-only: /dev/mlcore is a character device here, so python's "
        "mmap reaches mmap(2) and gets ENODEV (test_p1_door_exact)",
    "test_03_dev_file_ops.DevFileOpsTest.test_pinned_door_difference_mmap_private_succeeds":
        "FUSE-only: MAP_PRIVATE is ENODEV as on the device (test_p1_door_exact)",
    "test_03_dev_file_ops.DevFileOpsTest.test_stat_is_a_regular_file":
        "FUSE-only: the preload door serves a character device 104:0, mode "
        "0666 (test_p1_door_exact)",
    "test_03_dev_file_ops.DevFileOpsTest.test_pread_pwrite_are_espipe":
        "pins the FUSE door's nonseekable open: the device keeps "
        "FMODE_PREAD (mlcore's open does not call nonseekable_open), so the "
        "kernel answers pread/pwrite with EINVAL (no read/write handler), "
        "which the preload door reproduces (test_p1_door_exact)",
    "test_04_proc_files.ProcFileTest.test_pinned_door_difference_seek_away_and_back_keeps_old_text":
        "FUSE-only: the preload door sees every lseek and re-renders at it "
        "as seq_lseek does (test_p1_door_exact)",
    "test_04_proc_files.ProcFileTest.test_pinned_door_difference_zero_byte_write_returns_0":
        "FUSE-only: write(0) on a proc file is EIO here as in the kernel "
        "(test_p1_door_exact)",
    "test_12_ml_lib_device.DeviceTest.test_pinned_door_difference_bad_buffer_without_data_is_efault":
        "FUSE-only: the device checks the offset first, so read gives 0 and "
        "write ENOSPC there, as the preload door does (test_p3_ml_lib_exact)",
    "test_12_ml_lib_device.DeviceTest.test_pinned_door_difference_dd_skip_warns_on_a_size_0_file":
        "FUSE-only: a character device's st_size is not used, dd does not "
        "warn (test_p3_ml_lib_exact)",
    "test_12_ml_lib_device.DeviceTest.test_dd_reads_at_offsets":
        "reads the FUSE door's dd warning as line 0 of stderr; the same "
        "reads and counts without the warning: test_p3_ml_lib_exact",
    "test_12_ml_lib_device.DeviceTest.test_pinned_door_difference_mmap_private_succeeds":
        "FUSE-only: every mapping is ENODEV as on the device (test_p3_ml_lib_exact)",
    "test_12_ml_lib_device.DeviceTest.test_pinned_door_difference_stat_is_a_regular_file":
        "FUSE-only: a character device 254:0, mode 0600 (test_p3_ml_lib_exact)",
    "test_13_ml_lib_sysfs_proc.FilesTest.test_pinned_door_difference_zero_byte_read_write_not_counted":
        "FUSE-only: 0-byte reads/writes reach the driver and count, as on "
        "the device (test_p3_ml_lib_exact)",
    "test_13_ml_lib_sysfs_proc.FilesTest.test_the_class_device_directory":
        "expects ROOT/sys/class to hold ml_lib_test alone; the real "
        "/sys/class is the host's plus ml_lib_test (test_p3_ml_lib_exact)",
    "test_06_shared_instance.TwoMountsTest":
        "two FUSE mounts of one instance; the preload door has no mounts "
        "(test_p2_fd_semantics covers processes sharing an instance)",
}


def _setup_class(cls):
    if not (PRELOADED and INSTANCE and STATE_DIR):
        raise unittest.SkipTest("not running under `mlcore-emu run` "
                                "(use run_under_preload.py)")
    cls.base = h.make_tmp_base(cls.__name__.lower())
    cls.addClassCleanup(shutil.rmtree, cls.base, True)
    cls.emu = h.Emu(INSTANCE, STATE_DIR)
    cls.root = "/"
    cls.dev = "/dev/mlcore"
    cls.result = "/proc/mlcore_result"
    cls.train = "/proc/mlcore_train"
    cls.varlog = "/var/log/mlcore.log"


def _cat(self, path, **kw):
    if path == "/dmesg":    # ROOT/dmesg is the emulator's own, no real path
        return subprocess.run([h.EMU, "dmesg", "--instance", INSTANCE],
                              capture_output=True, timeout=h.CMD_TIMEOUT, **kw)
    return subprocess.run(["cat", path], capture_output=True,
                          timeout=h.CMD_TIMEOUT, **kw)


h.EmuTestCase.setUpClass = classmethod(_setup_class)
h.EmuTestCase.cat = _cat


def mark_fuse_only(module_name, cls):
    """Skips what FUSE_ONLY names in cls; True if the whole class is."""
    key = f"{module_name}.{cls.__name__}"
    if key in FUSE_ONLY:
        return True
    for name in dir(cls):
        reason = FUSE_ONLY.get(f"{key}.{name}")
        if reason:
            setattr(cls, name, unittest.skip(reason)(getattr(cls, name)))
    return False
