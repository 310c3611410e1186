#include "store/session_transcript.h"

#include <algorithm>
#include <ctime>
#include <regex>

namespace glimpse::store {
namespace {

std::string date(int64_t t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::localtime(&tt));
    return buf;
}

}  // namespace

std::vector<int> cited_pages(const TurnRecord& turn) {
    std::vector<int> pages;
    static const std::regex stored(R"((\d+):(\d+))"), marker(R"(\[p\.\s*(\d+)\])");
    if (!turn.cited_pages.empty()) {
        for (std::sregex_iterator it(turn.cited_pages.begin(), turn.cited_pages.end(), stored), end; it != end; ++it)
            pages.push_back(std::stoi((*it)[2]));
    } else {
        for (std::sregex_iterator it(turn.answer.begin(), turn.answer.end(), marker), end; it != end; ++it)
            pages.push_back(std::stoi((*it)[1]));
    }
    std::sort(pages.begin(), pages.end());
    pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
    return pages;
}

std::string session_transcript(const SessionRecord& session, const std::vector<StoredDocument>& documents,
                               const std::vector<TurnRecord>& turns) {
    std::string md = "# " + session.title + "\n\n";
    md += "Session `" + session.name + "`, started " + date(session.created_at) + ", policy " +
          session.identity.policy + " (budget " + std::to_string(session.identity.budget) + ").\n\n## Documents\n\n";
    for (const auto& d : documents)
        md += "- **" + d.document.title + "** (" + std::to_string(d.document.pages.size()) + " pages) — `" + d.path +
              "`\n";
    for (size_t i = 0; i < turns.size(); ++i) {
        md += "\n## " + std::to_string(i + 1) + ". " + turns[i].question + "\n\n" + turns[i].answer + "\n";
        const auto pages = cited_pages(turns[i]);
        if (!pages.empty()) {
            md += "\n*Pages:";
            for (size_t p = 0; p < pages.size(); ++p) md += (p ? ", p. " : " p. ") + std::to_string(pages[p]);
            md += "*\n";
        }
    }
    return md;
}

}  // namespace glimpse::store
