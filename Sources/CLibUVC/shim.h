#ifndef STATION_AGENT_CLIBUVC_SHIM_H
#define STATION_AGENT_CLIBUVC_SHIM_H
/* libuvc 0.0.6 (Debian's libuvc-dev): UVC cameras over libusb. Its header declares libusb's types only
   as incomplete structs, so the agent's `libusb_context` (an OpaquePointer in Swift) is passed as is. */
#include <libuvc/libuvc.h>
#include <pthread.h>

/* The format descriptor's GUID/fourcc sits in an anonymous union, which Swift imports awkwardly. */
static inline const uint8_t *station_uvc_format_guid(const uvc_format_desc_t *format) {
    return format->guidFormat;
}
#endif
