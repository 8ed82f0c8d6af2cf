#ifndef HD_NET_H
#define HD_NET_H
/*
 * net - CIDR lists (trusted_networks) for IPv4 and IPv6. Parsing only
 * numeric addresses: never resolves names.
 */
#include <stdbool.h>
#include <stddef.h>

struct hd_netlist;
#define HD_NETLIST_MAX 1024

/* Parse CIDRs like "127.0.0.0/8", "::1/128", "10.1.2.3". NULL + *error_r. */
struct hd_netlist *hd_netlist_parse(const char *const *cidrs, size_t n, char **error_r);
/* The default: 127.0.0.0/8 and ::1/128. */
struct hd_netlist *hd_netlist_loopback(void);
bool hd_netlist_contains(const struct hd_netlist *l, const char *ip);
/* Number of networks in the list (0 for NULL). */
size_t hd_netlist_count(const struct hd_netlist *l);
void hd_netlist_deinit(struct hd_netlist **l);

#endif
