# actr-componentize against jco: every guest wrapped natively gets a reference component made by
# jco (`jco embed` + `jco new`) from the same core module, when node and jco are here; the
# witgen tests (componentize_test.cpp) compare the two through a manifest written at the end of
# the configuration, once every guest is defined. Included by tests/witgen/bindings.cmake.
if(NOT TARGET actr_witgen_tests OR NOT TARGET actr_componentize)
  return()
endif()
target_link_libraries(actr_witgen_tests PRIVATE actr_componentize)
set(ACTR_COMPONENTIZE_MANIFEST "${PROJECT_BINARY_DIR}/componentize-reference/manifest.txt")
target_compile_definitions(actr_witgen_tests PRIVATE
  ACTR_COMPONENTIZE_MANIFEST="${ACTR_COMPONENTIZE_MANIFEST}"
  ACTR_COMPONENTIZE_EXE="$<TARGET_FILE:actr-componentize>")
add_dependencies(actr_witgen_tests actr-componentize)

function(_actr_componentize_references)
  set(dir "${PROJECT_BINARY_DIR}/componentize-reference")
  file(MAKE_DIRECTORY "${dir}")
  set(have_jco FALSE)
  if(ACTR_NODE AND EXISTS "${ACTR_JCO}")
    set(have_jco TRUE)
  endif()
  get_property(guests GLOBAL PROPERTY ACTR_GUEST_TARGETS)
  # One line per natively wrapped guest: name, component, core module, jco reference or "-".
  set(manifest "")
  set(references)
  set(native)
  foreach(target IN LISTS guests)
    get_target_property(wrapper ${target} ACTR_GUEST_WRAPPER)
    if(NOT wrapper STREQUAL "native")
      continue()
    endif()
    list(APPEND native ${target})
    string(REGEX REPLACE "^guest_" "" name "${target}")
    get_target_property(component ${target} ACTR_GUEST_COMPONENT)
    get_target_property(core ${target} ACTR_GUEST_CORE)
    get_target_property(wit ${target} ACTR_GUEST_WIT)
    get_target_property(world ${target} ACTR_GUEST_WORLD)
    set(reference "-")
    if(have_jco)
      set(reference "${dir}/${name}.jco.wasm")
      set(jco_env "${CMAKE_COMMAND}" -E env "NODE_OPTIONS=--import=${ACTR_JCO_PREOPEN_SHIM}")
      add_custom_command(
        OUTPUT "${reference}"
        COMMAND ${jco_env} "${ACTR_NODE}" "${ACTR_JCO}" embed "${core}" --wit "${wit}"
                --world-name "${world}" -o "${dir}/${name}.embedded.wasm"
        COMMAND ${jco_env} "${ACTR_NODE}" "${ACTR_JCO}" new "${dir}/${name}.embedded.wasm"
                -o "${reference}"
        DEPENDS ${target} "${core}"
        COMMENT "jco reference component ${name}.jco.wasm (for the actr-componentize tests)"
        VERBATIM)
      list(APPEND references "${reference}")
    endif()
    string(APPEND manifest "${name}\t${component}\t${core}\t${reference}\n")
  endforeach()
  file(WRITE "${dir}/manifest.txt.tmp" "${manifest}")
  file(COPY_FILE "${dir}/manifest.txt.tmp" "${dir}/manifest.txt" ONLY_IF_DIFFERENT)
  add_custom_target(componentize_references DEPENDS ${references})
  if(native)
    add_dependencies(componentize_references ${native})
  endif()
  add_dependencies(actr_witgen_tests componentize_references)
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _actr_componentize_references)
