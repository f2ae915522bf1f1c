# Runs mlc-bench-fuse briefly: passes when it exits 0 and prints the ratio
# and targets lines, whatever the times (met or not).
# cmake -DBENCH=path/to/mlc-bench-fuse -P smoke.cmake
execute_process(COMMAND ${BENCH} --iterations 200 --warmup 20
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 77)
  return()  # "mlc-bench-fuse: SKIPPED ..." is in the output: ctest skips
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mlc-bench-fuse exited with ${rc}")
endif()
if(NOT out MATCHES "(^|\n)ratio emulator/no-op \\(median\\): ioctl SET\\+GET [0-9.]+")
  message(FATAL_ERROR "mlc-bench-fuse printed no ratio line")
endif()
if(NOT out MATCHES "(^|\n)targets: (all met|NOT met: [^\n]+)\n")
  message(FATAL_ERROR "mlc-bench-fuse printed no targets line")
endif()
