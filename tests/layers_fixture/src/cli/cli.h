// program -> lab private, lab public, core public: allowed.
#pragma once
#include "nn/m.h"
#include "gradlab/experiment.h"
#include "gradlab/tensor.h"
