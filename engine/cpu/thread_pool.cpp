#include "engine/cpu/thread_pool.h"

#include <algorithm>

namespace engine::cpu {

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    size_ = threads;
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
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
        {
            std::unique_lock lock(mutex_);
            start_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) return;
            seen = generation_;
        }
        run_tasks(thread);
        {
            std::lock_guard lock(mutex_);
            if (--busy_workers_ == 0) done_cv_.notify_one();
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
        busy_workers_ = static_cast<int>(workers_.size());
        ++generation_;
    }
    start_cv_.notify_all();
    run_tasks(0);
    {
        std::unique_lock lock(mutex_);
        done_cv_.wait(lock, [&] { return busy_workers_ == 0; });
        body_ = nullptr;
    }
    if (error_) std::rethrow_exception(error_);
}

}  // namespace engine::cpu
