// The Catch2 main for the core tests (natively and in WASM under node).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
