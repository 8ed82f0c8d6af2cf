/*
 * settings - loads and validates the daemon configuration (SPEC s.5) from
 * YAML. Every problem is reported as file:line:column, unknown keys with a
 * did-you-mean hint, and all of them in one run. The result is immutable; a
 * reload builds a new one. This module must never look at mail, open the
 * store or the socket, or resolve names: it only reads and checks text.
 */
#include <config.h>
#include "settings.h"
#include "net.h"
#include "yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

/* Defaults (SPEC s.5 and the comments in config.h). */
#define HD_CONFIG_DEFAULT_SOCKET "unix:/run/helpdesk-milter/helpdesk-milter.sock"
#define HD_CONFIG_DEFAULT_POLICY SYSCONFDIR "/helpdesk-milter/policy.yaml"
#define HD_CONFIG_DEFAULT_STORE "sqlite:/var/lib/helpdesk-milter/audit.db"
#define HD_CONFIG_DEFAULT_SOCKET_MODE 0660
#define HD_CONFIG_DEFAULT_TIMEOUT 600

/* Load context: the file name for diagnostics and the sink. */
struct cload {
	const char *file;
	struct hd_diag *diag;
	size_t errors;
};

static const char *const config_keys[] = {
	"socket", "socket_owner", "socket_group", "socket_mode", "policy", "store",
	"on_failure", "trusted_networks", "user", "group", "pidfile", "limits",
	"notify_command", "log", "timeout", "seal", "sendmail", "retention", NULL
};
static const char *const seal_keys[] = { "key_id", "key_file", "previous", NULL };
static const char *const retention_keys[] = { "keep", NULL };
static const char *const limits_keys[] = {
	"message_bytes", "mime_depth", "mime_parts", "header_count", "header_bytes",
	"text_bytes", "recipients", "body_memory_bytes", "findings", NULL
};
static const char *const log_keys[] = { "facility", "level", NULL };
static const char *const log_facilities[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7", NULL
};
static const char *const log_levels[] = {
	"error", "warning", "notice", "info", "debug", NULL
};

/* Report one error at node n (or at 1:1 when n is NULL). */
static void __attribute__((format(printf, 3, 4)))
cerr(struct cload *c, const struct hd_ynode *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hd_diag_add(c->diag, c->file, n ? n->line : 1, n ? n->column : 1, "%s", msg);
	c->errors++;
}

/* The scalar text of n, or NULL with an error naming key. */
static const char *cscalar(struct cload *c, const struct hd_ynode *n, const char *key)
{
	if (n->type != HD_Y_SCALAR) {
		cerr(c, n, "'%s' must be a string, not %s", key, hd_ynode_type_name(n));
		return NULL;
	}
	if (n->scalar[0] == '\0') {
		cerr(c, n, "'%s' must not be empty", key);
		return NULL;
	}
	return n->scalar;
}

/* Replace *dst with a copy of the scalar n when valid. */
static void cstring(struct cload *c, const struct hd_ynode *n, const char *key, char **dst)
{
	const char *s;

	if (n == NULL)
		return;
	if (hd_ynode_is_null(n)) {
		xfree(dst);	/* explicit null: unset */
		return;
	}
	s = cscalar(c, n, key);
	if (s == NULL)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

/* Index of s in the NULL-terminated list, or -1. */
static int list_index(const char *const *list, const char *s)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* "a, b, c" of a NULL-terminated list. */
static char *list_join(const char *const *list)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = 0; list[i] != NULL; i++) {
		if (i > 0)
			sb_puts(&sb, ", ");
		sb_puts(&sb, list[i]);
	}
	return sb.s;	/* the caller owns the buffer */
}

