# Makes mlcore-emu.1 with help2man from the program's own help: the top
# --help (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, the examples), then a
# SUBCOMMANDS section with every subcommand's --help verbatim, found by
# reading the "Subcommands:" list (nested ones too), so a new subcommand is
# covered without editing this file.
#   cmake -DEMU=mlcore-emu -DHELP2MAN=help2man -DOUT=mlcore-emu.1 -P make-manpage.cmake
cmake_minimum_required(VERSION 3.25)

# The names listed under "Subcommands:" in a --help text.
function(mlc_subcommands text out)
  string(REPLACE ";" "\\;" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(in 0)
  set(names)
  foreach(line IN LISTS lines)
    if(line MATCHES "^Subcommands:")
      set(in 1)
    elseif(in AND line MATCHES "^  ([a-z][a-z0-9-]*)( |$)")
      list(APPEND names ${CMAKE_MATCH_1})
    elseif(in AND NOT line MATCHES "^ ")
      set(in 0)
    endif()
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
endfunction()

# roff: backslashes, and lines that would start a request.
function(mlc_roff text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(section "")
function(mlc_add_subcommands prefix)
  execute_process(COMMAND ${EMU} ${prefix} --help OUTPUT_VARIABLE help
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EMU} ${prefix} --help failed (${rc})")
  endif()
  mlc_subcommands("${help}" subs)
  foreach(sub IN LISTS subs)
    set(cmd ${prefix} ${sub})
    execute_process(COMMAND ${EMU} ${cmd} --help OUTPUT_VARIABLE sub_help
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${EMU} ${cmd} --help failed (${rc})")
    endif()
    # The top level's footer (EXAMPLES, FILES, ...) is printed once, above.
    string(FIND "${sub_help}" "\nEXAMPLES\n" cut)
    if(cut GREATER 0)
      string(SUBSTRING "${sub_help}" 0 ${cut} sub_help)
    endif()
    string(STRIP "${sub_help}" sub_help)
    mlc_roff("${sub_help}" sub_help)
    string(REPLACE ";" " " title "${cmd}")
    set(section "${section}.SS \"mlcore-emu ${title}\"\n.nf\n${sub_help}\n.fi\n")
    set(section "${section}" PARENT_SCOPE)
    mlc_add_subcommands("${cmd}")
    set(section "${section}" PARENT_SCOPE)
  endforeach()
  set(section "${section}" PARENT_SCOPE)
endfunction()

mlc_add_subcommands("")
set(include_file "${OUT}.include")
file(WRITE ${include_file} "[SUBCOMMANDS]\n${section}\n[SEE ALSO]\n.BR fusermount3 (1),\n.BR mount.fuse3 (8)\n")
execute_process(COMMAND ${HELP2MAN} --no-info --section=1
                        --name=emulate\ the\ mlcore\ and\ ml_lib\ kernel\ interfaces\ in\ user\ space
                        --include=${include_file} --output=${OUT}.tmp ${EMU}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc})")
endif()
file(RENAME ${OUT}.tmp ${OUT})
file(REMOVE ${include_file})
