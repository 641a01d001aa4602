// AVX-512 (F/BW/VL/DQ/VNNI) kernels; only called after the CPU check in vec_dot.cpp.

#include <immintrin.h>

#include "engine/quants.h"
#include "engine/vec_dot_internal.h"

namespace ss::engine::internal {

void FillAvx512Table(KernelTable* t) { (void)t; }

}  // namespace ss::engine::internal
