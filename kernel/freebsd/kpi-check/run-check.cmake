# SPDX-License-Identifier: BSD-2-Clause
# Run by ctest (see CMakeLists.txt): compile SOURCES with CC and FLAGS, once
# as a stock module build and once with options INVARIANTS.  Fails on the
# first diagnostic, since FLAGS has -Werror.
foreach(_var CC FLAGS SOURCES)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "run-check.cmake: ${_var} is not set")
  endif()
endforeach()

set(_failed)
foreach(_config "" "-DINVARIANTS")
  if(_config STREQUAL "")
    set(_name "without INVARIANTS")
  else()
    set(_name "with INVARIANTS")
  endif()
  execute_process(COMMAND ${CC} ${FLAGS} ${_config} ${SOURCES}
    RESULT_VARIABLE _rc)
  if(_rc EQUAL 0)
    message(STATUS "FreeBSD 14 KPI check ${_name}: ok")
  else()
    message(STATUS "FreeBSD 14 KPI check ${_name}: FAILED (${_rc})")
    list(APPEND _failed "${_name}")
  endif()
endforeach()
if(_failed)
  string(JOIN ", " _failed ${_failed})
  message(FATAL_ERROR "the FreeBSD glue does not compile against the "
    "FreeBSD 14 KPI stand-ins (${_failed})")
endif()