/* A scalar that must be one of list; error with the choices (and a hint). */
static const char *cenum(struct cload *c, const struct hd_ynode *n, const char *key,
			 const char *const *list)
{
	const char *s = cscalar(c, n, key);
	const char *hint;
	char *all;

	if (s == NULL)
		return NULL;
	if (list_index(list, s) >= 0)
		return s;
	hint = hd_did_you_mean(s, list);
	all = list_join(list);
	if (hint != NULL)
		cerr(c, n, "'%s' is not a valid %s (did you mean '%s'?; expected one of: %s)",
		     s, key, hint, all);
	else
		cerr(c, n, "'%s' is not a valid %s (expected one of: %s)", s, key, all);
	free(all);
	return NULL;
}

/* Parse a size: digits with an optional K, M or G suffix (binary units,
   optional trailing B/iB). false when malformed or overflowing. */
bool hd_config_parse_size(const char *s, size_t *size_r)
{
	unsigned long long v = 0, mult = 1;
	const char *p = s;

	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	while (*p == ' ')
		p++;
	switch (*p) {
	case 'k': case 'K': mult = 1024ull; p++; break;
	case 'm': case 'M': mult = 1024ull * 1024; p++; break;
	case 'g': case 'G': mult = 1024ull * 1024 * 1024; p++; break;
	default: break;
	}
	if (mult > 1 && (*p == 'i' || *p == 'I'))
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0')
		return false;
	if (v > (unsigned long long)SIZE_MAX / mult)
		return false;
	*size_r = (size_t)(v * mult);
	return true;
}

/* One limit: a size or a count in [1, max]. */
static void climit(struct cload *c, const struct hd_ynode *lm, const char *key,
		   size_t max, size_t *dst)
{
	const struct hd_ynode *n = hd_ymap_get(lm, key);
	const char *s;
	size_t v;

	if (n == NULL)
		return;
	s = cscalar(c, n, key);
	if (s == NULL)
		return;
	if (!hd_config_parse_size(s, &v)) {
		cerr(c, n, "limits.%s: '%s' is not a size (a number, optionally with K, M or G)",
		     key, s);
		return;
	}
	if (v == 0 || v > max) {
		cerr(c, n, "limits.%s: %zu is out of range (1-%zu)", key, v, max);
		return;
	}
	*dst = v;
}

/* The limits: map. */
static void climits(struct cload *c, const struct hd_ynode *lm, struct hd_limits *l)
{
	if (lm->type != HD_Y_MAP) {
		cerr(c, lm, "'limits' must be a mapping, not %s", hd_ynode_type_name(lm));
		return;
	}
	c->errors += hd_ymap_check_keys(lm, limits_keys, "limits", c->file, c->diag);
	climit(c, lm, "message_bytes", HD_CONFIG_MESSAGE_BYTES_MAX, &l->message_bytes);
	climit(c, lm, "mime_depth", HD_CONFIG_MIME_DEPTH_MAX, &l->mime_depth);
	climit(c, lm, "mime_parts", HD_CONFIG_COUNT_MAX, &l->mime_parts);
	climit(c, lm, "header_count", HD_CONFIG_COUNT_MAX, &l->header_count);
	climit(c, lm, "header_bytes", HD_CONFIG_MESSAGE_BYTES_MAX, &l->header_bytes);
	climit(c, lm, "text_bytes", HD_CONFIG_MESSAGE_BYTES_MAX, &l->text_bytes);
	climit(c, lm, "recipients", HD_CONFIG_COUNT_MAX, &l->recipients);
	climit(c, lm, "body_memory_bytes", HD_CONFIG_MESSAGE_BYTES_MAX, &l->body_memory_bytes);
	climit(c, lm, "findings", HD_CONFIG_COUNT_MAX, &l->findings);
}

/* socket: libmilter syntax. */
static void csocket(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	char *err;

	if (n == NULL)
		return;
	const char *s = cscalar(c, n, "socket");
	if (s == NULL)
		return;
	if (!hd_config_socket_valid(s, &err)) {
		cerr(c, n, "socket: %s", err);
		free(err);
		return;
	}
	free(cfg->socket);
	cfg->socket = xstrdup(s);
}

