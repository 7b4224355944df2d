# Test-only workloads of the runtime suite.
actr_add_workload(runtime_probe SOURCES ${CMAKE_CURRENT_LIST_DIR}/guests/probe/probe.cpp)
