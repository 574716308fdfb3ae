#ifndef STATION_AGENT_CALSA_SHIM_H
#define STATION_AGENT_CALSA_SHIM_H
/* ALSA's PCM API (Debian's libasound2-dev). */
#include <alsa/asoundlib.h>

/* alsa-lib prints its own errors to stderr ("ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM ..."), once
   per failed open: the agent retries a missing device every 30 s and says what is wrong itself, once, through its
   log. The handler is variadic, which Swift cannot write: a C one that drops the text. */
static void station_alsa_quiet_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void station_alsa_silence_errors(void) {
    snd_lib_error_set_handler(station_alsa_quiet_handler);
}
/* Names the calling thread (shown by top -H and ps -L); prctl is variadic. */
#include <sys/prctl.h>
static inline int station_alsa_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
#endif
