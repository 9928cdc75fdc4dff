// Proving knowledge of a shared secret without sending it: the hub hands a
// node a one-time random challenge, the node answers with an HMAC-SHA256 of
// it keyed with the secret. A proof overheard on the wire is worthless once
// its challenge is used.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slackrtm {

/// `bytes` bytes from OpenSSL's CSPRNG, as lowercase hex. Throws
/// `std::runtime_error` when the generator fails.
std::string random_hex(std::size_t bytes);

/// The proof for `challenge`: HMAC-SHA256 keyed with `secret`, over a
/// purpose label and the challenge, as lowercase hex (64 characters).
std::string secret_proof(std::string_view secret, std::string_view challenge);

/// Equality in time that depends only on the lengths.
bool same_text(std::string_view a, std::string_view b) noexcept;

} // namespace slackrtm
