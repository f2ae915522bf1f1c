#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The preload door's path walk against the kernel's (fs/namei.c): ".."
after a non-directory, trailing slashes, host symlinks into the served
trees, /proc/self/{root,cwd,fd/N}, relative paths and dirfds, ELOOP and
ENAMETOOLONG (defect D7).

The oracle: the same shape of path on a real kernel file of the host
(/proc/version, a regular proc file like /proc/mlcore_result; /proc/sys
for a directory) gives the kernel's own answer; each case asserts that the
served path answers exactly that.

Run by run_under_preload.py (each class inside `mlcore-emu run` with a fresh
instance).  Standard library only.
"""
import errno
import os
import stat
import subprocess
import tempfile

import preload_harness  # noqa: F401  (patches the harness)
import harness as h

RESULT = "/proc/mlcore_result"
TRAIN = "/proc/mlcore_train"
HOSTFILE = "/proc/version"	# the kernel's own regular proc file
SYS = "/sys/class/ml_lib_test/mllibdev"
CONTROL = SYS + "/ml_model1/control"


def errno_of(fn, *args, **kw):
    """The errno fn raises, or None when it succeeds (closing an fd)."""
    try:
        r = fn(*args, **kw)
    except OSError as e:
        return errno.errorcode[e.errno]
    if fn is os.open:
        os.close(r)
    return None


class PathWalkTest(h.EmuTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="mlc-walk-")
        self.addCleanup(self.rm_tmp)

    def rm_tmp(self):
        for name in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, name))
        os.rmdir(self.tmp)

    def link(self, name, target):
        p = os.path.join(self.tmp, name)
        os.symlink(target, p)
        return p

    def same(self, served, host, *how):
        """served answers what the kernel answers for the host's path."""
        want = errno_of(os.open, host, os.O_RDONLY, *how)
        self.assertEqual(errno_of(os.open, served, os.O_RDONLY, *how), want,
                         f"open({served[:60]!r}) vs the kernel's open({host[:60]!r})")
        return want

    def chdir(self, d):
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir(d)

    # --- ".." and components after a non-directory -------------------------

    def test_dotdot_after_a_proc_file_is_enotdir(self):
        self.assertEqual(self.same(RESULT + "/../mlcore_train",
                                   HOSTFILE + "/../version"), "ENOTDIR")
        self.assertEqual(errno_of(os.stat, RESULT + "/../mlcore_train"), "ENOTDIR")
        self.assertEqual(errno_of(os.lstat, RESULT + "/.."),
                         errno_of(os.lstat, HOSTFILE + "/.."))
        self.assertFalse(os.access(RESULT + "/..", os.F_OK))

    def test_dotdot_after_control_is_enotdir(self):
        self.assertTrue(stat.S_ISREG(os.stat(CONTROL).st_mode))
        self.assertEqual(self.same(CONTROL + "/..", HOSTFILE + "/.."), "ENOTDIR")
        self.assertEqual(self.same(CONTROL + "/.", HOSTFILE + "/."), "ENOTDIR")
        self.assertEqual(errno_of(os.listdir, CONTROL + "/.."), "ENOTDIR")

    def test_a_name_under_the_device_is_enotdir(self):
        self.assertEqual(self.same("/dev/mlcore/x", HOSTFILE + "/x"), "ENOTDIR")
        self.assertEqual(errno_of(os.stat, "/dev/mlcore/x"), "ENOTDIR")
        self.assertEqual(errno_of(os.lstat, "/dev/mlcore/x/y"), "ENOTDIR")

    def test_trailing_slash_on_a_file_is_enotdir(self):
        self.assertEqual(self.same(RESULT + "/", HOSTFILE + "/"), "ENOTDIR")
        self.assertEqual(self.same("/dev/mlcore/", HOSTFILE + "//"), "ENOTDIR")
        self.assertEqual(errno_of(os.stat, CONTROL + "/"), "ENOTDIR")

    def test_repeated_slashes_and_dotdot_at_the_root(self):
        self.assertEqual(self.same("//proc///mlcore_result", "//proc///version"), None)
        self.assertEqual(self.same("/../proc/./mlcore_result", "/../proc/./version"), None)
        self.assertTrue(stat.S_ISCHR(os.stat("///dev//./mlcore").st_mode))

    def test_dotdot_from_a_served_directory_lands_on_its_parent(self):
        self.assertEqual(os.stat(SYS + "/..").st_ino,
                         os.stat("/sys/class/ml_lib_test").st_ino)
        self.assertEqual(sorted(os.listdir(SYS + "/ml_model1/..")),
                         sorted(os.listdir(SYS)))
        # Out of the served tree into the host's /sys/class: the host's
        # directory, listed with the table's entries it lacks.
        up = os.listdir("/sys/class/ml_lib_test/..")
        self.assertEqual(sorted(up), sorted(os.listdir("/sys/class")))
        self.assertIn("ml_lib_test", up)
        self.assertEqual(os.stat(SYS + "/../../../kernel").st_ino,
                         os.stat("/sys/kernel").st_ino)
        self.assertEqual(self.read_all(SYS + "/../../../../proc/version"),
                         self.read_all(HOSTFILE))

    # --- relative paths and dirfds ------------------------------------------

    def test_relative_paths_after_chdir_into_proc(self):
        self.chdir("/proc")
        self.assertEqual(self.read_all("mlcore_result")[:20],
                         self.read_all(RESULT)[:20])
        self.assertEqual(self.same("./mlcore_train", "./version"), None)
        self.assertEqual(self.same("../proc/mlcore_train", "../proc/version"), None)
        self.assertEqual(self.same("mlcore_result/..", "version/.."), "ENOTDIR")
        self.chdir("/proc/self")
        self.assertEqual(self.same("../mlcore_result", "../version"), None)

    def test_openat_with_a_dirfd_of_proc(self):
        d = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, d)
        for path, want in (("mlcore_result", None), ("./mlcore_train", None),
                           ("../proc/mlcore_result", None),
                           ("mlcore_result/..", "ENOTDIR"),
                           ("mlcore_result/", "ENOTDIR")):
            host = path.replace("mlcore_result", "version").replace(
                "mlcore_train", "version")
            self.assertEqual(errno_of(os.open, host, os.O_RDONLY, dir_fd=d), want)
            self.assertEqual(errno_of(os.open, path, os.O_RDONLY, dir_fd=d), want,
                             path)
        # A served file as the dirfd: ENOTDIR, as a kernel file gives.
        f = os.open(RESULT, os.O_RDONLY)
        self.addCleanup(os.close, f)
        v = os.open(HOSTFILE, os.O_RDONLY)
        self.addCleanup(os.close, v)
        self.assertEqual(errno_of(os.open, "x", os.O_RDONLY, dir_fd=v), "ENOTDIR")
        self.assertEqual(errno_of(os.open, "x", os.O_RDONLY, dir_fd=f), "ENOTDIR")

    # --- host symlinks --------------------------------------------------------

    def test_a_symlink_to_a_served_file_opens_it(self):
        ln = self.link("result", RESULT)
        self.assertEqual(self.read_all(ln)[:20], self.read_all(RESULT)[:20])
        self.assertTrue(stat.S_ISREG(os.stat(ln).st_mode))
        self.assertEqual(os.stat(ln).st_ino, os.stat(RESULT).st_ino)
        # lstat of the symlink itself is the host's.
        self.assertTrue(stat.S_ISLNK(os.lstat(ln).st_mode))
        self.assertEqual(os.readlink(ln), RESULT)
        self.assertTrue(os.access(ln, os.R_OK))
        dev = self.link("dev", "/dev/mlcore")
        self.assertTrue(stat.S_ISCHR(os.stat(dev).st_mode))
        fd = os.open(dev, os.O_RDWR)
        self.addCleanup(os.close, fd)
        self.assertEqual(h.set_result(fd, 7), 0)
        self.assertEqual(self.read_all(ln)[:22], b"Current Prediction: 7\n")

    def test_o_nofollow_on_a_final_symlink_is_eloop(self):
        ln = self.link("result", RESULT)
        host = self.link("version", HOSTFILE)
        self.assertEqual(self.same(ln, host), None)
        self.assertEqual(errno_of(os.open, host, os.O_RDONLY | os.O_NOFOLLOW), "ELOOP")
        self.assertEqual(errno_of(os.open, ln, os.O_RDONLY | os.O_NOFOLLOW), "ELOOP")

    def test_symlinks_relative_chained_and_to_directories(self):
        rel = self.link("rel", os.path.relpath(RESULT, self.tmp))
        self.assertEqual(self.same(rel, self.link("relv", os.path.relpath(
            HOSTFILE, self.tmp))), None)
        one = self.link("one", RESULT)
        two = self.link("two", one)
        self.assertEqual(self.read_all(two)[:20], self.read_all(RESULT)[:20])
        proc = self.link("proc", "/proc")
        self.assertEqual(self.same(proc + "/mlcore_train", proc + "/version"), None)
        sysd = self.link("sysd", SYS)
        self.assertEqual(sorted(os.listdir(sysd)), sorted(os.listdir(SYS)))
        self.assertTrue(stat.S_ISREG(os.stat(sysd + "/ml_model1/control").st_mode))
        # Through the link then ".." : the served directory's parent.
        self.assertEqual(os.stat(sysd + "/..").st_ino,
                         os.stat("/sys/class/ml_lib_test").st_ino)
        # A symlink to a served file, then more: ENOTDIR (the host: ENOENT).
        self.assertEqual(self.same(one + "/x", self.link("v", HOSTFILE) + "/x"),
                         "ENOTDIR")

    def test_a_symlink_loop_and_forty_links(self):
        self.link("a", os.path.join(self.tmp, "b"))
        self.link("b", os.path.join(self.tmp, "a"))
        loop = os.path.join(self.tmp, "a")
        self.assertEqual(errno_of(os.open, loop, os.O_RDONLY), "ELOOP")
        self.assertEqual(errno_of(os.open, loop + "/mlcore_result", os.O_RDONLY),
                         "ELOOP")

        def chain(prefix, target, n):
            for i in range(n):
                target = self.link(f"{prefix}{i}", target)
            return target
        # The kernel follows 40 symlinks in one walk, not 41.
        for n, want in ((40, None), (41, "ELOOP")):
            self.assertEqual(self.same(chain(f"r{n}-", RESULT, n),
                                       chain(f"v{n}-", HOSTFILE, n)), want, n)

    def test_a_path_of_path_max_bytes_is_enametoolong(self):
        pad = "/." * 2100
        self.assertEqual(self.same("/proc" + pad + "/mlcore_result",
                                   "/proc" + pad + "/version"), "ENAMETOOLONG")
        self.assertEqual(errno_of(os.stat, "/proc" + pad + "/mlcore_result"),
                         "ENAMETOOLONG")

    # --- /proc/self ----------------------------------------------------------

    def test_proc_self_root_and_cwd(self):
        self.assertEqual(self.same("/proc/self/root" + RESULT,
                                   "/proc/self/root" + HOSTFILE), None)
        self.assertTrue(stat.S_ISCHR(os.stat("/proc/self/root/dev/mlcore").st_mode))
        self.chdir("/proc")
        self.assertEqual(self.same("/proc/self/cwd/mlcore_result",
                                   "/proc/self/cwd/version"), None)
        self.assertEqual(self.same(f"/proc/{os.getpid()}/cwd/mlcore_train",
                                   f"/proc/{os.getpid()}/cwd/version"), None)

    def test_proc_self_fd_of_a_served_descriptor(self):
        """/proc/self/fd/N is a magic link to the file itself, as
        proc_fd_link() gives: it reopens the served file (a new
        description), also through /dev/fd and a symlink to it; a name
        after it is ENOTDIR, as after the kernel's own file."""
        fd = os.open(RESULT, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        v = os.open(HOSTFILE, os.O_RDONLY)
        self.addCleanup(os.close, v)
        for served, host in ((f"/proc/self/fd/{fd}", f"/proc/self/fd/{v}"),
                             (f"/dev/fd/{fd}", f"/dev/fd/{v}"),
                             (f"/proc/thread-self/fd/{fd}",
                              f"/proc/thread-self/fd/{v}"),
                             (f"/proc/self/fd/{fd}/x", f"/proc/self/fd/{v}/x"),
                             (f"/proc/self/fd/{fd}/..", f"/proc/self/fd/{v}/..")):
            self.same(served, host)
        self.assertEqual(os.stat(f"/dev/fd/{fd}").st_ino, os.stat(RESULT).st_ino)
        self.assertEqual(os.readlink(f"/proc/self/fd/{fd}"), RESULT)
        ln = self.link("fdlink", f"/proc/self/fd/{fd}")
        self.assertEqual(self.read_all(ln)[:20], self.read_all(RESULT)[:20])
        # A served directory's descriptor: the walk goes on from it.
        d = os.open(SYS, os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, d)
        self.assertTrue(stat.S_ISREG(
            os.stat(f"/proc/self/fd/{d}/ml_model1/control").st_mode))
        self.assertEqual(os.readlink(f"/proc/self/fd/{d}"), SYS)

    def test_opened_through_a_link_shows_the_canonical_path(self):
        """readlink(/proc/self/fd/N) is the file's own path (d_path), not
        the one it was opened with."""
        fd = os.open(self.link("r", RESULT), os.O_RDONLY)
        self.addCleanup(os.close, fd)
        self.assertEqual(os.readlink(f"/proc/self/fd/{fd}"), RESULT)
        g = os.open("//proc/../proc/./mlcore_train", os.O_RDONLY)
        self.addCleanup(os.close, g)
        self.assertEqual(os.readlink(f"/proc/self/fd/{g}"), TRAIN)
        v = os.open(self.link("v", HOSTFILE), os.O_RDONLY)
        self.addCleanup(os.close, v)
        self.assertEqual(os.readlink(f"/proc/self/fd/{v}"), HOSTFILE)

    # --- every path call walks the same way -----------------------------------

    def test_every_path_call_takes_the_walk(self):
        ln = self.link("dev", "/dev/mlcore")
        bad = RESULT + "/.."
        d = os.open(self.tmp, os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, d)
        # fstatat with and without AT_SYMLINK_NOFOLLOW, faccessat.
        self.assertTrue(stat.S_ISCHR(os.stat("dev", dir_fd=d).st_mode))
        self.assertTrue(stat.S_ISLNK(os.stat("dev", dir_fd=d,
                                             follow_symlinks=False).st_mode))
        self.assertTrue(os.access("dev", os.W_OK, dir_fd=d))
        f = os.open(RESULT, os.O_RDONLY)
        self.addCleanup(os.close, f)
        self.assertEqual(errno_of(os.stat, "x/..", dir_fd=f), "ENOTDIR")
        # statx (coreutils stat) follows with -L, not without.
        out = subprocess.run(["stat", "-L", "-c", "%F %t:%T", ln],
                             capture_output=True, text=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(out.stdout.strip(), "character special file 68:0")
        out = subprocess.run(["stat", "-c", "%F", ln], capture_output=True,
                             text=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(out.stdout.strip(), "symbolic link")
        # xattrs: a served node has none; the path walk decides which.
        self.assertEqual(errno_of(os.getxattr, ln, "user.x"), "ENODATA")
        self.assertEqual(os.listxattr(ln), [])
        self.assertEqual(errno_of(os.getxattr, bad, "user.x"),
                         errno_of(os.getxattr, HOSTFILE + "/..", "user.x"))
        self.assertEqual(errno_of(os.getxattr, bad, "user.x"), "ENOTDIR")
        # readlink: ENOTDIR after a file, EINVAL on a served node itself.
        self.assertEqual(errno_of(os.readlink, bad), "ENOTDIR")
        self.assertEqual(errno_of(os.readlink, self.link("r", RESULT) + "/"),
                         errno_of(os.readlink, self.link("v", HOSTFILE) + "/"))
        self.assertEqual(os.readlink(ln), "/dev/mlcore")
        # opendir and fopen.
        self.assertEqual(errno_of(os.listdir, bad), "ENOTDIR")
        with open(self.link("t", TRAIN), "rb") as f:
            self.assertEqual(f.read(), self.read_all(TRAIN))
