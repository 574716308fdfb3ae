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
/* Names the calling thread (shown by top -H, ps -L and in crash reports); prctl is variadic. */
#include <sys/prctl.h>
static inline int station_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
#endif
