// lab -> core private, lab -> program: 2 violations; lab -> core public, lab -> lab: allowed.
#include "tensor/tensor_internal.h"
#include "cli/cli.h"
#include "gradlab/ops.h"
#include "gradlab/data.h"
#include "m.h"
