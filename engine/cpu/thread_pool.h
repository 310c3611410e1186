#pragma once
// A fixed set of worker threads that run one parallel loop at a time. The calling thread
// works too, so a pool of n threads starts n - 1 workers. Between loops, workers poll
// briefly (pausing, then yielding the core) before sleeping: a forward pass issues hundreds
// of loops per token, back to back, and a sleep/wake round trip per loop costs more than
// the small loops of decode.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace engine::cpu {

class ThreadPool {
public:
    // threads <= 0: one per hardware thread.
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return size_; }

    // Calls body(task, thread) for every task in [0, n_tasks), spread over the threads;
    // `thread` is in [0, size()) and lets a body use per-thread scratch. Returns when all
    // are done; rethrows the first exception a body threw.
    void parallel_for(int64_t n_tasks, const std::function<void(int64_t task, int thread)>& body);

private:
    void worker_loop(int thread);
    void run_tasks(int thread);

    int size_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable start_cv_;
    std::condition_variable done_cv_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> busy_workers_{0};
    std::atomic<bool> stopping_{false};

    const std::function<void(int64_t, int)>* body_ = nullptr;
    int64_t n_tasks_ = 0;
    std::atomic<int64_t> next_task_{0};
    std::exception_ptr error_;
    std::mutex error_mutex_;
};

}  // namespace engine::cpu
