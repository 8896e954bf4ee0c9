// test_errors.cpp — bad input raises the right typed error, with a message that names the op
// and the offending shapes / dtypes / axes (what the CLI prints and the browser shows).
#include <catch2/catch.hpp>
#include <string>

#include "gradlab/autograd.h"
#include "gradlab/ops.h"

namespace {

using namespace gradlab;
using Catch::Matchers::Contains;

// The message of the error `f` throws as E (fails the test if it throws nothing or another type).
template <class E, class F>
std::string message_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("threw another error type: " << e.what());
  }
  FAIL("threw nothing");
  return {};
}

}  // namespace

TEST_CASE("matmul with mismatched inner dims is a ShapeError naming both shapes", "[errors]") {
  Tensor a = zeros({2, 3}), b = zeros({4, 5});
  REQUIRE_THROWS_AS(matmul(a, b), ShapeError);
  std::string msg = message_of<ShapeError>([&] { matmul(a, b); });
  CHECK_THAT(msg, Contains("matmul"));
  CHECK_THAT(msg, Contains("[2, 3]"));
  CHECK_THAT(msg, Contains("[4, 5]"));
}

TEST_CASE("add of unbroadcastable shapes is a ShapeError naming both shapes", "[errors]") {
  Tensor a = zeros({2, 3}), b = zeros({4});
  REQUIRE_THROWS_AS(add(a, b), ShapeError);
  std::string msg = message_of<ShapeError>([&] { add(a, b); });
  CHECK_THAT(msg, Contains("add"));
  CHECK_THAT(msg, Contains("[2, 3]"));
  CHECK_THAT(msg, Contains("[4]"));
}

TEST_CASE("mixing float32 and float64 is a DTypeError naming both dtypes", "[errors]") {
  Tensor a = zeros({2, 3}, DType::F32), b = zeros({2, 3}, DType::F64);
  REQUIRE_THROWS_AS(add(a, b), DTypeError);
  std::string msg = message_of<DTypeError>([&] { mul(a, b); });
  CHECK_THAT(msg, Contains("mul"));
  CHECK_THAT(msg, Contains("float32"));
  CHECK_THAT(msg, Contains("float64"));
}

TEST_CASE("sum over an axis beyond the rank is an IndexError naming axis and rank", "[errors]") {
  Tensor x = zeros({2, 3});
  REQUIRE_THROWS_AS(sum(x, {3}), IndexError);
  std::string msg = message_of<IndexError>([&] { sum(x, {3}); });
  CHECK_THAT(msg, Contains("sum"));
  CHECK_THAT(msg, Contains("axis 3"));
  CHECK_THAT(msg, Contains("rank 2"));
}

TEST_CASE("reshape to a different element count is a ShapeError naming both shapes", "[errors]") {
  Tensor x = zeros({2, 3});
  REQUIRE_THROWS_AS(reshape(x, {4, 2}), ShapeError);
  std::string msg = message_of<ShapeError>([&] { reshape(x, {4, 2}); });
  CHECK_THAT(msg, Contains("reshape"));
  CHECK_THAT(msg, Contains("[2, 3]"));
  CHECK_THAT(msg, Contains("[4, 2]"));
}

TEST_CASE("conv2d with mismatched channels is a ShapeError naming input and weight", "[errors]") {
  Tensor x = zeros({1, 3, 4, 4}), w = zeros({2, 2, 3, 3});
  REQUIRE_THROWS_AS(conv2d(x, w, Tensor()), ShapeError);
  std::string msg = message_of<ShapeError>([&] { conv2d(x, w, Tensor()); });
  CHECK_THAT(msg, Contains("conv2d"));
  CHECK_THAT(msg, Contains("[1, 3, 4, 4]"));
  CHECK_THAT(msg, Contains("[2, 2, 3, 3]"));
}

TEST_CASE("cross_entropy with a target class out of range is an IndexError", "[errors]") {
  Tensor logits = zeros({2, 3});
  Tensor targets = from_indices({0, 3}, {2});
  REQUIRE_THROWS_AS(cross_entropy(logits, targets), IndexError);
  std::string msg = message_of<IndexError>([&] { cross_entropy(logits, targets); });
  CHECK_THAT(msg, Contains("cross_entropy"));
  CHECK_THAT(msg, Contains("3"));
  // Negative class indices are out of range as well.
  CHECK_THROWS_AS(cross_entropy(logits, from_indices({-1, 0}, {2})), IndexError);
}

TEST_CASE("index_select with an index out of range is an IndexError naming it", "[errors]") {
  Tensor x = zeros({4, 3});
  Tensor index = from_indices({1, 4}, {2});
  REQUIRE_THROWS_AS(index_select(x, 0, index), IndexError);
  std::string msg = message_of<IndexError>([&] { index_select(x, 0, index); });
  CHECK_THAT(msg, Contains("index_select"));
  CHECK_THAT(msg, Contains("4"));
  CHECK_THAT(msg, Contains("[4, 3]"));
}

TEST_CASE("grad with respect to a tensor that does not require grad is an AutogradError",
          "[errors]") {
  Tensor w = ones({3}).requires_grad_();
  Tensor x = ones({3});  // a constant
  Tensor loss = sum(mul(w, x));
  REQUIRE_THROWS_AS(grad(loss, {x}), AutogradError);
  std::string msg = message_of<AutogradError>([&] { grad(loss, {x}); });
  CHECK_THAT(msg, Contains("grad"));
  CHECK_THAT(msg, Contains("[3]"));
  CHECK_THAT(msg, Contains("require"));
  // The same loss differentiates fine with respect to the tensor that does require grad.
  CHECK(grad(loss, {w})[0].to_vector() == std::vector<double>{1.0, 1.0, 1.0});
}

TEST_CASE("requires_grad_ on an int64 tensor is a DTypeError", "[errors]") {
  Tensor index = from_indices({0, 1, 2}, {3});
  REQUIRE_THROWS_AS(index.requires_grad_(), DTypeError);
  std::string msg = message_of<DTypeError>([&] { from_indices({0}, {1}).requires_grad_(); });
  CHECK_THAT(msg, Contains("requires_grad_"));
  CHECK_THAT(msg, Contains("int64"));
  CHECK_FALSE(index.requires_grad());
}
