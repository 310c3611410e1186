// gpu_check: loads the CUDA plugin, names the GPU, runs every op check against the CPU and
// prints a Markdown report. Exit 0 when every check passed, 1 when one failed, 2 when there
// is no plugin or GPU. Built alone on a GPU machine by scripts/gpu-check (no Qt needed).

#include "cuda_op_checks.h"

#include "engine/device/cuda_plugin.h"

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
    // The plugin given, else the one built beside this program, else the installed one.
    const auto plugin = engine::CudaPlugin::load(argc > 1 ? argv[1] : GLIMPSE_CUDA_PLUGIN_PATH);
    std::string why;
    const auto devices = plugin.devices(&why);
    std::printf("# GPU check\n\n");
    if (devices.empty()) {
        std::printf("No GPU: %s\n", why.c_str());
        return 2;
    }
    for (const auto& d : devices)
        std::printf("- GPU %d: %s, compute %d.%d, %d SMs, %.1f GiB, driver %d.%d, runtime %d.%d\n", d.index, d.name.c_str(),
                    d.compute_major, d.compute_minor, d.multiprocessors, double(d.total_bytes) / (1 << 30),
                    d.driver_version / 1000, d.driver_version % 1000 / 10, d.runtime_version / 1000,
                    d.runtime_version % 1000 / 10);
    if (plugin.api().select_device(0) != 0) {
        std::printf("GPU 0 cannot be used: %s\n", plugin.api().last_error());
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto checks = gpu_check::run_cuda_op_checks(plugin.api());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("\n| op | result | worst error | tolerance |\n| --- | --- | --- | --- |\n");
    int failed = 0;
    for (const auto& c : checks) {
        failed += !c.passed;
        std::printf("| %s | %s | %.3g | %.1g |\n", c.name.c_str(), c.passed ? "pass" : ("FAIL " + c.message).c_str(),
                    c.error, c.tolerance);
    }
    std::printf("\n%zu checks, %d failed, in %.2f s (errors: max |gpu - cpu| / (|cpu| + 1)).\n", checks.size(), failed,
                seconds);
    return failed ? 1 : 0;
}