/* Check a libmilter socket spec: unix:/path, local:/path, /path,
   inet:PORT[@HOST], inet6:PORT[@HOST]. */
bool hd_config_socket_valid(const char *s, char **error_r)
{
	const char *colon = strchr(s, ':');
	const char *rest;

	*error_r = NULL;
	if (s[0] == '/')
		return true;
	if (colon == NULL) {
		*error_r = xasprintf("'%s' is not a socket (unix:/path, inet:port@host or "
				     "inet6:port@host)", s);
		return false;
	}
	rest = colon + 1;
	if (str_has_prefix_ci(s, "unix:") || str_has_prefix_ci(s, "local:")) {
		if (rest[0] != '/') {
			*error_r = xasprintf("'%s': a unix socket needs an absolute path", s);
			return false;
		}
		return true;
	}
	if (str_has_prefix_ci(s, "inet:") || str_has_prefix_ci(s, "inet6:")) {
		char *end;
		long port;

		errno = 0;
		port = strtol(rest, &end, 10);
		if (end == rest || errno != 0 || port < 1 || port > 65535 ||
		    (*end != '\0' && *end != '@') || (*end == '@' && end[1] == '\0')) {
			*error_r = xasprintf("'%s': expected %.*s:PORT@HOST with PORT 1-65535", s,
					     (int)(colon - s), s);
			return false;
		}
		return true;
	}
	*error_r = xasprintf("'%s': unknown socket type '%.*s' (unix, local, inet or inet6)",
			     s, (int)(colon - s), s);
	return false;
}

/* socket_mode: an octal string such as "0660" (or 660). */
static void cmode(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	const char *s;
	long v = 0;

	if (n == NULL)
		return;
	s = cscalar(c, n, "socket_mode");
	if (s == NULL)
		return;
	if (strlen(s) > 5)
		goto bad;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '7')
			goto bad;
		v = v * 8 + (*p - '0');
	}
	if (v > 0777)
		goto bad;
	cfg->socket_mode = (int)v;
	return;
bad:
	cerr(c, n, "socket_mode: '%s' is not an octal file mode such as \"0660\"", s);
}

/* on_failure: tempfail | accept. */
static void con_failure(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	static const char *const modes[] = { "tempfail", "accept", NULL };
	const char *s;

	if (n == NULL)
		return;
	s = cenum(c, n, "on_failure", modes);
	if (s != NULL)
		cfg->on_failure_tempfail = strcmp(s, "tempfail") == 0;
}

/* trusted_networks: a list of CIDRs (or one string). */
static void ctrusted(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	struct strvec v;
	char *error = NULL;
	struct hd_netlist *l;
	bool ok = true;

	if (n == NULL)
		return;
	sv_init(&v);
	if (n->type == HD_Y_SCALAR && !hd_ynode_is_null(n)) {
		sv_push(&v, n->scalar);
	} else if (n->type == HD_Y_SEQ) {
		if (n->n > HD_NETLIST_MAX) {
			cerr(c, n, "trusted_networks: too many networks (%zu, at most %d)",
			     n->n, HD_NETLIST_MAX);
			sv_free(&v);
			return;
		}
		for (size_t i = 0; i < n->n; i++) {
			const char *s = cscalar(c, n->items[i], "trusted_networks");
			const char *one[1];

			if (s == NULL) {
				ok = false;
				continue;
			}
			/* parse one by one so each error has its own position */
			one[0] = s;
			l = hd_netlist_parse(one, 1, &error);
			if (l == NULL) {
				cerr(c, n->items[i], "trusted_networks: %s", error);
				free(error);
				error = NULL;
				ok = false;
				continue;
			}
			hd_netlist_deinit(&l);
			sv_push(&v, s);
		}
	} else if (!hd_ynode_is_null(n)) {
		cerr(c, n, "'trusted_networks' must be a list of CIDRs, not %s",
		     hd_ynode_type_name(n));
		ok = false;
	}
	if (!ok) {
		sv_free(&v);
		return;
	}
	l = hd_netlist_parse((const char *const *)v.v, v.n, &error);
	if (l == NULL) {
		cerr(c, n, "trusted_networks: %s", error);
		free(error);
	} else {
		hd_netlist_deinit(&cfg->trusted);
		cfg->trusted = l;
	}
	sv_free(&v);
}

