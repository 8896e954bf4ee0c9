// src/backend/common/view_checks.cpp — the shape checks and shape strings of dispatch.h, shared
// by the CPU and CUDA backends so both word a mismatch the same way.
#include "backend/common/dispatch.h"
#include "gradlab/text.h"

namespace gradlab {
namespace common {

std::string view_shape_str(const View& v) {
  TextBuilder os;
  os << '[';
  for (int d = 0; d < v.ndim; ++d) os << (d ? ", " : "") << v.shape[d];
  os << ']';
  return os.str();
}

void check_same_shape(const char* op, const View& a, const char* a_name, const View& b,
                      const char* b_name) {
  bool same = a.ndim == b.ndim;
  for (int d = 0; same && d < a.ndim; ++d) same = a.shape[d] == b.shape[d];
  if (!same)
    fail<ShapeError>(op, ": ", a_name, " shape ", view_shape_str(a), " vs ", b_name, " shape ",
                     view_shape_str(b));
}

}  // namespace common
}  // namespace gradlab
