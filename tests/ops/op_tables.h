// op_tables.h — the op table's rows (test_op_table.cpp, test_op_table_nn.cpp), declared for the
// tests that run them on something other than the CPU checks of op_harness.h: the CUDA parity
// test (tests/backend/cuda_parity.cpp) evaluates every row on the GPU and on the CPU.
#pragma once

#include <vector>

#include "op_harness.h"

namespace gradlab::optest {

std::vector<OpCase> elementwise_table();  // test_op_table.cpp
std::vector<OpCase> reduction_table();
std::vector<OpCase> shape_table();
std::vector<OpCase> linalg_table();  // test_op_table_nn.cpp
std::vector<OpCase> conv_table();
std::vector<OpCase> nn_table();

}  // namespace gradlab::optest