/* notify_command: argv list, absolute program path, no shell. */
static void cnotify(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	if (n == NULL || hd_ynode_is_null(n))
		return;
	if (n->type != HD_Y_SEQ) {
		cerr(c, n, "'notify_command' must be a list (the program and its arguments; "
			   "no shell is used), not %s", hd_ynode_type_name(n));
		return;
	}
	if (n->n == 0)
		return;
	if (n->n > HD_CONFIG_NOTIFY_ARGS_MAX) {
		cerr(c, n, "notify_command: too many arguments (at most %d)",
		     HD_CONFIG_NOTIFY_ARGS_MAX);
		return;
	}
	struct strvec argv;
	bool ok = true;

	sv_init(&argv);
	for (size_t i = 0; i < n->n; i++) {
		const struct hd_ynode *it = n->items[i];

		if (it->type != HD_Y_SCALAR) {
			cerr(c, it, "notify_command: each argument must be a string, not %s",
			     hd_ynode_type_name(it));
			ok = false;
			continue;
		}
		if (i == 0 && it->scalar[0] != '/') {
			cerr(c, it, "notify_command: the program '%s' must be an absolute path",
			     it->scalar);
			ok = false;
			continue;
		}
		sv_push(&argv, it->scalar);
	}
	if (ok) {
		sv_free(&cfg->notify_command);
		cfg->notify_command = argv;
	} else {
		sv_free(&argv);
	}
}

/* log: { facility, level }. */
static void clog_section(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	const struct hd_ynode *f, *l;
	const char *s;

	if (n == NULL)
		return;
	if (n->type != HD_Y_MAP) {
		cerr(c, n, "'log' must be a mapping, not %s", hd_ynode_type_name(n));
		return;
	}
	c->errors += hd_ymap_check_keys(n, log_keys, "log", c->file, c->diag);
	f = hd_ymap_get(n, "facility");
	if (f != NULL && (s = cenum(c, f, "facility", log_facilities)) != NULL) {
		free(cfg->log_facility);
		cfg->log_facility = xstrdup(s);
	}
	l = hd_ymap_get(n, "level");
	if (l != NULL && (s = cenum(c, l, "level", log_levels)) != NULL) {
		free(cfg->log_level);
		cfg->log_level = xstrdup(s);
	}
}

/* timeout: seconds, plain or with an s/m/h suffix. */
static void ctimeout(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	const char *s;
	char *end;
	long v, mult = 1;

	if (n == NULL)
		return;
	s = cscalar(c, n, "timeout");
	if (s == NULL)
		return;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end != s && errno == 0) {
		if (*end == 's')
			end++;
		else if (*end == 'm')
			mult = 60, end++;
		else if (*end == 'h')
			mult = 3600, end++;
	}
	if (end == s || *end != '\0' || errno != 0 || v < 1 || v > HD_CONFIG_TIMEOUT_MAX / mult) {
		cerr(c, n, "timeout: '%s' is not a number of seconds (1-%d; suffix s, m or h "
			   "allowed)", s, HD_CONFIG_TIMEOUT_MAX);
		return;
	}
	cfg->timeout = (int)(v * mult);
}

/* A seal key file path, relative ones taken from the config's directory. */
static char *cseal_path(struct cload *c, const char *s)
{
	const char *slash = c->file ? strrchr(c->file, '/') : NULL;

	if (s[0] == '/' || slash == NULL)
		return xstrdup(s);
	return xasprintf("%.*s/%s", (int)(slash - c->file), c->file, s);
}

