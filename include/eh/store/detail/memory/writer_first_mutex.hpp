#pragma once
// A reader-writer lock that lets a waiting writer in before new readers. glibc's default
// (what std::shared_mutex uses) prefers readers: a steady stream of queries, each holding
// every shard's read lock for a moment, kept the ingest loop's put() waiting indefinitely
// (seen under ThreadSanitizer, where queries are slow). Ingest must not starve behind reads.
// Readers must not take it twice in one thread (the non-recursive writer-first kind).
#include <cerrno>
#include <system_error>

#include <pthread.h>

namespace eh::store::detail::memory {

class WriterFirstMutex {
public:
    WriterFirstMutex() {
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        const int e = pthread_rwlock_init(&lock_, &attr);
        pthread_rwlockattr_destroy(&attr);
        if (e != 0) throw std::system_error(e, std::generic_category(), "pthread_rwlock_init");
    }
    WriterFirstMutex(const WriterFirstMutex&) = delete;
    WriterFirstMutex& operator=(const WriterFirstMutex&) = delete;
    ~WriterFirstMutex() { pthread_rwlock_destroy(&lock_); }

    void lock() { check(pthread_rwlock_wrlock(&lock_)); }
    bool try_lock() { return pthread_rwlock_trywrlock(&lock_) == 0; }
    void unlock() { pthread_rwlock_unlock(&lock_); }
    void lock_shared() { check(pthread_rwlock_rdlock(&lock_)); }
    bool try_lock_shared() { return pthread_rwlock_tryrdlock(&lock_) == 0; }
    void unlock_shared() { pthread_rwlock_unlock(&lock_); }

private:
    static void check(int e) {
        if (e != 0) throw std::system_error(e, std::generic_category(), "pthread_rwlock");
    }
    pthread_rwlock_t lock_;
};

} // namespace eh::store::detail::memory
