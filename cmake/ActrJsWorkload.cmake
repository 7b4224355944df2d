# Workloads written in JavaScript, built with the pinned @bytecodealliance/componentize-js
# (package.json; installed by scripts/setup.sh with `npm ci`).
#
#   actr_add_js_workload(<name> SOURCE <file.js> [DISABLE <feature>...] [OUTPUT_VAR <var>])
#
# produces ${PROJECT_BINARY_DIR}/guests/<name>.wasm (target guest_<name>), a component of
# wit/actr-workload.wit. DISABLE lists componentize-js features to leave out (stdio, random,
# clocks, http, fetch-event); with none, the component imports WASI as most JavaScript guests
# do. A build takes ~15 s of CPU and ~800 MB of memory (it snapshots a JavaScript engine).
# Without node or componentize-js nothing is defined.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/ActrGuest.cmake)

set(ACTR_COMPONENTIZE_JS_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/../tools/componentize/build.mjs")
get_filename_component(ACTR_COMPONENTIZE_JS_SCRIPT "${ACTR_COMPONENTIZE_JS_SCRIPT}" ABSOLUTE)
set(ACTR_COMPONENTIZE_JS_PACKAGE
    "${PROJECT_SOURCE_DIR}/node_modules/@bytecodealliance/componentize-js/package.json")

function(actr_add_js_workload name)
  cmake_parse_arguments(PARSE_ARGV 1 J "" "SOURCE;OUTPUT_VAR" "DISABLE")
  if(NOT J_SOURCE)
    message(FATAL_ERROR "actr_add_js_workload(${name}): SOURCE is required")
  endif()
  if(NOT ACTR_NODE OR NOT EXISTS "${ACTR_COMPONENTIZE_JS_PACKAGE}")
    message(STATUS "JavaScript workload `${name}` will not be built: node or componentize-js is "
                   "missing (run `npm ci`)")
    return()
  endif()
  set(wit "${PROJECT_SOURCE_DIR}/wit/actr-workload.wit")
  set(component "${PROJECT_BINARY_DIR}/guests/${name}.wasm")
  set(disable_args)
  if(J_DISABLE)
    list(JOIN J_DISABLE "," disabled)
    set(disable_args --disable ${disabled})
  endif()
  add_custom_command(
    OUTPUT "${component}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/guests"
    COMMAND "${ACTR_NODE}" "${ACTR_COMPONENTIZE_JS_SCRIPT}" "${J_SOURCE}" "${wit}"
            actr-workload-guest "${component}" ${disable_args}
    DEPENDS "${J_SOURCE}" "${wit}" "${ACTR_COMPONENTIZE_JS_SCRIPT}"
            "${ACTR_COMPONENTIZE_JS_PACKAGE}"
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    COMMENT "Building JavaScript workload ${name}.wasm with componentize-js"
    VERBATIM)
  add_custom_target(guest_${name} ALL DEPENDS "${component}")
  if(J_OUTPUT_VAR)
    set(${J_OUTPUT_VAR} "${component}" PARENT_SCOPE)
  endif()
endfunction()