/* seal: { key_id, key_file, previous: { ID: FILE } } (SPEC s.12). The key
   files are read by the programs; here only the shape is checked. */
static void cseal(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	const struct hd_ynode *id, *file, *prev;
	const char *s;

	if (n == NULL || hd_ynode_is_null(n))
		return;
	if (n->type != HD_Y_MAP) {
		cerr(c, n, "'seal' must be a mapping { key_id: k1, key_file: /etc/helpdesk-milter/seal.key }, not %s",
		     hd_ynode_type_name(n));
		return;
	}
	c->errors += hd_ymap_check_keys(n, seal_keys, "seal", c->file, c->diag);
	id = hd_ymap_get(n, "key_id");
	file = hd_ymap_get(n, "key_file");
	if (id == NULL || file == NULL) {
		cerr(c, n, "seal needs both key_id (the name stamped in k=) and key_file (the secret)");
		return;
	}
	if ((s = cscalar(c, id, "seal.key_id")) != NULL)
		cfg->seal_key_id = xstrdup(s);
	if ((s = cscalar(c, file, "seal.key_file")) != NULL)
		cfg->seal_key_file = cseal_path(c, s);
	prev = hd_ymap_get(n, "previous");
	if (prev != NULL && prev->type != HD_Y_MAP)
		cerr(c, prev, "seal.previous must map retired key ids to their files, not %s",
		     hd_ynode_type_name(prev));
	for (size_t i = 0; prev != NULL && prev->type == HD_Y_MAP && i < prev->n; i++)
		if ((s = cscalar(c, prev->items[i], "seal.previous")) != NULL) {
			sv_push(&cfg->seal_previous, prev->keys[i]->scalar);
			sv_push_owned(&cfg->seal_previous, cseal_path(c, s));
		}
}

/* retention: { keep: 400d } (days, or weeks with w), applied by helpdeskctl expire -c. */
static void cretention(struct cload *c, const struct hd_ynode *n, struct hd_config *cfg)
{
	const struct hd_ynode *k;
	const char *s;
	char *end;
	long v, mult = 1;

	if (n == NULL)
		return;
	if (n->type != HD_Y_MAP) {
		cerr(c, n, "retention must be a mapping like { keep: 400d }, not %s",
		     hd_ynode_type_name(n));
		return;
	}
	c->errors += hd_ymap_check_keys(n, retention_keys, "retention", c->file, c->diag);
	if ((k = hd_ymap_get(n, "keep")) == NULL || (s = cscalar(c, k, "retention.keep")) == NULL)
		return;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end != s && *end == 'w')
		mult = 7, end++;
	else if (end != s && *end == 'd')
		end++;
	if (end == s || *end != '\0' || errno != 0 || v < 1 || v > HD_CONFIG_RETENTION_DAYS_MAX / mult) {
		cerr(c, k, "retention.keep: '%s' is not a number of days like 400d or weeks like "
			   "52w (1 day to %d days)", s, HD_CONFIG_RETENTION_DAYS_MAX);
		return;
	}
	cfg->retention_keep_days = v * mult;
}

/* Resolve a relative policy path against the directory of the config file. */
static void cresolve(struct hd_config *cfg)
{
	const char *slash;

	if (cfg->policy == NULL || cfg->policy[0] == '/' || cfg->file == NULL)
		return;
	slash = strrchr(cfg->file, '/');
	if (slash == NULL)
		return;
	char *p = xasprintf("%.*s/%s", (int)(slash - cfg->file), cfg->file, cfg->policy);
	free(cfg->policy);
	cfg->policy = p;
}

