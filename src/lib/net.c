/*
 * net - CIDR lists for trusted_networks, IPv4 and IPv6. Addresses are parsed
 * with inet_pton only; this module must never resolve a name or touch the
 * network. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 entries.
 */
#include <config.h>
#include "net.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One network: 16 address bytes (IPv4 kept in the first 4) and a prefix. */
struct hd_net {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;	/* bits */
};

struct hd_netlist {
	struct hd_net *nets;
	size_t n;
};

/* Longest text of one CIDR we accept ("ffff:...:255.255.255.255/128" fits). */
#define HD_NET_TEXT_MAX 64

/* Parse a bare address into family/bytes; false when not numeric. */
static bool net_parse_addr(const char *s, int *family_r, unsigned char addr_r[16])
{
	memset(addr_r, 0, 16);
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, addr_r) != 1)
			return false;
		*family_r = AF_INET6;
		return true;
	}
	if (inet_pton(AF_INET, s, addr_r) != 1)
		return false;
	*family_r = AF_INET;
	return true;
}

/* Zero the host bits of addr beyond prefix. */
static void net_mask(unsigned char addr[16], unsigned prefix, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++) {
		unsigned bit0 = (unsigned)i * 8;
		if (prefix >= bit0 + 8)
			continue;
		if (prefix <= bit0)
			addr[i] = 0;
		else
			addr[i] &= (unsigned char)(0xff << (8 - (prefix - bit0)));
	}
}

/* Parse one "addr[/prefix]" into net; error text in *error_r. */
static bool net_parse_one(const char *text, struct hd_net *net, char **error_r)
{
	char buf[HD_NET_TEXT_MAX];
	size_t len = strlen(text);
	char *slash, *end;
	unsigned long prefix;
	unsigned maxbits;

	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	while (len > 0 && (*text == ' ' || *text == '\t'))
		text++, len--;
	if (len == 0) {
		*error_r = xstrdup("empty network");
		return false;
	}
	if (len >= sizeof(buf)) {
		*error_r = xasprintf("network '%.*s...' is too long", 20, text);
		return false;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (!net_parse_addr(buf, &net->family, net->addr)) {
		*error_r = xasprintf("'%s' is not a numeric IPv4 or IPv6 address", buf);
		return false;
	}
	maxbits = net->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		net->prefix = maxbits;
		return true;
	}
	if (*slash < '0' || *slash > '9') {
		*error_r = xasprintf("bad prefix length '/%s' in '%s/%s'", slash, buf, slash);
		return false;
	}
	errno = 0;
	prefix = strtoul(slash, &end, 10);
	if (errno != 0 || *end != '\0' || prefix > maxbits) {
		*error_r = xasprintf("bad prefix length '/%s' in '%s/%s' (0-%u)", slash, buf,
				     slash, maxbits);
		return false;
	}
	net->prefix = (unsigned)prefix;
	net_mask(net->addr, net->prefix, net->family == AF_INET ? 4 : 16);
	return true;
}

/* Parse a list of CIDRs; NULL and an allocated *error_r on the first bad one. */
struct hd_netlist *hd_netlist_parse(const char *const *cidrs, size_t n, char **error_r)
{
	struct hd_netlist *l;

	*error_r = NULL;
	if (n > HD_NETLIST_MAX) {
		*error_r = xasprintf("too many networks (%zu, at most %d)", n, HD_NETLIST_MAX);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->nets = xcalloc(n > 0 ? n : 1, sizeof(*l->nets));
	for (size_t i = 0; i < n; i++) {
		if (!net_parse_one(cidrs[i], &l->nets[i], error_r)) {
			hd_netlist_deinit(&l);
			return NULL;
		}
		l->n++;
	}
	return l;
}

/* The default list: 127.0.0.0/8 and ::1/128. */
struct hd_netlist *hd_netlist_loopback(void)
{
	static const char *const lo[] = { "127.0.0.0/8", "::1/128" };
	char *error = NULL;
	struct hd_netlist *l = hd_netlist_parse(lo, 2, &error);

	if (l == NULL)
		abort();	/* constant input: cannot happen */
	return l;
}

/* Does the numeric address ip fall in any network of l? */
bool hd_netlist_contains(const struct hd_netlist *l, const char *ip)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char addr[16];
	int family;
	char buf[HD_NET_TEXT_MAX];
	size_t len;

	if (l == NULL || ip == NULL)
		return false;
	/* Accept the bracketed "[1.2.3.4]" / "[IPv6:...]" forms MTAs use. */
	len = strlen(ip);
	if (len >= sizeof(buf))
		return false;
	if (ip[0] == '[' && len >= 2 && ip[len - 1] == ']') {
		ip++;
		len -= 2;
		if (len >= 5 && strncasecmp(ip, "IPv6:", 5) == 0)
			ip += 5, len -= 5;
	}
	memcpy(buf, ip, len);
	buf[len] = '\0';
	if (!net_parse_addr(buf, &family, addr))
		return false;
	if (family == AF_INET6 && memcmp(addr, v4mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		family = AF_INET;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct hd_net *net = &l->nets[i];
		unsigned char masked[16];

		if (net->family != family)
			continue;
		memcpy(masked, addr, sizeof(masked));
		net_mask(masked, net->prefix, family == AF_INET ? 4 : 16);
		if (memcmp(masked, net->addr, family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/* Number of networks in the list. */
size_t hd_netlist_count(const struct hd_netlist *l)
{
	return l == NULL ? 0 : l->n;
}

/* Free the list and set the caller's pointer to NULL. */
void hd_netlist_deinit(struct hd_netlist **l)
{
	if (*l == NULL)
		return;
	free((*l)->nets);
	free(*l);
	*l = NULL;
}
