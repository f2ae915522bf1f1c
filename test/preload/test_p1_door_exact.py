#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The preload door where the FUSE door cannot be exact (ABI.md "Where a
door cannot be exact": "CUSE and the preload door serve a real
character-device identity and have no such excuse"): the real paths must
answer as the kernel does, file by file.

Run by run_under_preload.py (each class inside `mlcore-emu run` with a fresh
instance).  Standard library only.
"""
import ctypes
import errno
import fcntl
import mmap
import os
import select
import stat
import struct
import subprocess

import preload_harness  # noqa: F401  (patches the harness)
import harness as h

FIONREAD, FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC, FIOQSIZE = (
    0x541B, 0x5421, 0x5450, 0x5451, 0x5452, 0x5460)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                       ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
_libc.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
_libc.read.restype = ctypes.c_ssize_t
_libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
_libc.write.restype = ctypes.c_ssize_t
MAP_FAILED = ctypes.c_void_p(-1).value


def raw(fn, *args):
    """A libc call through ctypes: its result, or OSError with errno."""
    ctypes.set_errno(0)
    r = fn(*args)
    if r == -1 or (fn is _libc.mmap and r == MAP_FAILED):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def int_arg(v):
    return ctypes.byref(ctypes.c_int(v))


class DoorExactTest(h.EmuTestCase):

    def open_proc(self, path=None, flags=os.O_RDONLY):
        fd = os.open(path or self.result, flags | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        return fd

    # --- identity ------------------------------------------------------------
    def test_stat_is_the_character_device_104_0(self):
        for fn in (os.stat, os.lstat):
            st = fn(self.dev)
            self.assertTrue(stat.S_ISCHR(st.st_mode), oct(st.st_mode))
            self.assertEqual(st.st_mode, 0o20666)
            self.assertEqual((os.major(st.st_rdev), os.minor(st.st_rdev)), (104, 0))
            self.assertEqual((st.st_uid, st.st_gid, st.st_size, st.st_nlink),
                             (0, 0, 0, 1))
        fst = os.fstat(self.open_dev(os.O_RDONLY))
        self.assertEqual((fst.st_mode, fst.st_rdev, fst.st_ino),
                         (st.st_mode, st.st_rdev, st.st_ino))
        # st_dev is /dev's own filesystem.
        self.assertEqual(st.st_dev, os.stat("/dev").st_dev)

    def test_coreutils_stat_uses_statx(self):
        p = subprocess.run(["stat", "-c", "%F %a %t:%T %s %U", self.dev],
                           capture_output=True, text=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual((p.returncode, p.stdout), (0, "character special file "
                                                        "666 68:0 0 root\n"))
        p = subprocess.run(["stat", "-c", "%F %a %s", self.result],
                           capture_output=True, text=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.stdout, "regular empty file 444 0\n")
        p = subprocess.run(["test", "-c", self.dev], timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0)

    def test_proc_files_are_regular_0444_size_0(self):
        for path in (self.result, self.train):
            st = os.stat(path)
            self.assertEqual((st.st_mode, st.st_size, st.st_uid), (0o100444, 0, 0))
            self.assertEqual(st.st_dev, os.stat("/proc").st_dev)

    def test_access(self):
        self.assertTrue(os.access(self.dev, os.R_OK | os.W_OK))
        self.assertFalse(os.access(self.dev, os.X_OK))
        self.assertTrue(os.access(self.result, os.F_OK))
        self.assertTrue(os.access(self.result, os.R_OK))
        # root: CAP_DAC_OVERRIDE writes anything; no x bit, no execute.
        self.assertEqual(os.access(self.result, os.W_OK), os.getuid() == 0)
        self.assertFalse(os.access(self.result, os.X_OK))
        self.assertFalse(os.access("/dev/mlcore_nonexistent", os.F_OK))

    # --- the device: no read/write/llseek/mmap handler -----------------------
    def test_zero_byte_read_and_write_are_einval(self):
        """The device, unlike a FUSE file, answers 0-byte I/O itself."""
        self.assertErrno(errno.EINVAL, os.read, self.open_dev(os.O_RDONLY), 0)
        self.assertErrno(errno.EINVAL, os.read, self.open_dev(os.O_RDWR), 0)
        self.assertErrno(errno.EINVAL, os.write, self.open_dev(os.O_WRONLY), b"")
        self.assertErrno(errno.EINVAL, os.write, self.open_dev(os.O_RDWR), b"")
        self.assertErrno(errno.EBADF, os.read, self.open_dev(os.O_WRONLY), 0)
        self.assertErrno(errno.EBADF, os.write, self.open_dev(os.O_RDONLY), b"")

    def test_pread_pwrite_are_einval(self):
        """FMODE_PREAD stays (mlcore's open is no nonseekable_open): pread
        reaches vfs_read, which has no read handler: EINVAL; a negative
        offset is EINVAL before the access mode is looked at."""
        self.assertErrno(errno.EINVAL, os.pread, self.open_dev(os.O_RDONLY), 4, 0)
        self.assertErrno(errno.EINVAL, os.pwrite, self.open_dev(os.O_WRONLY), b"x", 0)
        self.assertErrno(errno.EBADF, os.pread, self.open_dev(os.O_WRONLY), 4, 0)
        self.assertErrno(errno.EINVAL, os.pread, self.open_dev(os.O_WRONLY), 4, -1)
        self.assertErrno(errno.EINVAL, os.readv, self.open_dev(os.O_RDONLY),
                         [bytearray(4)])
        self.assertErrno(errno.EINVAL, os.writev, self.open_dev(os.O_WRONLY), [b"x"])

    def test_lseek_is_espipe_and_a_bad_whence_einval(self):
        fd = self.open_dev(os.O_RDWR)
        for whence in (os.SEEK_SET, os.SEEK_CUR, os.SEEK_END, os.SEEK_DATA,
                       os.SEEK_HOLE):
            self.assertErrno(errno.ESPIPE, os.lseek, fd, 0, whence)
        self.assertErrno(errno.EINVAL, os.lseek, fd, 0, 5)

    def test_mmap_is_enodev_shared_or_private(self):
        fd = self.open_dev(os.O_RDWR)
        for flags in (mmap.MAP_SHARED, mmap.MAP_PRIVATE):
            with self.subTest(flags=flags):
                self.assertErrno(errno.ENODEV, raw, _libc.mmap, None, 4096,
                                 mmap.PROT_READ, flags, fd, 0)
        # python's mmap module reaches mmap(2) for a device: ENODEV too.
        with self.assertRaises(OSError) as cm:
            mmap.mmap(fd, 4096, mmap.MAP_SHARED)
        self.assertEqual(cm.exception.errno, errno.ENODEV)
        # do_mmap's checks come first: a write-only file cannot be mapped.
        wfd = self.open_dev(os.O_WRONLY)
        self.assertErrno(errno.EACCES, raw, _libc.mmap, None, 4096,
                         mmap.PROT_READ, mmap.MAP_SHARED, wfd, 0)
        self.assertErrno(errno.EINVAL, raw, _libc.mmap, None, 0,
                         mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        # proc: proc_reg_mmap without proc_mmap is EIO.
        self.assertErrno(errno.EIO, raw, _libc.mmap, None, 4096, mmap.PROT_READ,
                         mmap.MAP_PRIVATE, self.open_proc(), 0)

    def test_poll_and_select_report_the_default_mask(self):
        fd = self.open_dev(os.O_RDWR)
        pfd = self.open_proc()
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLOUT | select.POLLRDNORM |
                   select.POLLWRNORM)
        p.register(pfd, select.POLLIN)
        got = dict(p.poll(1000))
        self.assertEqual(got[fd], select.POLLIN | select.POLLOUT |
                         select.POLLRDNORM | select.POLLWRNORM)
        self.assertEqual(got[pfd], select.POLLIN)
        r, w, x = select.select([fd, pfd], [fd], [fd], 1)
        self.assertEqual((sorted(r), w, x), (sorted([fd, pfd]), [fd], []))

    # --- the VFS's own ioctls ----------------------------------------------------
    def test_vfs_ioctls_fionbio_fioclex_fioasync(self):
        """ABI.md: FIONBIO really sets/clears O_NONBLOCK, FIOCLEX/FIONCLEX
        FD_CLOEXEC, FIOASYNC(1) is ENOTTY with O_ASYNC clear, FIOASYNC(0) 0;
        on the device and on a proc file alike."""
        for name, fd in (("dev", self.open_dev(os.O_RDWR)),
                         ("proc", self.open_proc())):
            with self.subTest(file=name):
                self.assertEqual(fcntl.ioctl(fd, FIONBIO, struct.pack("i", 1)),
                                 struct.pack("i", 1))
                self.assertTrue(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
                self.assertFalse(os.get_blocking(fd))
                fcntl.ioctl(fd, FIONBIO, struct.pack("i", 0))
                self.assertFalse(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
                fcntl.ioctl(fd, FIONCLEX)
                self.assertEqual(fcntl.fcntl(fd, fcntl.F_GETFD), 0)
                fcntl.ioctl(fd, FIOCLEX)
                self.assertEqual(fcntl.fcntl(fd, fcntl.F_GETFD), fcntl.FD_CLOEXEC)
                self.assertErrno(errno.ENOTTY, fcntl.ioctl, fd, FIOASYNC,
                                 struct.pack("i", 1))
                self.assertFalse(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ASYNC)
                self.assertEqual(fcntl.ioctl(fd, FIOASYNC, struct.pack("i", 0)),
                                 struct.pack("i", 0))
                # Bad pointers: EFAULT, not a crash.
                self.assertErrno(errno.EFAULT, raw, _libc.ioctl, fd, FIONBIO, None)
                self.assertErrno(errno.EFAULT, raw, _libc.ioctl, fd, FIOASYNC, 16)

    def test_fionread_is_the_drivers_on_the_device_the_vfs_on_proc(self):
        dev = self.open_dev(os.O_RDWR)
        self.assertErrno(errno.EINVAL, fcntl.ioctl, dev, FIONREAD, b"\0" * 4)
        self.assertErrno(errno.EINVAL, fcntl.ioctl, dev, FIOQSIZE, b"\0" * 8)
        fd = self.open_proc()
        os.read(fd, 5)
        # i_size (0) - f_pos, as an int.
        self.assertEqual(fcntl.ioctl(fd, FIONREAD, b"\0" * 4), struct.pack("i", -5))
        self.assertEqual(fcntl.ioctl(fd, FIOQSIZE, b"\xff" * 8), b"\0" * 8)
        self.assertErrno(errno.ENOTTY, fcntl.ioctl, fd, 0x1234)

    # --- proc files: seq_file at every lseek, write is EIO ----------------------
    def test_lseek_to_a_new_offset_renders_again(self):
        """The inverse of the FUSE door's pinned difference: the kernel
        re-renders at lseek(3) and at lseek(10), so the text read is new."""
        fd = self.open_dev(os.O_WRONLY)
        h.set_result(fd, 11)
        pfd = self.open_proc()
        old = os.read(pfd, 10)
        h.set_result(fd, 22)
        os.lseek(pfd, 3, os.SEEK_SET)
        os.lseek(pfd, 10, os.SEEK_SET)
        new = self.read_all(self.result)
        self.assertEqual(old, new[:10])     # "Current Pr" in both texts
        self.assertNotEqual(self.read_all(self.result), b"")
        self.assertEqual(os.read(pfd, 4096), new[10:])
        self.assertIn(b"22", new[10:])

    def test_proc_zero_byte_write_is_eio(self):
        for path in (self.result, self.train):
            fd = self.open_proc(path, os.O_WRONLY)
            self.assertErrno(errno.EIO, os.write, fd, b"")
            self.assertErrno(errno.EIO, os.pwrite, fd, b"", 0)

    def test_proc_read_into_a_bad_buffer_is_efault(self):
        fd = self.open_proc()
        self.assertErrno(errno.EFAULT, raw, _libc.read, fd, None, 100)
        self.assertErrno(errno.EFAULT, raw, _libc.read, fd, 0xdead0000, 100)
        # Nothing was consumed: a good read gets the whole text.
        self.assertEqual(os.read(fd, 4096)[:20], b"Current Prediction: ")

    # --- open(2) -------------------------------------------------------------------
    def test_open_errors_the_vfs_gives(self):
        self.assertErrno(errno.EEXIST, os.open, self.dev,
                         os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self.assertErrno(errno.ENOTDIR, os.open, self.dev, os.O_RDONLY | os.O_DIRECTORY)
        self.assertErrno(errno.ENOTDIR, os.open, self.dev + "/", os.O_RDONLY)
        self.assertErrno(errno.EINVAL, os.open, self.dev, os.O_RDWR | os.O_DIRECT)
        self.assertErrno(errno.ENOENT, os.open, "/dev/mlcore_nonexistent", os.O_RDONLY)
        # O_CREAT of an existing node just opens it.
        os.close(os.open(self.dev, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))

    def test_getfl_shows_the_programs_access_mode_and_flags(self):
        for flags in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR):
            fd = self.open_dev(flags | os.O_NONBLOCK | os.O_APPEND)
            fl = fcntl.fcntl(fd, fcntl.F_GETFL)
            self.assertEqual(fl & os.O_ACCMODE, flags)
            self.assertTrue(fl & os.O_NONBLOCK and fl & os.O_APPEND)
            fcntl.fcntl(fd, fcntl.F_SETFL, 0)
            self.assertEqual(fcntl.fcntl(fd, fcntl.F_GETFL) & (os.O_NONBLOCK |
                                                               os.O_APPEND), 0)

    def test_getfl_is_what_the_kernel_shows_for_a_device(self):
        """F_GETFL of /dev/mlcore equals /dev/null's for the same open flags
        (what the VFS keeps, forces and drops), O_PATH included."""
        for flags in (os.O_RDONLY, os.O_WRONLY | os.O_TRUNC | os.O_CREAT,
                      os.O_RDWR | os.O_CLOEXEC | os.O_NOCTTY, os.O_RDONLY |
                      os.O_NOFOLLOW | os.O_SYNC, os.O_WRONLY | os.O_DSYNC |
                      os.O_NONBLOCK | os.O_APPEND, os.O_PATH, os.O_PATH |
                      os.O_NOFOLLOW):
            with self.subTest(flags=hex(flags)):
                fd = self.open_dev(flags)
                ref = os.open("/dev/null", flags)
                self.addCleanup(os.close, ref)
                self.assertEqual(hex(fcntl.fcntl(fd, fcntl.F_GETFL)),
                                 hex(fcntl.fcntl(ref, fcntl.F_GETFL)))
                self.assertEqual(fcntl.fcntl(fd, fcntl.F_GETFD),
                                 fcntl.fcntl(ref, fcntl.F_GETFD))

    def test_paths_relative_dirfd_dotdot_and_fd_links(self):
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir("/dev")
        fd = os.open("mlcore", os.O_RDWR)
        self.addCleanup(os.close, fd)
        self.assertEqual(h.set_result(fd, 5), 0)
        os.chdir("/proc/self")
        self.assertEqual(self.read_all("../mlcore_result")[:22],
                         b"Current Prediction: 5\n")
        os.chdir(cwd)
        dirfd = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, dirfd)
        pfd = os.open("mlcore_train", os.O_RDONLY, dir_fd=dirfd)
        self.addCleanup(os.close, pfd)
        self.assertTrue(stat.S_ISREG(os.fstat(pfd).st_mode))
        self.assertTrue(stat.S_ISCHR(os.stat("//dev/../dev///mlcore").st_mode))
        self.assertTrue(stat.S_ISCHR(os.stat("mlcore", dir_fd=os.open(
            "/dev", os.O_RDONLY)).st_mode))
        self.assertEqual(os.readlink(f"/proc/self/fd/{fd}"), "/dev/mlcore")
        self.assertEqual(os.readlink(f"/proc/{os.getpid()}/fd/{pfd}"),
                         "/proc/mlcore_train")
        # Reopening through /proc/self/fd is a new description.
        again = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
        self.addCleanup(os.close, again)
        self.assertEqual(h.get_result(again), 5)
        self.assertEqual(fcntl.fcntl(again, fcntl.F_GETFL) & os.O_ACCMODE, os.O_RDONLY)

    def test_other_paths_pass_through(self):
        self.assertEqual(self.read_all("/proc/self/comm").strip()[:6], b"python")
        with open("/dev/null", "wb") as f:
            f.write(b"x")
        self.assertIn("null", os.listdir("/dev"))
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode))
        self.assertEqual(os.major(os.stat("/dev/null").st_rdev), 1)

    def test_sendfile_and_copy_file_range(self):
        """sendfile from a proc file works (the door's read); a
        copy_file_range across filesystems is EXDEV (callers fall back)."""
        fd = self.open_dev(os.O_WRONLY)
        h.set_result(fd, 99)
        pfd = self.open_proc()
        out = os.path.join(self.base, "copy")
        ofd = os.open(out, os.O_WRONLY | os.O_CREAT, 0o600)
        self.addCleanup(os.close, ofd)
        n = os.sendfile(ofd, pfd, None, 4096)
        self.assertEqual(self.read_all(out), self.read_all(self.result))
        self.assertEqual(n, len(self.read_all(self.result)))
        self.assertErrno(errno.EXDEV, os.copy_file_range, self.open_proc(), ofd, 10)
        self.assertErrno(errno.EINVAL, os.copy_file_range, fd, ofd, 10)

    def test_cat_head_dd_grep(self):
        fd = self.open_dev(os.O_WRONLY)
        h.set_result(fd, 31337)
        text = self.read_all(self.result)
        for cmd in (["cat", self.result], ["head", "-c", "1000", self.result],
                    ["dd", f"if={self.result}", "bs=5", "status=none"],
                    ["grep", "", self.result]):
            with self.subTest(cmd=cmd[0]):
                p = subprocess.run(cmd, capture_output=True, timeout=h.CMD_TIMEOUT)
                self.assertEqual((p.returncode, p.stdout), (0, text), p.stderr)
        p = subprocess.run("cat < /proc/mlcore_result", shell=True,
                           capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.stdout, text)


    # --- descriptors without a driver file, locks, splice ----------------------
    # What the door answers today, pinned so that moving these answers into
    # the core's VFS model changes nothing.  Where the kernel is known to
    # answer otherwise the line says so (docs/door-differences.md).
    SYSDIR = "/sys/class/ml_lib_test"	# a served directory the host lacks

    def test_a_served_directory_descriptor(self):
        d = self.open_proc(self.SYSDIR, os.O_RDONLY | os.O_DIRECTORY)
        buf = ctypes.create_string_buffer(8)
        self.assertErrno(errno.EISDIR, os.read, d, 8)
        self.assertErrno(errno.EISDIR, raw, _libc.read, d, buf, 0)
        self.assertErrno(errno.EISDIR, os.write, d, b"x")	# kernel: EBADF
        self.assertErrno(errno.EISDIR, os.pread, d, 8, 0)
        self.assertErrno(errno.EINVAL, os.pread, d, 8, -1)
        self.assertErrno(errno.EISDIR, os.pwrite, d, b"x", 0)
        self.assertErrno(errno.EISDIR, os.readv, d, [bytearray(4)])
        self.assertErrno(errno.EISDIR, os.writev, d, [b"x"])
        self.assertEqual(os.lseek(d, 0, os.SEEK_SET), 0)
        self.assertErrno(errno.EINVAL, os.lseek, d, 1, os.SEEK_SET)
        self.assertErrno(errno.EINVAL, os.lseek, d, 0, os.SEEK_CUR)	# kernel: 0
        self.assertErrno(errno.EINVAL, os.lseek, d, 0, 7)
        self.assertErrno(errno.ENOTTY, raw, _libc.ioctl, d, 0x80086601, buf)
        self.assertEqual(raw(_libc.ioctl, d, FIOCLEX, None), 0)
        self.assertEqual(raw(_libc.ioctl, d, FIONCLEX, None), 0)
        n = ctypes.c_int(7)
        self.assertEqual(raw(_libc.ioctl, d, FIONREAD, ctypes.byref(n)), 0)
        self.assertEqual(n.value, 0)				# kernel: ENOTTY
        for flags in (mmap.MAP_SHARED, mmap.MAP_PRIVATE):
            self.assertErrno(errno.ENODEV, raw, _libc.mmap, None, 4096,
                             mmap.PROT_READ, flags, d, 0)
        p = select.poll()
        p.register(d, select.POLLIN | select.POLLOUT | select.POLLRDNORM |
                   select.POLLWRNORM | select.POLLPRI)
        self.assertEqual(dict(p.poll(0))[d], select.POLLIN | select.POLLOUT |
                         select.POLLRDNORM | select.POLLWRNORM)
        self.assertEqual(sorted(os.listdir(d)), ["mllibdev"])

    def test_an_o_path_descriptor(self):
        for path in (self.dev, self.result, self.SYSDIR):
            with self.subTest(path=path):
                fd = self.open_proc(path, os.O_PATH)
                buf = ctypes.create_string_buffer(8)
                self.assertErrno(errno.EBADF, os.read, fd, 8)
                self.assertErrno(errno.EBADF, os.write, fd, b"x")
                self.assertErrno(errno.EBADF, os.pread, fd, 8, 0)
                self.assertErrno(errno.EINVAL, os.pread, fd, 8, -1)	# kernel: EBADF
                self.assertErrno(errno.EBADF, os.pwrite, fd, b"x", 0)
                self.assertErrno(errno.EBADF, os.readv, fd, [bytearray(4)])
                self.assertErrno(errno.EBADF, os.writev, fd, [b"x"])
                self.assertErrno(errno.EBADF, os.lseek, fd, 0, os.SEEK_SET)
                self.assertErrno(errno.EINVAL, os.lseek, fd, 0, 7)	# kernel: EBADF
                self.assertErrno(errno.EBADF, raw, _libc.ioctl, fd, FIOCLEX, None)
                self.assertErrno(errno.EBADF, raw, _libc.ioctl, fd, 0x80086601, buf)
                self.assertErrno(errno.EBADF, raw, _libc.mmap, None, 4096,
                                 mmap.PROT_READ, mmap.MAP_PRIVATE, fd, 0)
                p = select.poll()
                p.register(fd, select.POLLIN)
                self.assertEqual(dict(p.poll(0))[fd], select.POLLNVAL)
                # kernel: EBADF for both (fcntl's locks and flock need a file)
                fcntl.flock(fd, fcntl.LOCK_EX)
                fcntl.lockf(fd, fcntl.LOCK_EX)
        # kernel: EBADF (getdents64 of an O_PATH descriptor)
        self.assertEqual(os.listdir(self.open_proc(self.SYSDIR, os.O_PATH)),
                         ["mllibdev"])

    def test_record_locks_are_accepted_never_contended(self):
        flock_fmt = "@hhqqi4x"
        for name, fd in (("dev", self.open_dev(os.O_RDWR)),
                         ("proc", self.open_proc()),
                         ("dir", self.open_proc(self.SYSDIR, os.O_DIRECTORY))):
            with self.subTest(file=name):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.lockf(fd, fcntl.LOCK_UN)
                want = struct.pack(flock_fmt, fcntl.F_WRLCK, 0, 0, 0, 0)
                got = fcntl.fcntl(fd, fcntl.F_GETLK, want)
                self.assertEqual(struct.unpack(flock_fmt, got)[0], fcntl.F_UNLCK)
                self.assertEqual(struct.unpack(flock_fmt, got)[1:], (0, 0, 0, 0))
                fcntl.fcntl(fd, fcntl.F_SETLK, want)
                fcntl.fcntl(fd, fcntl.F_SETLKW, want)
                for cmd in (fcntl.F_GETLK, fcntl.F_SETLK):
                    self.assertErrno(errno.EFAULT, raw, _libc.fcntl, fd, cmd,
                                     ctypes.c_void_p(8))
        # Another process's lock never conflicts either.
        fd = self.open_dev(os.O_RDWR)
        fcntl.lockf(fd, fcntl.LOCK_EX)
        p = subprocess.run(["flock", "-n", self.dev, "true"],
                           capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_splice_and_copy_file_range_of_every_kind(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        dfd = self.open_proc(self.SYSDIR, os.O_DIRECTORY)
        out = os.path.join(self.base, "cfr")
        ofd = os.open(out, os.O_WRONLY | os.O_CREAT, 0o600)
        self.addCleanup(os.close, ofd)
        for name, fd in (("dev", self.open_dev(os.O_RDWR)),
                         ("proc", self.open_proc()), ("dir", dfd)):
            with self.subTest(file=name):
                self.assertErrno(errno.EINVAL, os.splice, fd, w, 10)
                self.assertErrno(errno.EINVAL, os.splice, r, fd, 10)
        self.assertErrno(errno.EINVAL, os.copy_file_range, dfd, ofd, 10)	# kernel: EISDIR
        self.assertErrno(errno.EINVAL, os.copy_file_range, ofd, dfd, 10)
        self.assertErrno(errno.EXDEV, os.copy_file_range, ofd, self.open_proc(), 10)
        self.assertErrno(errno.EXDEV, os.copy_file_range,
                         self.open_proc(flags=os.O_PATH), ofd, 10)	# kernel: EBADF
        self.assertErrno(errno.EXDEV, os.copy_file_range, self.open_proc(),
                         self.open_proc(flags=os.O_PATH), 10)

    def test_extended_attributes_a_served_node_has_none(self):
        for name, path in (("dev", self.dev), ("proc", self.result),
                           ("dir", self.SYSDIR)):
            with self.subTest(file=name):
                fd = self.open_proc(path, os.O_RDONLY)
                for target in (path, fd):
                    self.assertErrno(errno.ENODATA, os.getxattr, target, "user.x")
                    self.assertEqual(os.listxattr(target), [])
                    self.assertErrno(errno.ENOTSUP, os.setxattr, target, "user.x", b"1")
                    self.assertErrno(errno.ENOTSUP, os.removexattr, target, "user.x")
                self.assertErrno(errno.ENODATA, os.getxattr, path, "user.x",
                                 follow_symlinks=False)
                self.assertErrno(errno.ENOTSUP, os.setxattr, path, "user.x", b"1",
                                 follow_symlinks=False)
        self.assertErrno(errno.ENOTDIR, os.listdir, self.result)

if __name__ == "__main__":
    h.main()
