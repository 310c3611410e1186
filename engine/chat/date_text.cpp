#include "engine/chat/date_text.h"

#include "engine/error.h"

#include <array>
#include <ctime>

namespace engine::chat_detail {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"January", "February", "March", "April", "May", "June",
                                                      "July", "August", "September", "October", "November",
                                                      "December"};
constexpr std::array<std::string_view, 7> kWeekdays = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

std::string two_digits(unsigned v) {
    return std::string{char('0' + v / 10 % 10), char('0' + v % 10)};
}

}  // namespace

bool date_format_supported(std::string_view format) {
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') continue;
        if (i + 1 == format.size() || std::string_view("deymYbBaAj%").find(format[i + 1]) == std::string_view::npos)
            return false;
        ++i;
    }
    return true;
}

std::string format_date(std::string_view format, std::chrono::year_month_day day) {
    if (!date_format_supported(format))
        throw Error("date format \"" + std::string(format) + "\" has a directive Glimpse does not know "
                    "(it knows %d %e %m %y %Y %b %B %a %A %j %%)");
    using namespace std::chrono;
    const unsigned d = unsigned(day.day());
    const unsigned m = unsigned(day.month());
    const int y = int(day.year());
    const unsigned weekday = year_month_weekday(sys_days(day)).weekday().c_encoding();
    const auto day_of_year = (sys_days(day) - sys_days(year(y) / January / 1)).count() + 1;
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') {
            out += format[i];
            continue;
        }
        switch (format[++i]) {
        case 'd': out += two_digits(d); break;
        case 'e':
            if (d < 10) out += ' ';
            out += std::to_string(d);
            break;
        case 'm': out += two_digits(m); break;
        case 'y': out += two_digits(unsigned(y % 100)); break;
        case 'Y': out += std::to_string(y); break;
        case 'b': out += kMonths[m - 1].substr(0, 3); break;
        case 'B': out += kMonths[m - 1]; break;
        case 'a': out += kWeekdays[weekday].substr(0, 3); break;
        case 'A': out += kWeekdays[weekday]; break;
        case 'j':
            out.append(day_of_year < 10 ? 2 : day_of_year < 100 ? 1 : 0, '0');
            out += std::to_string(day_of_year);
            break;
        case '%': out += '%'; break;
        }
    }
    return out;
}

std::string render_dated_text(const DatedText& text, std::chrono::year_month_day day) {
    std::string out;
    for (const auto& piece : text.pieces) out += piece.is_date ? format_date(piece.text, day) : piece.text;
    return out;
}

std::chrono::year_month_day local_today() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    return std::chrono::year_month_day(std::chrono::year(local.tm_year + 1900),
                                       std::chrono::month(unsigned(local.tm_mon + 1)),
                                       std::chrono::day(unsigned(local.tm_mday)));
}

}  // namespace engine::chat_detail
