# Shell functions of both guest phases (sourced by /init and by /usr/lib/e2e/systemd-phase; busybox sh).
# Lines meant for the host start with "E2E" or two spaces (e2e/run shows only those).

ok() { PASS=$((PASS + 1)); echo "E2E-PASS $*"; }
bad() { FAIL=$((FAIL + 1)); echo "E2E-FAIL $*"; }
check() { # DESCRIPTION COMMAND...: pass when the command succeeds
    d=$1; shift
    if "$@"; then ok "$d"; else bad "$d"; return 1; fi
}
note() { echo "E2E-NOTE $*"; }
info() { echo "  $*"; }
# wait_until SECONDS COMMAND...: poll every 0.1 s; false when the time ran out
wait_until() {
    w_limit=$(($1 * 10)); shift
    w_i=0
    while ! "$@"; do
        w_i=$((w_i + 1))
        [ "$w_i" -ge "$w_limit" ] && return 1
        sleep 0.1
    done
    return 0
}
now() { e2e-helper now; }                      # wall clock, microseconds (busybox date has no %N)
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# sysfs directory of the USB device with this VID (empty if absent)
usbdev() { for d in /sys/bus/usb/devices/*; do [ -f "$d/idVendor" ] && [ "$(cat "$d/idVendor")" = "$1" ] && { echo "$d"; return 0; }; done; return 1; }
devnode() { d=$(usbdev "$1") || return 1; printf '/dev/bus/usb/%03d/%03d' "$(cat "$d/busnum")" "$(cat "$d/devnum")"; }
driver_of() { # VID INTERFACE-NUMBER -> driver name or "none"
    d=$(usbdev "$1") || { echo gone; return; }
    i="$d:1.$2"
    if [ -e "$i/driver" ]; then basename "$(readlink "$i/driver")"; else echo none; fi
}
present() { usbdev "$1" >/dev/null; }
drivers_are() { # VID EXPECTED ("usbhid" or "cdc_acm/cdc_acm"...), evaluated each time
    case $2 in */*) [ "$(driver_of "$1" 0)/$(driver_of "$1" 1)" = "$2" ] ;; *) [ "$(driver_of "$1" 0)" = "$2" ] ;; esac
}
as_agent() { su -s /bin/sh station-agent -c "$*"; }
ids() { awk -v k="$2" '$1 == k { print $2, $3, $4, $5 }' /proc/$1/status; }   # PID FIELD: the four ids