/* A configuration with every default. */
static struct hd_config *config_defaults(void)
{
	struct hd_config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->socket = xstrdup(HD_CONFIG_DEFAULT_SOCKET);
	cfg->socket_mode = HD_CONFIG_DEFAULT_SOCKET_MODE;
	cfg->policy = xstrdup(HD_CONFIG_DEFAULT_POLICY);
	cfg->store = xstrdup(HD_CONFIG_DEFAULT_STORE);
	cfg->on_failure_tempfail = true;
	cfg->trusted = hd_netlist_loopback();
	hd_limits_init(&cfg->limits);
	sv_init(&cfg->notify_command);
	cfg->log_facility = xstrdup("mail");
	cfg->log_level = xstrdup("info");
	cfg->timeout = HD_CONFIG_DEFAULT_TIMEOUT;
	sv_init(&cfg->seal_previous);
	cfg->sendmail = xstrdup(HD_CONFIG_DEFAULT_SENDMAIL);
	return cfg;
}

/* Apply a parsed document to cfg; returns the number of errors. */
static size_t config_apply(struct cload *c, const struct hd_ynode *root, struct hd_config *cfg)
{
	if (root->type != HD_Y_MAP) {
		cerr(c, root, "the configuration must be a mapping of keys, not %s",
		     hd_ynode_type_name(root));
		return c->errors;
	}
	c->errors += hd_ymap_check_keys(root, config_keys, "the configuration", c->file, c->diag);
	csocket(c, hd_ymap_get(root, "socket"), cfg);
	cstring(c, hd_ymap_get(root, "socket_owner"), "socket_owner", &cfg->socket_owner);
	cstring(c, hd_ymap_get(root, "socket_group"), "socket_group", &cfg->socket_group);
	cmode(c, hd_ymap_get(root, "socket_mode"), cfg);
	cstring(c, hd_ymap_get(root, "policy"), "policy", &cfg->policy);
	cstring(c, hd_ymap_get(root, "store"), "store", &cfg->store);
	con_failure(c, hd_ymap_get(root, "on_failure"), cfg);
	ctrusted(c, hd_ymap_get(root, "trusted_networks"), cfg);
	cstring(c, hd_ymap_get(root, "user"), "user", &cfg->user);
	cstring(c, hd_ymap_get(root, "group"), "group", &cfg->group);
	cstring(c, hd_ymap_get(root, "pidfile"), "pidfile", &cfg->pidfile);
	if (hd_ymap_get(root, "limits") != NULL)
		climits(c, hd_ymap_get(root, "limits"), &cfg->limits);
	cnotify(c, hd_ymap_get(root, "notify_command"), cfg);
	clog_section(c, hd_ymap_get(root, "log"), cfg);
	ctimeout(c, hd_ymap_get(root, "timeout"), cfg);
	cseal(c, hd_ymap_get(root, "seal"), cfg);
	cstring(c, hd_ymap_get(root, "sendmail"), "sendmail", &cfg->sendmail);
	if (cfg->sendmail == NULL || cfg->sendmail[0] != '/')
		cerr(c, hd_ymap_get(root, "sendmail"), "sendmail must be the absolute path of the "
		     "MTA's sendmail program, like /usr/sbin/sendmail");
	cretention(c, hd_ymap_get(root, "retention"), cfg);
	if (cfg->policy == NULL)
		cerr(c, hd_ymap_get(root, "policy"), "'policy' must name the policy file");
	if (cfg->store == NULL)
		cerr(c, hd_ymap_get(root, "store"), "'store' must name the audit store");
	if (cfg->pidfile != NULL && cfg->pidfile[0] != '/')
		cerr(c, hd_ymap_get(root, "pidfile"), "pidfile must be an absolute path");
	return c->errors;
}

/* Finish loading from a parsed tree (owned by the caller). */
/* Record where each key of the first two levels of the map n was written,
   so later checks (helpdesk-milter -n) can name file:line:column. */
