#ifndef HD_SETTINGS_H
#define HD_SETTINGS_H
/*
 * settings - the daemon configuration (SPEC s.5) from YAML, validated with
 * file:line:column errors like the policy. Used by helpdesk-milter and by
 * helpdeskctl -c. Immutable once loaded.
 */
#include <stdbool.h>
#include "util.h"
#include "diag.h"
#include "hd-limits.h"

struct hd_netlist;

#define HD_CONFIG_DEFAULT_PATH SYSCONFDIR "/helpdesk-milter/helpdesk-milter.yaml"
#define HD_CONFIG_DEFAULT_SENDMAIL "/usr/sbin/sendmail"

/* Where a key was written in the configuration file. */
struct hd_config_pos {
	char *key;			/* dotted: "store", "limits.mime_depth" */
	int line, column;		/* of its value */
};

struct hd_config {
	char *file;
	struct hd_config_pos *pos;	/* every key of the first two levels, file order */
	size_t npos;
	char *socket;			/* default unix:/run/helpdesk-milter/helpdesk-milter.sock */
	char *socket_owner, *socket_group; /* NULL: unchanged */
	int socket_mode;		/* default 0660 */
	char *policy;			/* path of the policy file */
	char *store;			/* store URI, default sqlite:/var/lib/helpdesk-milter/audit.db */
	bool on_failure_tempfail;	/* on_failure: tempfail (default) | accept */
	struct hd_netlist *trusted;	/* trusted_networks, default loopback */
	char *user, *group;		/* drop to these after binding; NULL: stay */
	char *pidfile;
	struct hd_limits limits;
	struct strvec notify_command;	/* argv; empty: none */
	char *log_facility;		/* default mail */
	char *log_level;		/* default info */
	int timeout;			/* libmilter timeout, seconds */
	char *seal_key_id, *seal_key_file; /* seal: current key; NULL: no seal */
	struct strvec seal_previous;	/* seal.previous: key id, file, ... (verify only) */
	char *sendmail;			/* sla-watch mails through it, default /usr/sbin/sendmail */
	long retention_keep_days;	/* retention.keep; 0: keep every record */
};

/* Named limits of the loader. */
#define HD_CONFIG_MESSAGE_BYTES_MAX ((size_t)1024 * 1024 * 1024)	/* 1G */
#define HD_CONFIG_MIME_DEPTH_MAX 1000
#define HD_CONFIG_COUNT_MAX 1000000
#define HD_CONFIG_NOTIFY_ARGS_MAX 64
#define HD_CONFIG_TIMEOUT_MAX 86400
#define HD_CONFIG_RETENTION_DAYS_MAX 36500	/* retention.keep: 100 years */

/* Load; NULL with diagnostics on any error. path NULL: all defaults. A
   relative `policy:` path is taken relative to the config file's directory. */
struct hd_config *hd_config_load(const char *path, struct hd_diag *diag);
/* Same from a buffer; name is used in diagnostics and path resolution. */
struct hd_config *hd_config_load_buffer(const char *name, const char *data, size_t len,
					struct hd_diag *diag);
void hd_config_deinit(struct hd_config **c);
/* Where the value of key (dotted: "limits.mime_depth") was written; false
   when the file does not set it (the default is in force). */
bool hd_config_key_pos(const struct hd_config *c, const char *key, int *line_r, int *column_r);

/* A size "10M", "64K", "1G", "4096" (binary units); false when malformed. */
bool hd_config_parse_size(const char *s, size_t *size_r);
/* Check a libmilter socket spec (unix:/path, inet:port@host, ...). */
bool hd_config_socket_valid(const char *s, char **error_r);
/* syslog(3) facility code of a log.facility name (LOG_MAIL when unknown). */
int hd_config_syslog_facility(const char *name);
/* Log level of a log.level name (info when unknown). */
enum log_level hd_config_log_level(const char *name);

#endif
