#pragma once
// Dates as templates print them through strftime_now(format), in English whatever the
// process locale, and DatedText rendered for a given day.

#include "engine/chat/chat_template_style.h"

#include <chrono>
#include <string>
#include <string_view>

namespace engine::chat_detail {

// Supports %d %e %m %y %Y %b %B %a %A %j %%; throws engine::Error for anything else.
std::string format_date(std::string_view format, std::chrono::year_month_day day);

// Whether format_date handles every directive in `format`.
bool date_format_supported(std::string_view format);

std::string render_dated_text(const DatedText& text, std::chrono::year_month_day day);

// Today's date in the local time zone, as Python's datetime.now() sees it.
std::chrono::year_month_day local_today();

}  // namespace engine::chat_detail
