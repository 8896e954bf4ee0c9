// core public header -> lab public header: 1 violation.
#pragma once
#include "gradlab/optim.h"
#include "gradlab/error.h"
