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
F_ULOCK, F_LOCK, F_TLOCK, F_TEST = 0, 1, 2, 3	# lockf(3)
FLOCK_FMT = "@hhqqi4x"				# struct flock, x86_64

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                       ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
_libc.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
_libc.read.restype = ctypes.c_ssize_t
_libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
_libc.write.restype = ctypes.c_ssize_t
_libc.readv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
_libc.readv.restype = ctypes.c_ssize_t
_libc.writev.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
_libc.writev.restype = ctypes.c_ssize_t
_libc.lockf.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.copy_file_range.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                  ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint]
_libc.copy_file_range.restype = ctypes.c_ssize_t
MAP_FAILED = ctypes.c_void_p(-1).value


def raw(fn, *args):
    """A libc call through ctypes: its result, or OSError with errno."""
    ctypes.set_errno(0)
    r = fn(*args)
    if r == -1 or (fn is _libc.mmap and r == MAP_FAILED):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def outcome(fn, *args):
    """What a call answers: ("ok", its result) or ("errno", the name)."""
    try:
        return ("ok", fn(*args))
    except OSError as e:
        return ("errno", errno.errorcode.get(e.errno, e.errno))


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


    # --- descriptors without a driver file, locks, copies ----------------------
    # Differential: each call is made on a real object of the host's kernel
    # of the same kind (a sysfs directory, a proc file, a character device)
    # and on the served one, and must answer the same (errno or result).
    SYSDIR = "/sys/class/ml_lib_test"	# a served directory the host lacks
    HOSTDIR = "/sys/kernel"		# a real sysfs (kernfs) directory

    def same_answers(self, calls, host_fd, served_fd):
        """Runs calls (name, fn(fd)) in order on each descriptor."""
        host = [(name, outcome(fn, host_fd)) for name, fn in calls]
        served = [(name, outcome(fn, served_fd)) for name, fn in calls]
        self.assertEqual(served, host)

    def test_a_served_directory_descriptor(self):
        dflags = os.O_RDONLY | os.O_DIRECTORY
        buf = ctypes.create_string_buffer(8)
        iov0 = (ctypes.c_void_p * 2)(0, 0)
        iov_bad_base = (ctypes.c_void_p * 2)(8, 4)
        n = ctypes.c_int(7)

        def mm(length, prot, flags, off=0):
            return lambda d: raw(_libc.mmap, None, length, prot, flags, d, off)

        def polled(d):
            p = select.poll()
            p.register(d, select.POLLIN | select.POLLOUT | select.POLLRDNORM |
                       select.POLLWRNORM | select.POLLPRI)
            return dict(p.poll(0))[d]
        rw = mmap.PROT_READ | mmap.PROT_WRITE
        calls = [
            ("read", lambda d: os.read(d, 8)),
            ("read 0", lambda d: raw(_libc.read, d, buf, 0)),
            ("write", lambda d: os.write(d, b"x")),
            ("write 0", lambda d: os.write(d, b"")),
            ("pread", lambda d: os.pread(d, 8, 0)),
            ("pread -1", lambda d: os.pread(d, 8, -1)),
            ("pwrite", lambda d: os.pwrite(d, b"x", 0)),
            ("pwrite -1", lambda d: os.pwrite(d, b"x", -1)),
            ("readv", lambda d: os.readv(d, [bytearray(4)])),
            ("readv []", lambda d: os.readv(d, [])),
            ("readv bad base", lambda d: raw(_libc.readv, d, iov_bad_base, 1)),
            ("readv bad iovec", lambda d: raw(_libc.readv, d, ctypes.c_void_p(8), 1)),
            ("readv 0 bytes", lambda d: raw(_libc.readv, d, iov0, 1)),
            ("readv -1", lambda d: raw(_libc.readv, d, iov0, -1)),
            ("readv 1025", lambda d: raw(_libc.readv, d, iov0, 1025)),
            ("writev", lambda d: os.writev(d, [b"x"])),
            ("writev []", lambda d: os.writev(d, [])),
            ("writev -1", lambda d: raw(_libc.writev, d, iov0, -1)),
            # the description's position: generic_file_llseek over size 0
            ("lseek 0 SET", lambda d: os.lseek(d, 0, os.SEEK_SET)),
            ("lseek 1 SET", lambda d: os.lseek(d, 1, os.SEEK_SET)),
            ("lseek 0 CUR", lambda d: os.lseek(d, 0, os.SEEK_CUR)),
            ("lseek 5 CUR", lambda d: os.lseek(d, 5, os.SEEK_CUR)),
            ("lseek -100 CUR", lambda d: os.lseek(d, -100, os.SEEK_CUR)),
            ("lseek -1 SET", lambda d: os.lseek(d, -1, os.SEEK_SET)),
            ("lseek 2^31-1", lambda d: os.lseek(d, 2**31 - 1, os.SEEK_SET)),
            ("lseek 2^31", lambda d: os.lseek(d, 2**31, os.SEEK_SET)),
            ("lseek 0 CUR again", lambda d: os.lseek(d, 0, os.SEEK_CUR)),
            ("lseek 5 END", lambda d: os.lseek(d, 5, os.SEEK_END)),
            ("lseek -1 END", lambda d: os.lseek(d, -1, os.SEEK_END)),
            ("lseek DATA", lambda d: os.lseek(d, 0, os.SEEK_DATA)),
            ("lseek HOLE", lambda d: os.lseek(d, 0, os.SEEK_HOLE)),
            ("lseek whence 7", lambda d: os.lseek(d, 0, 7)),
            ("lseek 0 SET back", lambda d: os.lseek(d, 0, os.SEEK_SET)),
            ("ioctl 0x80086601", lambda d: raw(_libc.ioctl, d, 0x80086601, buf)),
            ("FIOCLEX", lambda d: raw(_libc.ioctl, d, FIOCLEX, None)),
            ("FIONCLEX", lambda d: raw(_libc.ioctl, d, FIONCLEX, None)),
            ("FIONREAD", lambda d: raw(_libc.ioctl, d, FIONREAD, ctypes.byref(n))),
            ("FIOQSIZE", lambda d: fcntl.ioctl(d, FIOQSIZE, bytes(8))),
            ("mmap len 0", mm(0, mmap.PROT_READ, mmap.MAP_SHARED)),
            ("mmap len 0 rw shared", mm(0, rw, mmap.MAP_SHARED)),
            ("mmap rw shared", mm(4096, rw, mmap.MAP_SHARED)),
            ("mmap rw private", mm(4096, rw, mmap.MAP_PRIVATE)),
            ("mmap shared", mm(4096, mmap.PROT_READ, mmap.MAP_SHARED)),
            ("mmap private", mm(4096, mmap.PROT_READ, mmap.MAP_PRIVATE)),
            ("poll", polled),
        ]
        self.same_answers(calls, self.open_proc(self.HOSTDIR, dflags),
                          self.open_proc(self.SYSDIR, dflags))
        self.assertEqual(n.value, 7)	# FIONREAD wrote nothing
        self.assertEqual(sorted(os.listdir(self.open_proc(self.SYSDIR, dflags))),
                         ["mllibdev"])

    def test_an_o_path_descriptor(self):
        """An O_PATH descriptor of the device, a proc file, a sysfs
        directory answers as the host's of the same kind: fdget() refuses
        it (EBADF) after the checks made before it (a negative offset,
        a bad flock op)."""
        buf = ctypes.create_string_buffer(8)
        wrlck = struct.pack(FLOCK_FMT, fcntl.F_WRLCK, 0, 0, 0, 0)
        rdlck = struct.pack(FLOCK_FMT, fcntl.F_RDLCK, 0, 0, 0, 0)

        def polled(fd):
            p = select.poll()
            p.register(fd, select.POLLIN)
            return dict(p.poll(0))[fd]
        calls = [
            ("read", lambda fd: os.read(fd, 8)),
            ("write", lambda fd: os.write(fd, b"x")),
            ("pread", lambda fd: os.pread(fd, 8, 0)),
            ("pread -1", lambda fd: os.pread(fd, 8, -1)),
            ("pwrite", lambda fd: os.pwrite(fd, b"x", 0)),
            ("pwrite -1", lambda fd: os.pwrite(fd, b"x", -1)),
            ("readv", lambda fd: os.readv(fd, [bytearray(4)])),
            ("writev", lambda fd: os.writev(fd, [b"x"])),
            ("lseek", lambda fd: os.lseek(fd, 0, os.SEEK_SET)),
            ("lseek whence 7", lambda fd: os.lseek(fd, 0, 7)),
            ("FIOCLEX", lambda fd: raw(_libc.ioctl, fd, FIOCLEX, None)),
            ("ioctl 0x80086601", lambda fd: raw(_libc.ioctl, fd, 0x80086601, buf)),
            ("mmap", lambda fd: raw(_libc.mmap, None, 4096, mmap.PROT_READ,
                                    mmap.MAP_PRIVATE, fd, 0)),
            ("poll", polled),
            ("flock", lambda fd: fcntl.flock(fd, fcntl.LOCK_EX)),
            ("flock bad op", lambda fd: fcntl.flock(fd, 0)),
            ("fcntl.lockf", lambda fd: fcntl.lockf(fd, fcntl.LOCK_EX)),
            ("C lockf", lambda fd: raw(_libc.lockf, fd, F_TLOCK, 0)),
            ("F_SETLK wr", lambda fd: fcntl.fcntl(fd, fcntl.F_SETLK, wrlck)),
            ("F_SETLK rd", lambda fd: fcntl.fcntl(fd, fcntl.F_SETLK, rdlck)),
            ("F_GETLK", lambda fd: fcntl.fcntl(fd, fcntl.F_GETLK, wrlck)),
            ("F_GETLK bad ptr", lambda fd: raw(_libc.fcntl, fd, fcntl.F_GETLK,
                                               ctypes.c_void_p(8))),
            ("listdir", lambda fd: os.listdir(fd)),
        ]
        for path, host in ((self.dev, "/dev/null"), (self.result, "/proc/version"),
                           (self.SYSDIR, self.HOSTDIR)):
            with self.subTest(path=path):
                self.same_answers(calls, self.open_proc(host, os.O_PATH),
                                  self.open_proc(path, os.O_PATH))

    def test_record_locks_are_accepted_never_contended(self):
        """Every lock call answers as on the host's file of the same kind
        opened the same way (a write lock needs a writable description, a
        read lock a readable one, flock neither); granted locks are never
        contended."""
        def lk(cmd, typ):
            return lambda fd: struct.unpack(FLOCK_FMT, fcntl.fcntl(
                fd, cmd, struct.pack(FLOCK_FMT, typ, 0, 0, 0, 0)))
        calls = [
            ("flock EX", lambda fd: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
            ("flock UN", lambda fd: fcntl.flock(fd, fcntl.LOCK_UN)),
            ("flock bad op", lambda fd: fcntl.flock(fd, 0)),
            ("fcntl.lockf EX", lambda fd: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
            ("fcntl.lockf SH", lambda fd: fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)),
            ("fcntl.lockf UN", lambda fd: fcntl.lockf(fd, fcntl.LOCK_UN)),
            ("C lockf TLOCK", lambda fd: raw(_libc.lockf, fd, F_TLOCK, 0)),
            ("C lockf TEST", lambda fd: raw(_libc.lockf, fd, F_TEST, 0)),
            ("C lockf ULOCK", lambda fd: raw(_libc.lockf, fd, F_ULOCK, 0)),
            ("C lockf bad cmd", lambda fd: raw(_libc.lockf, fd, 9, 0)),
            ("F_GETLK wr", lk(fcntl.F_GETLK, fcntl.F_WRLCK)),
            ("F_GETLK rd", lk(fcntl.F_GETLK, fcntl.F_RDLCK)),
            ("F_GETLK unlck", lk(fcntl.F_GETLK, fcntl.F_UNLCK)),
            ("F_SETLK wr", lk(fcntl.F_SETLK, fcntl.F_WRLCK)),
            ("F_SETLKW wr", lk(fcntl.F_SETLKW, fcntl.F_WRLCK)),
            ("F_SETLK rd", lk(fcntl.F_SETLK, fcntl.F_RDLCK)),
            ("F_SETLK type 7", lk(fcntl.F_SETLK, 7)),
            ("F_SETLK unlck", lk(fcntl.F_SETLK, fcntl.F_UNLCK)),
            ("F_GETLK bad ptr", lambda fd: raw(_libc.fcntl, fd, fcntl.F_GETLK,
                                               ctypes.c_void_p(8))),
            ("F_SETLK bad ptr", lambda fd: raw(_libc.fcntl, fd, fcntl.F_SETLK,
                                               ctypes.c_void_p(8))),
        ]
        for name, path, host, flags in (
                ("dev", self.dev, "/dev/null", os.O_RDWR),
                ("dev ro", self.dev, "/dev/null", os.O_RDONLY),
                ("dev wo", self.dev, "/dev/null", os.O_WRONLY),
                ("proc", self.result, "/proc/version", os.O_RDONLY),
                ("dir", self.SYSDIR, self.HOSTDIR, os.O_DIRECTORY)):
            with self.subTest(file=name):
                self.same_answers(calls, self.open_proc(host, flags),
                                  self.open_proc(path, flags))
        # Another process's lock never conflicts either (the kernel's
        # would: docs/door-differences.md).
        fd = self.open_dev(os.O_RDWR)
        fcntl.lockf(fd, fcntl.LOCK_EX)
        raw(_libc.lockf, fd, F_LOCK, 0)
        p = subprocess.run(["flock", "-n", self.dev, "true"],
                           capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_splice_and_copy_file_range_of_every_kind(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        for name, fd in (("dev", self.open_dev(os.O_RDWR)),
                         ("proc", self.open_proc()),
                         ("dir", self.open_proc(self.SYSDIR, os.O_DIRECTORY))):
            with self.subTest(file=name):
                self.assertErrno(errno.EINVAL, os.splice, fd, w, 10)
                self.assertErrno(errno.EINVAL, os.splice, r, fd, 10)
        # copy_file_range against a file of this filesystem, each way.
        out = os.path.join(self.base, "cfr")
        wfd = os.open(out, os.O_WRONLY | os.O_CREAT, 0o600)
        self.addCleanup(os.close, wfd)
        rfd = self.open_proc(out, os.O_RDONLY)
        calls = [
            ("from", lambda fd: os.copy_file_range(fd, wfd, 10)),
            ("from 0 bytes", lambda fd: os.copy_file_range(fd, wfd, 0)),
            ("to", lambda fd: os.copy_file_range(rfd, fd, 10)),
            ("to from write-only", lambda fd: os.copy_file_range(wfd, fd, 10)),
            ("itself", lambda fd: os.copy_file_range(fd, fd, 10)),
            ("flags 1", lambda fd: raw(_libc.copy_file_range, fd, None, wfd,
                                       None, 10, 1)),
        ]
        for name, path, host, flags in (
                ("dev", self.dev, "/dev/null", os.O_RDWR),
                ("proc", self.result, "/proc/version", os.O_RDONLY),
                ("dir", self.SYSDIR, self.HOSTDIR, os.O_DIRECTORY),
                ("proc O_PATH", self.result, "/proc/version", os.O_PATH),
                ("dir O_PATH", self.SYSDIR, self.HOSTDIR, os.O_PATH)):
            with self.subTest(file=name):
                self.same_answers(calls, self.open_proc(host, flags),
                                  self.open_proc(path, flags))

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
