# Test-only workloads of the runtime suite.
actr_add_workload(runtime_probe SOURCES ${CMAKE_CURRENT_LIST_DIR}/guests/probe/probe.cpp)
# A workload that uses libc (WASI): the node's WASI policy tests.
actr_add_workload(wasi_probe WASI SOURCES ${CMAKE_CURRENT_LIST_DIR}/guests/wasi_probe/wasi_probe.cpp)
