#ifndef STATION_AGENT_CCRYPTO_SHIM_H
#define STATION_AGENT_CCRYPTO_SHIM_H
/* libcrypto (OpenSSL 3, Debian's libssl-dev): only the digests. Its SHA-256 uses the CPU's SHA extensions. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
