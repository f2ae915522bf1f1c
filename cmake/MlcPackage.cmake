# `cpack -G DEB` (in the build tree): one Debian package, mlcore-emu, with
# what cmake/MlcInstall.cmake installs, under /usr.  Depends come from the
# binaries (dpkg-shlibdeps: libfuse3-3, libfmt9, libstdc++6, libc6) plus
# fuse3 (fusermount3, for serve as a user); the demo's plot and iris data
# are Recommends.  test/package/test-deb.sh builds, installs and runs it.
set(CPACK_PACKAGE_NAME mlcore-emu)
set(CPACK_PACKAGE_VENDOR "mlcore-emu")
set(CPACK_PACKAGE_CONTACT "mlcore-emu maintainers <mlcore-emu@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "user-space emulator of the mlcore and ml_lib kernel interfaces")
set(CPACK_PACKAGE_DESCRIPTION
"mlcore-emu serves /dev/mlcore, /proc/mlcore_result, /proc/mlcore_train, the
ml_lib sysfs control and /dev/mllibdev, and the closed loop /dev/mlloop to
unmodified programs: with FUSE at a directory, in-process with LD_PRELOAD
(mlcore-emu run: no root, no daemon), or as real character devices with
CUSE (mlcore-emu serve --cuse, root).  Includes the reference agents, the
C++ agent SDK (CMake package and pkg-config) and mlcore-emu demo.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnuplot-nox, python3-sklearn, python3-numpy")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "qemu-system-x86, linux-headers-amd64, busybox-static")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/mlcore-emu")
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
