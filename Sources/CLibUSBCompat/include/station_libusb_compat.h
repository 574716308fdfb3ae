#ifndef STATION_AGENT_LIBUSB_COMPAT_H
#define STATION_AGENT_LIBUSB_COMPAT_H
/* Linked into every program that uses UVCCamera: see compat.c. */
int station_libusb_compat_linked(void);
#endif
