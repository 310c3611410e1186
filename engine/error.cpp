#include "engine/error.h"

namespace engine {

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Invalid: return "invalid";
        case ErrorKind::BadFile: return "bad file";
        case ErrorKind::WrongModel: return "wrong model";
        case ErrorKind::OutOfMemory: return "out of memory";
        case ErrorKind::Cancelled: return "cancelled";
        case ErrorKind::Io: return "i/o";
    }
    return "?";
}

}  // namespace engine
