#ifndef STATION_AGENT_CUMOCKDEV_SHIM_H
#define STATION_AGENT_CUMOCKDEV_SHIM_H
#include <umockdev.h>
#include <glib-object.h>
#include <linux/usbdevice_fs.h>
#include <linux/usb/ch9.h>
#include <sys/ioctl.h>

/* The usbdevfs request numbers are macros built from _IOR/_IOW, which Swift does not import. */
static inline unsigned long station_usbdevfs_submiturb(void) { return USBDEVFS_SUBMITURB; }
static inline unsigned long station_usbdevfs_discardurb(void) { return USBDEVFS_DISCARDURB; }
static inline unsigned long station_usbdevfs_reapurb(void) { return USBDEVFS_REAPURB; }
static inline unsigned long station_usbdevfs_reapurbndelay(void) { return USBDEVFS_REAPURBNDELAY; }
static inline unsigned long station_usbdevfs_claiminterface(void) { return USBDEVFS_CLAIMINTERFACE; }
static inline unsigned long station_usbdevfs_releaseinterface(void) { return USBDEVFS_RELEASEINTERFACE; }
static inline unsigned long station_usbdevfs_getdriver(void) { return USBDEVFS_GETDRIVER; }
static inline unsigned long station_usbdevfs_ioctl(void) { return USBDEVFS_IOCTL; }
static inline unsigned long station_usbdevfs_disconnect(void) { return USBDEVFS_DISCONNECT; }
static inline unsigned long station_usbdevfs_connect(void) { return USBDEVFS_CONNECT; }
static inline unsigned long station_usbdevfs_get_capabilities(void) { return USBDEVFS_GET_CAPABILITIES; }
static inline unsigned long station_usbdevfs_setinterface(void) { return USBDEVFS_SETINTERFACE; }
static inline unsigned long station_usbdevfs_setconfiguration(void) { return USBDEVFS_SETCONFIGURATION; }
static inline unsigned long station_usbdevfs_clear_halt(void) { return USBDEVFS_CLEAR_HALT; }
static inline unsigned long station_usbdevfs_reset(void) { return USBDEVFS_RESET; }
static inline unsigned long station_usbdevfs_disconnect_claim(void) { return USBDEVFS_DISCONNECT_CLAIM; }
static inline unsigned long station_usbdevfs_control(void) { return USBDEVFS_CONTROL; }
static inline unsigned long station_usbdevfs_bulk(void) { return USBDEVFS_BULK; }

/* g_signal_connect is a macro. */
static inline gulong station_g_signal_connect(gpointer instance, const gchar *signal, GCallback handler, gpointer data) {
    return g_signal_connect_data(instance, signal, handler, data, NULL, (GConnectFlags)0);
}
#endif
