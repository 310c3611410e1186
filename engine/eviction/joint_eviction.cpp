#include "engine/eviction/joint_eviction.h"

#include "engine/error.h"

#include <algorithm>

namespace engine {

void evict_jointly(EvictionPolicy& policy, const EvictionInput& in, CompressedCache& cache, int64_t layer,
                   const CompressedCache::Mark& base, const std::vector<std::vector<float>>* past_attention,
                   const std::vector<std::vector<float>>* observed_past) {
    const int64_t n_kv = cache.n_kv_heads(), d = cache.head_dim(), kv_dim = n_kv * d, n = in.n_tokens;
    std::vector<int64_t> cached(static_cast<size_t>(n_kv));
    int64_t p = 0;   // slots for cached entries: the largest head's count
    for (int64_t h = 0; h < n_kv; ++h) {
        const KvHeadCache& hc = cache.head(layer, h);
        cached[static_cast<size_t>(h)] = base.head_sizes.at(static_cast<size_t>(layer * n_kv + h));
        if (hc.size() != cached[static_cast<size_t>(h)] + n)
            throw Error("joint eviction: layer " + std::to_string(layer) + " does not end with the new tokens");
        p = std::max(p, cached[static_cast<size_t>(h)]);
    }
    const int64_t total = p + n;

    // Heads may have kept different counts; a shorter head's spare slots (after its cached
    // entries, before the new tokens) repeat its last entry and are dropped if chosen.
    std::vector<float> k(static_cast<size_t>(total * kv_dim)), v(k.size());
    std::vector<int32_t> positions(static_cast<size_t>(total));
    for (int64_t h = 0; h < n_kv; ++h) {
        const KvHeadCache& hc = cache.head(layer, h);
        const int64_t c = cached[static_cast<size_t>(h)];
        for (int64_t slot = 0; slot < total; ++slot) {
            const int64_t entry = slot < c ? slot : slot < p ? c - 1 : c + slot - p;
            hc.k.decode(entry, 1, k.data() + slot * kv_dim + h * d);
            hc.v.decode(entry, 1, v.data() + slot * kv_dim + h * d);
            if (h == 0) positions[static_cast<size_t>(slot)] = hc.positions[static_cast<size_t>(entry)];
        }
    }
    // Per query head, the cached entries' sums (their KV group's, split evenly over the group's
    // query heads) in the slots before the new tokens' own.
    const int64_t group = in.n_heads / n_kv;
    auto joined_sums = [&](const float* new_sums, const std::vector<std::vector<float>>* past, const char* what) {
        if (!past) throw Error(std::string("joint eviction: the policy wants ") + what + " but the cached entries have none");
        std::vector<float> sums(static_cast<size_t>(in.n_heads * total), 0.0f);
        for (int64_t qh = 0; qh < in.n_heads; ++qh) {
            const int64_t h = qh / group;
            const auto& received = (*past)[static_cast<size_t>(layer * n_kv + h)];
            for (int64_t j = 0; j < cached[static_cast<size_t>(h)] && j < static_cast<int64_t>(received.size()); ++j)
                sums[static_cast<size_t>(qh * total + j)] = received[static_cast<size_t>(j)] / static_cast<float>(group);
            std::copy_n(new_sums + qh * n, n, sums.begin() + qh * total + p);
        }
        return sums;
    };
    std::vector<float> key_attention, observation;
    EvictionInput joined = in;
    joined.n_tokens = total;
    joined.k = k.data();
    joined.v = v.data();
    joined.positions = positions;
    joined.past = {};
    if (in.key_attention) {
        key_attention = joined_sums(in.key_attention, past_attention, "key attention");
        joined.key_attention = key_attention.data();
    }
    if (in.observation_attention) {
        observation = joined_sums(in.observation_attention, observed_past, "observation-window sums");
        joined.observation_attention = observation.data();
    }

    const auto kept = policy.keep(joined);
    check_kept_indices(policy, joined, kept);
    for (int64_t h = 0; h < n_kv; ++h) {
        const KvHeadCache& old = cache.head(layer, h);
        const int64_t c = cached[static_cast<size_t>(h)];
        KvHeadCache fresh{{}, KvRows(cache.kv_type(), d), KvRows(cache.kv_type(), d)};
        for (int32_t slot : kept[static_cast<size_t>(h)]) {
            if (slot >= c && slot < p) continue;   // a spare slot
            fresh.push_back_entry(old, slot < c ? slot : c + slot - p);
        }
        cache.head(layer, h) = std::move(fresh);
    }
}

}  // namespace engine
