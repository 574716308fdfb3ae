#ifndef STATION_AGENT_CUDEV_SHIM_H
#define STATION_AGENT_CUDEV_SHIM_H
#include <libudev.h>
#endif
