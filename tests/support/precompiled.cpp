// The file that builds the integration tests' precompiled header (tests/CMakeLists.txt).
