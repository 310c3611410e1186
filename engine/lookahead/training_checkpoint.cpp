#include "engine/lookahead/training_checkpoint.h"

#include "engine/error.h"
#include "engine/lookahead/adamw.h"

#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace engine::lookahead {
namespace {

constexpr char kMagic[8] = {'G', 'L', 'K', 'V', 'T', 'R', 'N', '1'};

void put(std::vector<uint8_t>& out, const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    out.insert(out.end(), p, p + n);
}

void put_i64(std::vector<uint8_t>& out, int64_t v) { put(out, &v, sizeof v); }

void put_params(std::vector<uint8_t>& out, const LookaheadParameters& p) {
    for_each_tensor(p, [&](const std::vector<double>& v, bool) {
        put_i64(out, static_cast<int64_t>(v.size()));
        put(out, v.data(), v.size() * sizeof(double));
    });
}

class Reader {
public:
    Reader(std::vector<uint8_t> bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {}
    void get(void* out, size_t n) {
        if (n > bytes_.size() - at_) throw Error(name_ + ": training checkpoint ends early (truncated file?)");
        std::memcpy(out, bytes_.data() + at_, n);
        at_ += n;
    }
    int64_t get_i64() {
        int64_t v = 0;
        get(&v, sizeof v);
        return v;
    }
    void get_params(LookaheadParameters& p, const char* what) {
        int64_t index = 0;
        for_each_tensor(p, [&](std::vector<double>& v, bool) {
            const int64_t n = get_i64();
            if (n != static_cast<int64_t>(v.size()))
                throw Error(name_ + ": training checkpoint " + what + " tensor " + std::to_string(index) + " has " +
                            std::to_string(n) + " values, the adapter needs " + std::to_string(v.size()) +
                            " (was it made with other --lookahead-tokens/--rank/--targets?)");
            get(v.data(), v.size() * sizeof(double));
            ++index;
        });
    }
    bool at_end() const { return at_ == bytes_.size(); }
    const std::string& name() const { return name_; }

private:
    std::vector<uint8_t> bytes_;
    std::string name_;
    size_t at_ = 0;
};

}  // namespace

std::filesystem::path checkpoint_path_for(const std::filesystem::path& adapter_path) {
    return std::filesystem::path(adapter_path.string() + ".state");
}

void write_training_checkpoint(const TrainingCheckpoint& c, const std::filesystem::path& path) {
    std::vector<uint8_t> out;
    put(out, kMagic, sizeof kMagic);
    put(out, &c.seed, sizeof c.seed);
    put_i64(out, c.step);
    put_i64(out, c.epoch);
    put_i64(out, c.position);
    put_i64(out, c.n_samples);
    put_params(out, c.params);
    put_params(out, c.first_moment);
    put_params(out, c.second_moment);

    const std::filesystem::path tmp(path.string() + ".tmp");
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
        f.flush();
        if (!f) throw Error(tmp.string() + ": cannot write the training checkpoint");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw Error(path.string() + ": cannot write the training checkpoint: " + ec.message());
}

TrainingCheckpoint read_training_checkpoint(const std::filesystem::path& path, const LookaheadParameters& like) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path.string() + ": cannot open the training checkpoint (nothing to resume from)");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    Reader r(std::move(bytes), path.string());
    char magic[sizeof kMagic];
    r.get(magic, sizeof magic);
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
        throw Error(path.string() + ": not a LookaheadKV training checkpoint");
    TrainingCheckpoint c;
    r.get(&c.seed, sizeof c.seed);
    c.step = r.get_i64();
    c.epoch = r.get_i64();
    c.position = r.get_i64();
    c.n_samples = r.get_i64();
    if (c.step < 0 || c.epoch < 0 || c.n_samples <= 0 || c.position < 0 || c.position > c.n_samples)
        throw Error(path.string() + ": training checkpoint has an invalid position (step " + std::to_string(c.step) +
                    ", sample " + std::to_string(c.position) + " of " + std::to_string(c.n_samples) + ")");
    c.params = like.zeros_like();
    c.first_moment = like.zeros_like();
    c.second_moment = like.zeros_like();
    r.get_params(c.params, "parameter");
    r.get_params(c.first_moment, "first-moment");
    r.get_params(c.second_moment, "second-moment");
    if (!r.at_end()) throw Error(path.string() + ": training checkpoint has trailing bytes");
    return c;
}

}  // namespace engine::lookahead
