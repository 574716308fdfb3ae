#ifndef STATION_AGENT_CCURL_SHIM_H
#define STATION_AGENT_CCURL_SHIM_H
/* libcurl (Debian's libcurl4-openssl-dev). */
#include <curl/curl.h>
#endif