static void config_positions(struct hd_config *cfg, const struct hd_ynode *n, const char *prefix)
{
	if (n == NULL || n->type != HD_Y_MAP)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct hd_ynode *v = n->items[i];
		char *key = prefix != NULL ? xasprintf("%s.%s", prefix, n->keys[i]->scalar)
					   : xstrdup(n->keys[i]->scalar);

		cfg->pos = xrealloc(cfg->pos, (cfg->npos + 1) * sizeof(*cfg->pos));
		cfg->pos[cfg->npos++] = (struct hd_config_pos){ key, v->line, v->column };
		if (prefix == NULL)
			config_positions(cfg, v, key);
	}
}

/* Public entry: see settings.h. */
bool hd_config_key_pos(const struct hd_config *c, const char *key, int *line_r, int *column_r)
{
	*line_r = 1;
	*column_r = 1;
	for (size_t i = 0; i < c->npos; i++) {
		if (strcmp(c->pos[i].key, key) == 0) {
			*line_r = c->pos[i].line;
			*column_r = c->pos[i].column;
			return true;
		}
	}
	return false;
}

static struct hd_config *config_from_tree(const char *name, const struct hd_ynode *root,
					  struct hd_diag *diag)
{
	struct cload c = { .file = name, .diag = diag, .errors = 0 };
	struct hd_config *cfg = config_defaults();

	cfg->file = xstrdup(name);
	if (config_apply(&c, root, cfg) > 0) {
		hd_config_deinit(&cfg);
		return NULL;
	}
	cresolve(cfg);
	config_positions(cfg, root, NULL);
	return cfg;
}

/* Load the configuration file at path; NULL path gives all defaults. */
struct hd_config *hd_config_load(const char *path, struct hd_diag *diag)
{
	struct hd_ynode *root;
	struct hd_config *cfg;

	if (path == NULL)
		return config_defaults();
	root = hd_yaml_load_file(path, diag);
	if (root == NULL)
		return NULL;
	cfg = config_from_tree(path, root, diag);
	hd_ynode_deinit(&root);
	return cfg;
}

/* Load from a buffer; name is used in diagnostics and to resolve a relative
   policy path. */
struct hd_config *hd_config_load_buffer(const char *name, const char *data, size_t len,
					struct hd_diag *diag)
{
	struct hd_ynode *root = hd_yaml_load_buffer(name, data, len, diag);
	struct hd_config *cfg;

	if (root == NULL)
		return NULL;
	cfg = config_from_tree(name, root, diag);
	hd_ynode_deinit(&root);
	return cfg;
}

/* syslog(3) facility number for a facility name (LOG_MAIL when unknown). */
int hd_config_syslog_facility(const char *name)
{
	static const int codes[] = {
		LOG_MAIL, LOG_DAEMON, LOG_USER, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
		LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7,
	};
	int i = name ? list_index(log_facilities, name) : -1;

	return i < 0 ? codes[0] : codes[i];
}

/* The log level for a level name (info when unknown). */
enum log_level hd_config_log_level(const char *name)
{
	static const enum log_level lv[] = { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_NOTICE,
					     LOG_LVL_INFO, LOG_LVL_DEBUG };
	int i = name ? list_index(log_levels, name) : -1;

	return i < 0 ? LOG_LVL_INFO : lv[i];
}

/* Free the configuration and set the caller's pointer to NULL. */
void hd_config_deinit(struct hd_config **cp)
{
	struct hd_config *c = *cp;

	if (c == NULL)
		return;
	free(c->file);
	for (size_t i = 0; i < c->npos; i++)
		free(c->pos[i].key);
	free(c->pos);
	free(c->socket);
	free(c->socket_owner);
	free(c->socket_group);
	free(c->policy);
	free(c->store);
	hd_netlist_deinit(&c->trusted);
	free(c->user);
	free(c->group);
	free(c->pidfile);
	free(c->sendmail);
	sv_free(&c->notify_command);
	free(c->log_facility);
	free(c->log_level);
	free(c->seal_key_id);
	free(c->seal_key_file);
	sv_free(&c->seal_previous);
	free(c);
	*cp = NULL;
}
