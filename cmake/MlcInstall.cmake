# `cmake --install` (and cpack, cmake/MlcPackage.cmake): the layout under
# the prefix.
#
#   bin/                          mlcore-emu, mlc-agent-iris, mlc-agent-loop
#   libexec/mlcore-emu/           mlcore-cuse (the daemon serve --cuse launches)
#   lib/mlcore-emu/               libmlcore-preload.so (`mlcore-emu run`)
#   LIBDIR/libmlcore-agent.a      the C++ agent SDK (src/agent/)
#   LIBDIR/cmake/mlcore-emu/      find_package(mlcore-emu): mlcore_emu::agent
#   LIBDIR/pkgconfig/mlcore-agent.pc
#   include/mlcore-emu/uapi/      the UAPI headers (include/uapi/)
#   include/mlcore-emu/agent/     the SDK's headers
#   share/man/man1/mlcore-emu.1   made at build time from the program's help
#   share/doc/mlcore-emu/         README.md, docs/, examples/
#   .../dist-packages/mlcore_agent the Python SDK, once src/agent/python exists
#
# mlcore-emu finds the preload library and the daemon relative to itself
# (../lib/mlcore-emu, ../libexec/mlcore-emu), so any prefix works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MLC_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/mlcore-emu)
set(MLC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mlcore-emu)

install(TARGETS mlcore-emu mlc-agent-iris mlc-agent-loop
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS mlcore-cuse
        RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/mlcore-emu)
install(TARGETS mlcore-preload
        LIBRARY DESTINATION lib/mlcore-emu)

# --- the C++ agent SDK: a library, headers, CMake package, pkg-config -------
target_compile_features(mlc_agent PUBLIC cxx_std_20)
set_target_properties(mlc_agent PROPERTIES OUTPUT_NAME mlcore-agent
                                           EXPORT_NAME agent)
install(TARGETS mlc_agent EXPORT mlcore-emu-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mlcore-emu)
file(GLOB _mlc_sdk_headers ${PROJECT_SOURCE_DIR}/src/agent/*.hpp)
install(FILES ${_mlc_sdk_headers}
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mlcore-emu/agent)
file(GLOB _mlc_uapi_headers ${PROJECT_SOURCE_DIR}/include/uapi/*.h)
install(FILES ${_mlc_uapi_headers}
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mlcore-emu/uapi)
install(EXPORT mlcore-emu-targets NAMESPACE mlcore_emu::
        FILE mlcore-emu-targets.cmake DESTINATION ${MLC_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mlcore-emu-config.cmake.in
  ${PROJECT_BINARY_DIR}/mlcore-emu-config.cmake INSTALL_DESTINATION ${MLC_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mlcore-emu-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mlcore-emu-config.cmake
              ${PROJECT_BINARY_DIR}/mlcore-emu-config-version.cmake
        DESTINATION ${MLC_CMAKE_DIR})
# Relocatable: the prefix is found from the .pc file's own directory.
file(RELATIVE_PATH MLC_PC_TO_PREFIX /x/${CMAKE_INSTALL_LIBDIR}/pkgconfig /x)
configure_file(${PROJECT_SOURCE_DIR}/cmake/mlcore-agent.pc.in
               ${PROJECT_BINARY_DIR}/mlcore-agent.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mlcore-agent.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- the Python SDK (src/agent/python) ----------------------------------------
# Its own CMakeLists (src/agent/python/CMakeLists.txt, when it has landed)
# installs it, with MLC_PYTHON_INSTALL_DIR; this is the fallback for a tree
# that has the package but no rules for it.
if(EXISTS ${PROJECT_SOURCE_DIR}/src/agent/python/mlcore_agent AND
   NOT EXISTS ${PROJECT_SOURCE_DIR}/src/agent/python/CMakeLists.txt)
  set(MLC_PYTHON_INSTALL_DIR lib/python3/dist-packages CACHE STRING
      "Where cmake --install puts mlcore_agent (relative to the prefix)")
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/agent/python/mlcore_agent
          DESTINATION ${MLC_PYTHON_INSTALL_DIR}
          PATTERN __pycache__ EXCLUDE PATTERN "*.pyc" EXCLUDE)
endif()

# --- docs and the man page ----------------------------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${MLC_DOC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${MLC_DOC_DIR}/docs)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${MLC_DOC_DIR}/examples)

# mlcore-emu.1: help2man over `mlcore-emu --help`, with every subcommand's
# own --help as a section (cmake/make-manpage.cmake), remade with the binary.
find_program(MLC_HELP2MAN help2man)
if(MLC_HELP2MAN)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/mlcore-emu.1
    COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:mlcore-emu> -DHELP2MAN=${MLC_HELP2MAN}
            -DOUT=${PROJECT_BINARY_DIR}/mlcore-emu.1
            -P ${PROJECT_SOURCE_DIR}/cmake/make-manpage.cmake
    DEPENDS mlcore-emu ${PROJECT_SOURCE_DIR}/cmake/make-manpage.cmake
    COMMENT "Making the man page mlcore-emu.1 from mlcore-emu's help")
  add_custom_target(mlcore-emu-man ALL DEPENDS ${PROJECT_BINARY_DIR}/mlcore-emu.1)
  install(FILES ${PROJECT_BINARY_DIR}/mlcore-emu.1
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found (apt-get install help2man): no man page")
endif()
