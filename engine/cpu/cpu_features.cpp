#include "engine/cpu/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdlib>
#include <string_view>

namespace engine {

bool cpu_has_f16c() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    return (ecx & bit_F16C) != 0;
#else
    return false;
#endif
}

SimdLimit simd_limit() {
    static const SimdLimit limit = [] {
        const char* value = std::getenv("GLIMPSE_SIMD");
        const std::string_view name = value ? value : "";
        return name == "portable" ? SimdLimit::Portable : name == "avx2" ? SimdLimit::Avx2 : SimdLimit::Avx512;
    }();
    return limit;
}

}  // namespace engine
