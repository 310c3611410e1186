// A writer for the crash test: appends turns and extends the session's KV snapshot after
// each, printing "turn N" once turn N and its snapshot are committed, until killed or
// `max_turns` is reached. Arguments: database path, session name, max_turns.

#include "synthetic_cache.h"

#include "engine/error.h"
#include "store/session_store.h"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: session_store_writer DB NAME MAX_TURNS\n");
        return 2;
    }
    try {
        glimpse::store::SessionStore store(argv[1]);
        const std::string name = argv[2];
        auto session = store.find(name);
        if (!session)
            session = store.create(name, "Crash test", synthetic::identity(), "", "", synthetic::documents());
        const int64_t max_turns = std::atoll(argv[3]);
        for (int64_t t = static_cast<int64_t>(store.turns(session->id).size()); t < max_turns; ++t) {
            store.add_turn(session->id, synthetic::turn(t));
            store.save_snapshot(session->id, synthetic::identity(), synthetic::cache_after(t + 1),
                                synthetic::state_after(t + 1), true);
            std::printf("turn %lld\n", static_cast<long long>(t));
            std::fflush(stdout);
        }
    } catch (const engine::Error& e) {
        std::fprintf(stderr, "session_store_writer: %s\n", e.what());
        return 1;
    }
    return 0;
}
