# weft_module(NAME SOURCES ... [DEPENDS ...])
#   Adds the static library weft_NAME from an explicit source list, with our
#   warning policy, the repository root as include directory and its
#   dependencies stated (they say which way the modules point).
#
# weft_test(NAME SOURCES ... [DEPENDS ...] [LABELS ...] [TIMEOUT s] [SERIAL])
#   Adds a Boost.Test executable and registers it with CTest as one entry.
#   SERIAL: a multi-process suite whose timings (heartbeats, leases, kills)
#   must not share the machine's two cores with another suite.

set(WEFT_WARNINGS -Wall -Wextra -Wpedantic -Wshadow)

function(weft_warnings target)
  target_compile_options(${target} PRIVATE ${WEFT_WARNINGS})
  if(WEFT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(weft_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(weft_${name} STATIC ${M_SOURCES})
  target_include_directories(weft_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(weft_${name} PUBLIC ${M_DEPENDS})
  weft_warnings(weft_${name})
endfunction()

function(weft_test name)
  cmake_parse_arguments(T "SERIAL" "TIMEOUT" "SOURCES;DEPENDS;LABELS" ${ARGN})
  if(NOT BUILD_TESTING)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPENDS} Boost::unit_test_framework)
  target_compile_definitions(${name} PRIVATE BOOST_TEST_DYN_LINK
                                             WEFT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             WEFT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  weft_warnings(${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name} --color_output=false --log_level=test_suite)
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT})
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
  if(T_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()
