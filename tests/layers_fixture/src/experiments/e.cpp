// experiment -> backend private (core private): 1 violation; -> gradlab/gemm.h: a listed
// exception; -> gradlab/scalar_ops.h: 1 violation; -> gradlab/tensor.h: allowed.
#include "backend/cpu/k.h"
#include "gradlab/gemm.h"
#include "gradlab/scalar_ops.h"
#include "gradlab/tensor.h"
