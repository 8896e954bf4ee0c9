// one backend -> another backend's private header: 1 violation; -> common, relative: allowed.
#pragma once
#include "backend/cpu/k.h"
#include "../common/shared.h"
