/*
 * The IP-HTTPS port set, as every stage holds it: a list of ports ended by
 * 0 (dt_options.ports, copied by the analyzer), 443 alone when the list is
 * missing or empty.
 */
#ifndef DT_UTIL_PORTS_H
#define DT_UTIL_PORTS_H

#include <stddef.h>
#include <stdint.h>

static inline int
dt_ports_have(const uint16_t *ports, uint16_t port)
{
	if (ports == NULL || ports[0] == 0)
		return port == 443;
	for (; *ports != 0; ports++)
		if (*ports == port)
			return 1;
	return 0;
}

#endif
