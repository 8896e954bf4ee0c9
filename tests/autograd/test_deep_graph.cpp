// Long graphs (an LSTM unrolled over many steps, long GD trajectories differentiated
// through) must be built, differentiated and freed without recursion: the WASM stack
// is small. Without Node's iterative destructor this test overflows the stack while
// the graph is freed.
#include <catch2/catch.hpp>

#include <cmath>

#include "gradlab/autograd.h"
#include "gradlab/ops.h"

using namespace gradlab;

TEST_CASE("autograd: a 100k-node chain is differentiated and freed without recursion",
          "[autograd]") {
#if defined(GRADLAB_WASM)
  const int steps = 50000;
#else
  const int steps = 200000;
#endif
  Tensor w = full({2}, 0.5, DType::F64).requires_grad_();
  double expected_h = 0, expected_g = 0;  // the same recursion in plain doubles
  {
    Tensor h = zeros({2}, DType::F64);
    for (int t = 0; t < steps; ++t) h = tanh(add(mul(h, w), 0.1));
    TensorList g = grad(sum(h), {w});
    double hd = 0, dh = 0;  // h_{t+1} = tanh(w h_t + 0.1); dh/dw by forward mode
    for (int t = 0; t < steps; ++t) {
      double y = std::tanh(0.5 * hd + 0.1);
      dh = (1 - y * y) * (hd + 0.5 * dh);
      hd = y;
    }
    expected_h = hd;
    expected_g = 2 * dh;
    CHECK(h.to_vector()[0] == Approx(expected_h).epsilon(1e-12));
    CHECK(g[0].to_vector()[0] + g[0].to_vector()[1] == Approx(expected_g).epsilon(1e-9));
  }  // h and the whole graph are released here
  SUCCEED("graph freed");
}
