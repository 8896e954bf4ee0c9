// core -> lab private and lab public: 2 violations; core -> core private: allowed.
#include "nn/models_internal.h"
#include "gradlab/nn.h"
#include "tensor/tensor_internal.h"
#include "gradlab/backend.h"
#include <vector>
