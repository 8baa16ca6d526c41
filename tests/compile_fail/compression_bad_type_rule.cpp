// A compression type rule that cannot be called with a media type: the message says what shape
// the rule must have.
// expected error: the type rule must be callable as `bool\(std::string_view media_type\) const`
#include <asyncrest/server/compression.hpp>

const auto broken = asyncrest::compression{{}, [](int level) { return level > 0; }};
