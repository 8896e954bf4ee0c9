// core -> core, relative: allowed.
#pragma once
#include "../../tensor/tensor_internal.h"
