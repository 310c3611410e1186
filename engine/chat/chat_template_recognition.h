#pragma once
// Recognising a published chat template from its Jinja text, and the standard style of each
// family for the --chat-template override.

#include "engine/chat/chat_template_style.h"

#include <string>
#include <string_view>

namespace engine::chat_detail {

// Throws engine::Error when the text is empty, belongs to no known family, or is a variant
// of a family in a form Glimpse cannot reproduce exactly. Messages list the family names
// and the --chat-template override.
ChatTemplateStyle recognise_chat_template(std::string_view template_text, std::string_view bos_text,
                                          std::string_view eos_text);

ChatTemplateStyle standard_chat_style(ChatTemplateFamily family, std::string_view bos_text,
                                      std::string_view eos_text);

// "Known chat template families: chatml, llama3, ...; pass --chat-template NAME to choose one."
std::string chat_template_override_hint();

}  // namespace engine::chat_detail
