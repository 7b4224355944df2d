# Test-only workloads of the SDK suite (the examples are built by examples/).
actr_add_workload(sdk_probe SOURCES ${CMAKE_CURRENT_LIST_DIR}/guests/probe/probe.cpp)
