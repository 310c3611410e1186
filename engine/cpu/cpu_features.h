#pragma once
// CPU features that __builtin_cpu_supports cannot name on every compiler (clang 14 has no
// "f16c"), read from CPUID directly.

namespace engine {

bool cpu_has_f16c();

// The widest SIMD the kernels may use: everything the CPU has, unless $GLIMPSE_SIMD names a
// narrower set ("avx2" or "portable"; for comparing kernels, or a CPU that slows down on AVX-512).
enum class SimdLimit { Portable, Avx2, Avx512 };
SimdLimit simd_limit();

}  // namespace engine
