// The CUDA plugin. Everywhere: how loading fails (no plugin, not a library, not a Glimpse
// plugin) and, with the plugin built, that it loads and reports its devices or why there
// are none. On a GPU: every op against the CPU backend (or a double-precision reference) on
// fresh random inputs (tests/gpu/cuda_op_checks). Without a GPU that check skips and says
// why; scripts/gpu-check runs it where there is one.

#include "cuda_op_checks.h"

#include "engine/device/cuda_plugin.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <fstream>

class TestCudaPlugin : public QObject {
    Q_OBJECT

    engine::CudaPlugin plugin_ = engine::CudaPlugin::load(GLIMPSE_CUDA_PLUGIN_PATH);
    bool gpu_ = false;
    std::string no_gpu_;

private slots:
    void initTestCase() {
        if (!plugin_.ok()) {
            no_gpu_ = plugin_.why();
            return;
        }
        gpu_ = !plugin_.devices(&no_gpu_).empty();
        if (gpu_) plugin_.api().select_device(0);
    }

    void a_missing_plugin_says_how_to_get_one() {
        const auto p = engine::CudaPlugin::load("/nonexistent/libglimpse_cuda.so");
        QVERIFY(!p.ok());
        QVERIFY2(p.why().find("/nonexistent/libglimpse_cuda.so") != std::string::npos, p.why().c_str());
        QVERIFY2(p.why().find("glimpse-cuda") != std::string::npos, p.why().c_str());
        std::string why;
        QVERIFY(p.devices(&why).empty());
        QCOMPARE(why, p.why());
    }

    void a_file_that_is_no_plugin_is_refused() {
        QTemporaryDir dir;
        const std::string junk = dir.filePath("libglimpse_cuda.so").toStdString();
        std::ofstream(junk) << "not a shared library";
        const auto p = engine::CudaPlugin::load(junk);
        QVERIFY(!p.ok());
        QVERIFY2(p.why().find("cannot be loaded") != std::string::npos, p.why().c_str());
        // A real shared library, but not ours.
        const auto m = engine::CudaPlugin::load("/lib/x86_64-linux-gnu/libm.so.6");
        QVERIFY(!m.ok());
        QVERIFY2(m.why().find("not a Glimpse CUDA plugin") != std::string::npos, m.why().c_str());
    }

    void the_built_plugin_loads_and_reports_its_devices() {
        if (std::string(GLIMPSE_CUDA_PLUGIN_PATH).empty()) QSKIP("this build has no CUDA plugin (GLIMPSE_CUDA=OFF)");
        QVERIFY2(plugin_.ok(), plugin_.why().c_str());
        QCOMPARE(plugin_.api().version, GLIMPSE_CUDA_API_VERSION);
        std::string why;
        const auto devices = plugin_.devices(&why);
        if (devices.empty()) {
            QVERIFY2(!why.empty(), "no devices and no reason");   // e.g. no driver on this machine
            qInfo("no GPU here: %s", why.c_str());
            return;
        }
        for (const auto& d : devices) {
            QVERIFY(!d.name.empty());
            QVERIFY(d.total_bytes > 0 && d.free_bytes <= d.total_bytes);
            QVERIFY(d.compute_major >= 5);
        }
    }

    // Each op against the CPU with the tolerance its check states (tests/gpu/cuda_op_checks).
    void every_op_matches_the_cpu() {
        if (!gpu_) QSKIP(no_gpu_.c_str());
        const auto checks = gpu_check::run_cuda_op_checks(plugin_.api());
        QVERIFY(checks.size() >= 17);
        for (const auto& c : checks)
            QVERIFY2(c.passed, (c.name + ": error " + std::to_string(c.error) + " > " + std::to_string(c.tolerance) + " " +
                                c.message).c_str());
    }
};

QTEST_APPLESS_MAIN(TestCudaPlugin)
#include "test_cuda_plugin.moc"
