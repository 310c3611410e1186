#pragma once
// `glimpse-cli bench --kernels`: the attention kernels of every SIMD set this CPU has, timed
// on attention's own shapes (a 64-value head against 2,048 cached keys), interleaved and
// best of many rounds, so the sets compare within one run.

namespace glimpse::cli {

void run_kernel_bench(bool json);

}  // namespace glimpse::cli
