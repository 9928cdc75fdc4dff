// The caf-test runner: provides main() for every unit suite.
#include "caf/test/unit_test_impl.hpp"
