# The proof that a typo in an ABI number fails the build.
#
#   cmake -DCOMPILER=cc -DSTD=-std=gnu11 -DSOURCE_DIR=<project>
#         -DTEST_DIR=<project>/test/uapi -DWORK_DIR=<scratch>
#         -DTAG=c -P typo_fails_build.cmake
#
# Compiles test/uapi/typo.c (as C or, with a C++ compiler and "-x c++",
# as C++) several ways, each with -fsyntax-only:
#   1. as it is, against the real headers: must compile (so the failures
#      below fail for the reason claimed, not for a broken command);
#   2. with -DMLC_TYPO, a wrong number asserted through MLC_ABI_ASSERT;
#   3. against copies of the headers, each with one plausible typo.
# Cases 2 and 3 must fail, and with the expected "ABI: ..." message.

foreach(var COMPILER STD SOURCE_DIR TEST_DIR WORK_DIR TAG)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "typo_fails_build: -D${var}=... missing")
  endif()
endforeach()
separate_arguments(lang_args UNIX_COMMAND "${LANG_ARGS}")

set(failures 0)

# compile(<name> <must_fail> <expect_regex> <include_dir> [extra args...])
function(compile name must_fail expect include_dir)
  execute_process(
    COMMAND ${COMPILER} ${lang_args} ${STD} -fsyntax-only
            -I${include_dir} -I${TEST_DIR} ${ARGN} ${TEST_DIR}/typo.c
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  set(text "${out}${err}")
  if(must_fail)
    if(rc EQUAL 0)
      message(SEND_ERROR "${name}: compiled, but the typo should have failed it")
      math(EXPR n "${failures} + 1")
      set(failures ${n} PARENT_SCOPE)
    elseif(NOT text MATCHES "${expect}")
      message(SEND_ERROR "${name}: failed, but not with \"${expect}\":\n${text}")
      math(EXPR n "${failures} + 1")
      set(failures ${n} PARENT_SCOPE)
    else()
      string(REGEX MATCH "[^\n]*${expect}[^\n]*" line "${text}")
      message(STATUS "${name}: fails as it must: ${line}")
    endif()
  else()
    if(NOT rc EQUAL 0)
      message(SEND_ERROR "${name}: must compile, but:\n${text}")
      math(EXPR n "${failures} + 1")
      set(failures ${n} PARENT_SCOPE)
    else()
      message(STATUS "${name}: compiles")
    endif()
  endif()
endfunction()

# mutate(<name> <header> <regex> <replacement> <expect_regex>)
# A copy of include/uapi with one substitution in one header.
function(mutate name header regex replacement expect)
  set(dir ${WORK_DIR}/${TAG}/${name})
  file(REMOVE_RECURSE ${dir})
  file(COPY ${SOURCE_DIR}/include/uapi DESTINATION ${dir})
  file(READ ${SOURCE_DIR}/include/uapi/${header} before)
  string(REGEX REPLACE "${regex}" "${replacement}" after "${before}")
  if(after STREQUAL before)
    message(SEND_ERROR "${name}: \"${regex}\" not found in ${header}; "
                       "update the typo proof to the header")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
    return()
  endif()
  file(WRITE ${dir}/uapi/${header} "${after}")
  compile(${name} TRUE "${expect}" ${dir})
  set(failures ${failures} PARENT_SCOPE)
endfunction()

set(real ${SOURCE_DIR}/include)

compile(control FALSE "" ${real})
compile(wrong_number_asserted TRUE "ABI: typo: GET_RESULT" ${real} -DMLC_TYPO)

# Typos the headers' own assertions catch.
mutate(major_105 mlcore.h "(#define MLCORE_MAJOR[ \t]+)104" "\\1105"
       "ABI: IOCTL_SEND_INTS")
mutate(get_result_int mlcore.h "_IOR\\(MLCORE_MAJOR, 2, int \\*\\)"
       "_IOR(MLCORE_MAJOR, 2, int)" "ABI: IOCTL_GET_RESULT")
mutate(set_result_ior mlcore.h "_IOW\\(MLCORE_MAJOR, 1, int\\)"
       "_IOR(MLCORE_MAJOR, 1, int)" "ABI: IOCTL_SET_RESULT")
mutate(clear_nr_5 mlcore.h "_IO\\(MLCORE_MAJOR, 4\\)"
       "_IO(MLCORE_MAJOR, 5)" "ABI: IOCTL_CLEAR_TRAINING")
mutate(label_s64 mlcore.h "__s32 label;" "__s64 label;"
       "ABI: train_entry is 16 bytes")
mutate(getsize_iow ml_lib.h "_IOR\\(ML_LIB_TEST_IOC_MAGIC, 1, int\\)"
       "_IOW(ML_LIB_TEST_IOC_MAGIC, 1, int)" "ABI: IOCGETSIZE")
mutate(corrupted_8 ml_lib.h "ML_LIB_DATASET_CORRUPTED = 7"
       "ML_LIB_DATASET_CORRUPTED = 8" "ABI: dataset states")

# Typos only the test's own checks (uapi_expect.h) catch: the headers pin
# a few values of each enum and no constant but the numbers.
mutate(learning_3 ml_lib.h "ML_LIB_LEARNING_MODE = 2"
       "ML_LIB_LEARNING_MODE = 3" "ABI: test: ML_LIB_LEARNING_MODE")
mutate(history_16 mlcore.h "(#define MLCORE_HISTORY_SIZE[ \t]+)10" "\\116"
       "ABI: test: MLCORE_HISTORY_SIZE")
mutate(get_len_8 mlcore.h "(#define MLCORE_GET_RESULT_LEN[ \t]+)4" "\\18"
       "ABI: test: GET_RESULT copies 4 bytes")

if(failures GREATER 0)
  message(FATAL_ERROR "typo proof: ${failures} case(s) wrong")
endif()
message(STATUS "typo proof (${TAG}): every typo fails the build")
