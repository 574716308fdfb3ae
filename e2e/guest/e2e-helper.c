/* e2e-helper: the few things the guest's busybox cannot do, built static by e2e/run.
 *
 *   e2e-helper now                 wall clock as seconds.microseconds
 *   e2e-helper ts                  copy stdin to stdout line by line, each line prefixed with the wall
 *                                  clock at which it arrived, one write(2) per line (busybox ts buffers)
 *   e2e-helper type DEVICE CODE    type CODE and Enter on a boot-keyboard gadget (/dev/hidgN): one
 *                                  8-byte report per write(2), press then release for each character;
 *                                  prints the wall clock after the last write, when the Enter press has
 *                                  been taken by the host (f_hid accepts a report only once the one
 *                                  before it was transferred). Gives up after 30 s.
 *   e2e-helper clock               the kernel's clock state as adjtimex(2) with modes 0 reads it (what the
 *                                  agent's isSynchronized does): "synchronised" or "unsynchronised", then
 *                                  the return value, status, maxerror and esterror; exit 0 synchronised,
 *                                  1 unsynchronised, 2 if adjtimex failed
 *   e2e-helper clock-sync          (root) mark the kernel's clock synchronised, as an NTP daemon does:
 *                                  ADJ_STATUS without STA_UNSYNC, maxerror 1000 us, esterror 100 us;
 *                                  then prints the state as "clock" does. The kernel sets STA_UNSYNC
 *                                  again only once maxerror grew past 16 s (500 us a second: ~9 hours)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static void stamp(char *buffer, size_t size) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(buffer, size, "%lld.%06ld", (long long)now.tv_sec, now.tv_nsec / 1000);
}

static int write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

static int timestamp_lines(void) {
    static char line[65536];
    size_t used = 0;
    char buffer[4096];
    for (;;) {
        ssize_t n = read(0, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++) {
            if (used < sizeof line - 1) line[used++] = buffer[i];
            if (buffer[i] == '\n') {
                char out[sizeof line + 32];
                char when[32];
                stamp(when, sizeof when);
                int length = snprintf(out, sizeof out, "%s %.*s", when, (int)used, line);
                if (write_all(1, out, (size_t)length) < 0) return 1;
                used = 0;
            }
        }
    }
    if (used > 0) {
        char when[32];
        stamp(when, sizeof when);
        dprintf(1, "%s %.*s\n", when, (int)used, line);
    }
    return 0;
}

/* US layout, boot keyboard usages. */
static int key_for(char c, unsigned char *modifier, unsigned char *key) {
    *modifier = 0;
    if (c >= 'A' && c <= 'Z') { *modifier = 0x02; *key = (unsigned char)(0x04 + c - 'A'); }
    else if (c >= 'a' && c <= 'z') *key = (unsigned char)(0x04 + c - 'a');
    else if (c >= '1' && c <= '9') *key = (unsigned char)(0x1e + c - '1');
    else if (c == '0') *key = 0x27;
    else if (c == '#') { *modifier = 0x02; *key = 0x20; }
    else if (c == ':') { *modifier = 0x02; *key = 0x33; }
    else if (c == '-') *key = 0x2d;
    else if (c == '\n') *key = 0x28;
    else return -1;
    return 0;
}

static int type_code(const char *device, const char *code) {
    alarm(30);
    int fd = open(device, O_WRONLY);
    if (fd < 0) { fprintf(stderr, "e2e-helper: %s: %s\n", device, strerror(errno)); return 1; }
    char text[256];
    snprintf(text, sizeof text, "%s\n", code);
    for (const char *p = text; *p; p++) {
        unsigned char modifier, key;
        if (key_for(*p, &modifier, &key) < 0) { fprintf(stderr, "e2e-helper: no key for '%c'\n", *p); return 2; }
        unsigned char press[8] = {modifier, 0, key, 0, 0, 0, 0, 0};
        unsigned char release[8] = {0};
        if (write_all(fd, (const char *)press, 8) < 0 || write_all(fd, (const char *)release, 8) < 0) {
            fprintf(stderr, "e2e-helper: writing to %s: %s\n", device, strerror(errno));
            return 1;
        }
    }
    char when[32];
    stamp(when, sizeof when);
    printf("%s\n", when);
    close(fd);
    return 0;
}

/* adjtimex with modes 0 only reads; synchronised as the agent decides it: not TIME_ERROR, no STA_UNSYNC. */
static int clock_state(void) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    int state = adjtimex(&tx);
    if (state < 0) {
        printf("error adjtimex: %s\n", strerror(errno));
        return 2;
    }
    int synced = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
    printf("%s return=%d status=0x%x maxerror=%ld esterror=%ld\n", synced ? "synchronised" : "unsynchronised", state,
           (unsigned)tx.status, (long)tx.maxerror, (long)tx.esterror);
    return synced ? 0 : 1;
}

static int clock_sync(void) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    if (adjtimex(&tx) < 0) { fprintf(stderr, "e2e-helper: adjtimex: %s\n", strerror(errno)); return 2; }
    int status = tx.status & ~STA_UNSYNC;
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
    tx.status = status;
    tx.maxerror = 1000;
    tx.esterror = 100;
    if (adjtimex(&tx) < 0) { fprintf(stderr, "e2e-helper: adjtimex(ADJ_STATUS): %s\n", strerror(errno)); return 2; }
    return clock_state();
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "now") == 0) {
        char when[32];
        stamp(when, sizeof when);
        printf("%s\n", when);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "ts") == 0) return timestamp_lines();
    if (argc == 4 && strcmp(argv[1], "type") == 0) return type_code(argv[2], argv[3]);
    if (argc == 2 && strcmp(argv[1], "clock") == 0) return clock_state();
    if (argc == 2 && strcmp(argv[1], "clock-sync") == 0) return clock_sync();
    fprintf(stderr, "usage: e2e-helper now | ts | type DEVICE CODE | clock | clock-sync\n");
    return 2;
}
