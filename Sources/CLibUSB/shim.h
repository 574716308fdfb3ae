#ifndef STATION_AGENT_CLIBUSB_SHIM_H
#define STATION_AGENT_CLIBUSB_SHIM_H
#include <libusb.h>

/* libusb_set_option is variadic, which Swift cannot call: one wrapper per option shape. */
static inline int station_libusb_set_option_int(libusb_context *ctx, enum libusb_option option, int value) {
    return libusb_set_option(ctx, option, value);
}
static inline int station_libusb_set_option_none(libusb_context *ctx, enum libusb_option option) {
    return libusb_set_option(ctx, option);
}
#endif
