#include "engine/cpu/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace engine::cpu {
namespace {

// Polling before sleeping: first a few hundred pauses (the gap between the loops of one
// forward pass is usually shorter), then yields, so that a thread sharing its core with
// the one it waits for (a machine with more threads than free cores) hands the core over
// instead of burning it.
constexpr int kPauseRounds = 256;
constexpr int kYieldRounds = 128;

inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Polls `ready` for a while; true if it became true.
template <class F>
bool spin_until(F&& ready) {
    for (int i = 0; i < kPauseRounds; ++i) {
        if (ready()) return true;
        cpu_pause();
    }
    for (int i = 0; i < kYieldRounds; ++i) {
        if (ready()) return true;
        std::this_thread::yield();
    }
    return ready();
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    size_ = threads;
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true, std::memory_order_release);
    }
    start_cv_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::run_tasks(int thread) {
    for (;;) {
        int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
        if (task >= n_tasks_) return;
        try {
            (*body_)(task, thread);
        } catch (...) {
            std::lock_guard lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
            next_task_.store(n_tasks_, std::memory_order_relaxed);   // stop handing out work
        }
    }
}

void ThreadPool::worker_loop(int thread) {
    uint64_t seen = 0;
    for (;;) {
        const auto started = [&] {
            return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
        };
        if (!spin_until(started)) {
            std::unique_lock lock(mutex_);
            start_cv_.wait(lock, started);
        }
        if (stopping_.load(std::memory_order_acquire)) return;
        seen = generation_.load(std::memory_order_acquire);
        run_tasks(thread);
        if (busy_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            // The caller may be asleep; the lock orders this notify after its check.
            std::lock_guard lock(mutex_);
            done_cv_.notify_one();
        }
    }
}

void ThreadPool::parallel_for(int64_t n_tasks, const std::function<void(int64_t, int)>& body) {
    if (n_tasks <= 0) return;
    if (workers_.empty() || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; ++t) body(t, 0);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        body_ = &body;
        n_tasks_ = n_tasks;
        next_task_.store(0, std::memory_order_relaxed);
        error_ = nullptr;
        busy_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
    }
    start_cv_.notify_all();
    run_tasks(0);
    const auto done = [&] { return busy_workers_.load(std::memory_order_acquire) == 0; };
    if (!spin_until(done)) {
        std::unique_lock lock(mutex_);
        done_cv_.wait(lock, done);
    }
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
}

}  // namespace engine::cpu
