/*
 * A work-around for a bug in libusb 1.0.26 (Debian 12) that libuvc meets on every camera unplug.
 *
 * libusb_set_interface_alt_setting() unlocks the device handle's mutex without having locked it when
 * the device has gone ("if (!attached) { usbi_mutex_unlock(&dev_handle->lock); return NO_DEVICE; }",
 * fixed upstream after 1.0.26). libuvc calls it for each claimed interface when it closes a camera, so
 * after an unplug the handle's mutex is left with a negative user count, and libusb_close()'s
 * pthread_mutex_destroy() fails its assertion: the whole agent aborts.
 *
 * This program's own libusb_close() (the executable's definition comes first for libuvc, libusb's
 * callers and Swift alike) gives the handle's mutex a clean state before libusb's libusb_close()
 * destroys it: the mutex is the first member of struct libusb_device_handle, and a handle being closed
 * is used by no other thread, so when the mutex is free (trylock) it is initialised afresh. A mutex
 * someone really holds is left alone, so a genuine misuse still shows.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include "station_libusb_compat.h"

struct libusb_device_handle;

int station_libusb_compat_linked(void) { return 1; }

void libusb_close(struct libusb_device_handle *handle) {
    static void (*real_close)(struct libusb_device_handle *) = NULL;
    if (real_close == NULL) {
        real_close = (void (*)(struct libusb_device_handle *))dlsym(RTLD_NEXT, "libusb_close");
    }
    if (handle != NULL) {
        pthread_mutex_t *lock = (pthread_mutex_t *)(void *)handle;
        if (pthread_mutex_trylock(lock) == 0) {
            pthread_mutex_unlock(lock);
            pthread_mutex_init(lock, NULL);
        }
    }
    if (real_close != NULL) real_close(handle);
}
