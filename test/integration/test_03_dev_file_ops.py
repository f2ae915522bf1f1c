#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 3 (ABI.md: Device node; "Where a door cannot be exact"): read,
write, lseek and mmap on ROOT/dev/mlcore, which has no such handlers.

The FUSE door serves /dev/mlcore as a regular file, so two answers differ
from the real character device; the tests named test_pinned_door_difference_*
pin what the door actually does (documented differences, ABI.md "Where a
door cannot be exact"), so that a change in either direction is noticed.
"""
import ctypes
import errno
import mmap
import os

import harness as h

MODES = {"O_RDONLY": os.O_RDONLY, "O_WRONLY": os.O_WRONLY, "O_RDWR": os.O_RDWR}

# Python's mmap module refuses a length beyond st_size (0 here, a regular
# file) with ValueError before any syscall, so mmap(2) is called directly.
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                       ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value


def sys_mmap(fd, length, prot, flags):
    """mmap(2); returns the address or raises OSError."""
    ctypes.set_errno(0)
    addr = _libc.mmap(None, length, prot, flags, fd, 0)
    if addr == MAP_FAILED or addr is None:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return addr


class DevFileOpsTest(h.EmuTestCase):

    def test_open_every_access_mode_succeeds(self):
        for name, flags in MODES.items():
            with self.subTest(mode=name):
                fd = os.open(self.dev, flags)
                os.close(fd)

    def test_read_10(self):
        """read(10): EINVAL (no read handler), EBADF on an O_WRONLY fd."""
        for name, flags, err in (("O_RDONLY", os.O_RDONLY, errno.EINVAL),
                                 ("O_RDWR", os.O_RDWR, errno.EINVAL),
                                 ("O_WRONLY", os.O_WRONLY, errno.EBADF)):
            with self.subTest(mode=name):
                fd = self.open_dev(flags)
                self.assertErrno(err, os.read, fd, 10)
                self.assertErrno(err, os.read, fd, 1)
                self.assertErrno(err, os.read, fd, 65536)

    def test_write_x(self):
        """write(b'x'): EINVAL (no write handler), EBADF on O_RDONLY."""
        for name, flags, err in (("O_WRONLY", os.O_WRONLY, errno.EINVAL),
                                 ("O_RDWR", os.O_RDWR, errno.EINVAL),
                                 ("O_RDONLY", os.O_RDONLY, errno.EBADF)):
            with self.subTest(mode=name):
                fd = self.open_dev(flags)
                self.assertErrno(err, os.write, fd, b"x")
                self.assertErrno(err, os.write, fd, b"x" * 4096)

    def test_zero_byte_io_on_the_wrong_access_mode_is_ebadf(self):
        """The access-mode check comes before the 0-byte shortcut."""
        self.assertErrno(errno.EBADF, os.read, self.open_dev(os.O_WRONLY), 0)
        self.assertErrno(errno.EBADF, os.write, self.open_dev(os.O_RDONLY), b"")

    def test_pinned_door_difference_zero_byte_read_write_return_0(self):
        """PINNED DOOR DIFFERENCE (ABI.md "Where a door cannot be exact"):
        the real device answers read(fd, 0) and write(fd, "", 0) with EINVAL;
        on a FUSE file the kernel returns 0 without asking the server."""
        for name, flags in (("O_RDONLY", os.O_RDONLY), ("O_RDWR", os.O_RDWR)):
            with self.subTest(op="read(0)", mode=name):
                self.assertEqual(os.read(self.open_dev(flags), 0), b"")
        for name, flags in (("O_WRONLY", os.O_WRONLY), ("O_RDWR", os.O_RDWR)):
            with self.subTest(op="write(0)", mode=name):
                self.assertEqual(os.write(self.open_dev(flags), b""), 0)

    def test_lseek_is_espipe(self):
        for name, flags in MODES.items():
            fd = self.open_dev(flags)
            for whence in (os.SEEK_SET, os.SEEK_CUR, os.SEEK_END,
                           os.SEEK_DATA, os.SEEK_HOLE):
                for off in (0, 5, -1):
                    with self.subTest(mode=name, whence=whence, offset=off):
                        self.assertErrno(errno.ESPIPE, os.lseek, fd, off, whence)

    def test_pread_pwrite_are_espipe(self):
        """A non-seekable file refuses positioned I/O too."""
        self.assertErrno(errno.ESPIPE, os.pread, self.open_dev(os.O_RDONLY), 4, 0)
        self.assertErrno(errno.ESPIPE, os.pwrite, self.open_dev(os.O_WRONLY),
                         b"x", 0)

    def test_mmap_shared_is_enodev(self):
        for name, flags, prot in (("O_RDONLY", os.O_RDONLY, mmap.PROT_READ),
                                  ("O_RDWR", os.O_RDWR,
                                   mmap.PROT_READ | mmap.PROT_WRITE)):
            with self.subTest(mode=name):
                fd = self.open_dev(flags)
                self.assertErrno(errno.ENODEV, sys_mmap, fd, 4096, prot,
                                 mmap.MAP_SHARED)

    def test_pinned_door_difference_python_mmap_module_sees_a_size_0_file(self):
        """PINNED DOOR DIFFERENCE: python's mmap module checks st_size first
        for a regular file (the door's /dev/mlcore is one, size 0) and raises
        ValueError without calling mmap(2); on the real character device it
        reaches the kernel and gets ENODEV."""
        fd = self.open_dev(os.O_RDWR)
        with self.assertRaises(ValueError):
            mmap.mmap(fd, 4096, mmap.MAP_SHARED)

    def test_pinned_door_difference_mmap_private_succeeds(self):
        """PINNED DOOR DIFFERENCE (ABI.md lists mmap): a private mapping of
        a FUSE direct-I/O file goes to the page cache and succeeds; the real
        device (no mmap handler) answers ENODEV for every mapping."""
        fd = self.open_dev(os.O_RDONLY)
        addr = sys_mmap(fd, 4096, mmap.PROT_READ, mmap.MAP_PRIVATE)
        _libc.munmap(addr, 4096)

    def test_poll_reports_the_default_mask(self):
        """No poll handler: readable and writable (DEFAULT_POLLMASK)."""
        import select
        fd = self.open_dev(os.O_RDWR)
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLOUT | select.POLLPRI)
        self.assertEqual(p.poll(0), [(fd, select.POLLIN | select.POLLOUT)])

    def test_stat_is_a_regular_file(self):
        """The door serves the device node as a regular file (ABI.md "Where
        a door cannot be exact"), mode 0666, size 0."""
        st = os.stat(self.dev)
        self.assertEqual(st.st_mode, 0o100666)
        self.assertEqual(st.st_size, 0)


if __name__ == "__main__":
    h.main()
