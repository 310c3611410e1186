#pragma once
// CPU features that __builtin_cpu_supports cannot name on every compiler (clang 14 has no
// "f16c"), read from CPUID directly.

namespace engine {

bool cpu_has_f16c();

}  // namespace engine
