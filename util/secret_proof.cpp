// HMAC-SHA256 proofs and random challenges, through OpenSSL.
#include "util/secret_proof.hpp"

#include <stdexcept>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace slackrtm {

namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xf];
  }
  return out;
}

// Binds a proof to its use: the same secret keyed over the same bytes for
// another purpose gives another MAC.
constexpr std::string_view proof_label = "slackrtm node admission v1\n";

} // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    throw std::runtime_error("slackrtm: the random generator failed");
  return to_hex(buf.data(), buf.size());
}

std::string secret_proof(std::string_view secret, std::string_view challenge) {
  std::string message{proof_label};
  message += challenge;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(message.data()),
            message.size(), mac, &size))
    throw std::runtime_error("slackrtm: HMAC-SHA256 failed");
  return to_hex(mac, size);
}

bool same_text(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace slackrtm
